"""The pure core: entries and their validation, the taxonomy and collection, related papers,
the trending ranking and its metrics history, text rendering and BibTeX.

Given files and a date it returns values: no MkDocs, no network, no clock (``clock`` is the
one function that reads it, called by the commands and the adapter, never by the others
here). Imports nothing of ours outside ``core``.
"""
