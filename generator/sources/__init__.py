"""Clients for web APIs: arXiv, Crossref and popularity-signal providers."""
