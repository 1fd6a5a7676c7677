"""The outside world's data, read safely: the HTTP client (byte caps, deadlines, redirects
that keep credentials at home), arXiv, Crossref, OpenAlex and Semantic Scholar metadata,
the popularity-signal providers, and the readers of bibliography formats (``formats``).
Imports ``core`` only.
"""
