"""reading-list: a static-site generator for curated reading lists of research papers.

The packages follow the data flow (see docs/architecture.md):

- ``core``: entries, taxonomy, collection, related papers, trending, BibTeX: pure values;
- ``pages``: the page set, feeds and digest content, from ``site_templates/``;
- ``plugin``: the MkDocs adapter, the only code that imports MkDocs or Material;
- ``sources``: the network clients and bibliography readers;
- ``commands``: the ``reading-list`` command table and one module per command family.
"""
