"""The outside world's data, read safely: the HTTP client (byte caps, deadlines, redirects
that keep credentials at home), arXiv, Crossref, OpenAlex and Semantic Scholar metadata,
the popularity-signal providers, the readers of bibliography formats (``formats``) and
email delivery over SMTP (``smtp``). Imports ``core`` only.
"""
