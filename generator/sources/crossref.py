"""Crossref's REST API: one work's metadata by DOI, as entry fields.

``GET {CROSSREF_API_URL}/works/{doi}`` answers ``{"status": "ok", "message": {...}}`` with
``title`` and ``container-title`` as lists, ``author`` as ``{given, family}`` or ``{name}``
objects, dates as ``{"date-parts": [[2023, 5, 1]]}`` (as precise as known), and an optional
``abstract`` in JATS XML. An unknown DOI is HTTP 404.
"""

from __future__ import annotations

import html
import os
import re
import urllib.parse
from dataclasses import dataclass
from typing import Any

from .arxiv import SourceError
from .http import HttpClient, HttpError

DEFAULT_URL = "https://api.crossref.org"
DOI_RE = re.compile(r"^10\.[0-9]{4,9}/\S+$")


def parse_doi(text: str) -> str | None:
    """The DOI in ``10.x/y``, ``doi:10.x/y`` or a doi.org URL; else None."""
    text = text.strip()
    text = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.IGNORECASE)
    text = urllib.parse.unquote(text)
    return text if DOI_RE.match(text) else None


@dataclass(frozen=True)
class CrossrefWork:
    """What Crossref says about one DOI, ready to become entry fields."""

    doi: str
    title: str
    authors: tuple[str, ...]
    published: str | None  #: YYYY, YYYY-MM or YYYY-MM-DD
    venue: str | None
    abstract: str | None
    url: str | None

    def fields(self) -> dict[str, object]:
        return {"title": self.title, "authors": list(self.authors), "published": self.published,
                "doi": self.doi, "venue": self.venue, "abstract": self.abstract}


def client_from_env(**overrides: object) -> HttpClient:
    """An HttpClient for Crossref at ``CROSSREF_API_URL`` (default: the real service)."""
    options: dict[str, object] = {"timeout": 20.0, "retries": 3, "backoff": 1.0,
                                  "min_interval": 1.0}
    options.update(overrides)
    return HttpClient(os.environ.get("CROSSREF_API_URL") or DEFAULT_URL, **options)  # type: ignore[arg-type]


def fetch(doi: str, client: HttpClient) -> CrossrefWork:
    """Look up one DOI. Raises SourceError (unknown DOI, bad answer) or HttpError."""
    try:
        data = client.get_json("works/" + urllib.parse.quote(doi, safe="/"))
    except HttpError as exc:
        if exc.status == 404:
            raise SourceError(f"Crossref has no work with DOI {doi}: check it "
                              f"(https://doi.org/{doi})") from None
        if exc.status is None and str(exc).startswith("malformed JSON"):
            raise SourceError(f"Crossref answered something that is not JSON for {doi} "
                              "(try again in a minute)") from None
        raise
    return parse_work(data, doi)


def parse_work(data: Any, doi: str) -> CrossrefWork:
    """Turn Crossref's JSON answer into a :class:`CrossrefWork`."""
    message = data.get("message") if isinstance(data, dict) else None
    if not isinstance(message, dict):
        raise SourceError(f"Crossref's answer for {doi} has no work record")
    title = " ".join(_first(message.get("title")).split())
    if not title:
        raise SourceError(f"Crossref's record of {doi} has no title")
    authors = []
    for person in message.get("author") or []:
        if not isinstance(person, dict):
            continue
        name = " ".join(str(p) for p in (person.get("given"), person.get("family")) if p)
        name = " ".join((name or str(person.get("name") or "")).split())
        if name:
            authors.append(name)
    return CrossrefWork(doi=str(message.get("DOI") or doi), title=title,
                        authors=tuple(authors), published=_date(message),
                        venue=" ".join(_first(message.get("container-title")).split()) or None,
                        abstract=jats_to_text(message.get("abstract") or "") or None,
                        url=message.get("URL") if isinstance(message.get("URL"), str) else None)


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _date(message: dict[str, Any]) -> str | None:
    """The earliest of the work's dates, as precise as Crossref knows it."""
    found = []
    for key in ("published-print", "published-online", "published", "issued"):
        parts = (message.get(key) or {}).get("date-parts") or [[]]
        first = parts[0] if parts and isinstance(parts[0], list) else []
        if first and all(isinstance(p, int) for p in first) and first[0] >= 1000:
            found.append(tuple(first[:3]))
    if not found:
        return None
    best = min(found, key=lambda p: (p[0], p[1] if len(p) > 1 else 0,
                                     p[2] if len(p) > 2 else 0))
    return "-".join([f"{best[0]:04d}"] + [f"{p:02d}" for p in best[1:]])


def jats_to_text(jats: str) -> str:
    """Plain text from a JATS abstract: paragraphs kept, tags and the "Abstract" title gone."""
    if not jats.strip():
        return ""
    text = re.sub(r"<jats:title>.*?</jats:title>", "", jats, flags=re.DOTALL)
    text = re.sub(r"</jats:p>|<jats:p[^>]*>", "\n\n", text)
    text = html.unescape(re.sub(r"<[^>]+>", "", text))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)
