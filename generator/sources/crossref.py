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
    people = message.get("author")
    for person in people if isinstance(people, list) else []:
        if not isinstance(person, dict):
            continue
        name = " ".join(p for p in (person.get("given"), person.get("family"))
                        if isinstance(p, str) and p)
        if not name.strip() and isinstance(person.get("name"), str):
            name = person["name"]
        name = " ".join(name.split())
        if name:
            authors.append(name)
    found_doi, abstract, url = (message.get(k) for k in ("DOI", "abstract", "URL"))
    return CrossrefWork(doi=found_doi if isinstance(found_doi, str) and found_doi else doi,
                        title=title, authors=tuple(authors), published=_date(message),
                        venue=" ".join(_first(message.get("container-title")).split()) or None,
                        abstract=(jats_to_text(abstract) or None) if isinstance(abstract, str)
                        else None,
                        url=url if isinstance(url, str) else None)


def _first(value: Any) -> str:
    if isinstance(value, list):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def _date(message: dict[str, Any]) -> str | None:
    """The earliest of the work's dates, as precise as Crossref knows it."""
    found = []
    for key in ("published-print", "published-online", "published", "issued"):
        # Every level is checked: the answer is untrusted, a string or a list where an
        # object belongs must not raise, and a month of 10**400 is no date.
        date = message.get(key)
        parts = date.get("date-parts") if isinstance(date, dict) else None
        first = parts[0] if isinstance(parts, list) and parts else None
        if not isinstance(first, list) or not first:
            continue
        first = first[:3]
        if all(isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= high
               for p, high in zip(first, (9999, 12, 31), strict=False)) and first[0] >= 1000:
            found.append(tuple(first))
    if not found:
        return None
    best = min(found, key=lambda p: (p[0], p[1] if len(p) > 1 else 0,
                                     p[2] if len(p) > 2 else 0))
    return "-".join([f"{best[0]:04d}"] + [f"{p:02d}" for p in best[1:]])


#: JATS elements whose end starts a new paragraph (``jats:p``; also ``jats:sec`` and
#: ``jats:title`` boundaries, which never sit inside a sentence).
_PARAGRAPH_TAGS = frozenset({"jats:p", "/jats:p", "jats:sec", "/jats:sec"})


def jats_to_text(jats: str) -> str:
    """Plain text from a JATS abstract: paragraphs kept, tags and the "Abstract" title gone.

    One pass over the text with ``str.find`` (no regular expression that could backtrack),
    so the time is linear in the length of the answer however it is crafted: thousands of
    unclosed ``<jats:title>`` or ``<`` cost no more than ordinary text.
    """
    if not jats.strip():
        return ""
    out: list[str] = []
    pos = 0
    title_closed = True  # False once a <jats:title> was found to have no end after it
    while True:
        lt = jats.find("<", pos)
        gt = jats.find(">", lt + 1) if lt >= 0 else -1
        if gt < 0:  # no tag can start after this point: the rest is text
            out.append(jats[pos:])
            break
        # In "a < b <jats:italic>" the tag is the last "<" before ">"; the others are text.
        lt = jats.rfind("<", lt, gt)
        out.append(jats[pos:lt])
        if gt == lt + 1:  # "<>" is text, not a tag
            out.append("<>")
            pos = gt + 1
            continue
        tag = jats[lt + 1:gt]
        name = tag.split(None, 1)[0].rstrip("/").lower() if tag.strip() else ""
        pos = gt + 1
        if name == "jats:title" and title_closed:
            end = jats.find("</jats:title>", pos)
            if end >= 0:  # the "Abstract" heading: dropped with its text
                pos = end + len("</jats:title>")
                out.append("\n\n")
                continue
            title_closed = False  # none later either: do not search again
        if name in _PARAGRAPH_TAGS:
            out.append("\n\n")
    text = html.unescape("".join(out))
    paragraphs: list[list[str]] = [[]]
    for line in text.split("\n"):
        if line.strip():
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "\n\n".join(" ".join(" ".join(p).split()) for p in paragraphs if p)
