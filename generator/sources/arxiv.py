"""The arXiv API: one paper's metadata by id, as entry fields.

The API answers Atom (parsed with feedparser). Its traps, all handled here: an unknown but
well-formed id gives an empty feed (HTTP 200); a malformed id gives HTTP 200 (or 400) with a
single entry titled "Error" whose id is ``.../api/errors#...``; throttling may come back as a
plain-text body instead of a feed; titles and abstracts are hard-wrapped; entry ids carry a
version suffix. arXiv asks clients for at most one request every three seconds.
"""

from __future__ import annotations

import os
import re
import xml.parsers.expat
import xml.sax
from dataclasses import dataclass, field

import feedparser

from ..core.entries import ARXIV_ID
from .http import HttpClient, HttpError

DEFAULT_URL = "https://export.arxiv.org/api/query"
MIN_INTERVAL = 3.0  # arXiv's terms of use: no more than one request every three seconds
#: One paper's entry is a few kilobytes; a larger answer is not one we asked for.
MAX_ANSWER_BYTES = 2 * 1024 * 1024

ID_RE = re.compile(rf"^(?P<id>{ARXIV_ID})(?:v(?P<version>[0-9]+))?$")
_URL_RE = re.compile(
    r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/(?P<rest>.+?)"
    r"(?:\.pdf)?/?(?:[?#].*)?$", re.IGNORECASE)
_WITHDRAWN_RE = re.compile(
    r"^\s*(?:this (?:paper|article|submission|manuscript|work|preprint) (?:has been|is|was) )?"
    r"withdrawn\b", re.IGNORECASE)


class SourceError(Exception):
    """A lookup that failed for a reason the user should read (unknown id, withdrawn...)."""


def parse_arxiv_id(text: str) -> str | None:
    """The bare arXiv id (no version) in an id, ``arXiv:`` id or abs/pdf URL; else None.

    >>> parse_arxiv_id("https://arxiv.org/pdf/2505.20118v2.pdf")
    '2505.20118'
    """
    text = text.strip()
    match = _URL_RE.match(text)
    candidate = match.group("rest") if match else re.sub(r"^arxiv:\s*", "", text,
                                                         flags=re.IGNORECASE)
    found = ID_RE.match(candidate)
    if not found:
        return None
    ident = found.group("id")
    if "/" not in ident:
        # New-style ids: YYMM.NNNN from 0704 to 1412, YYMM.NNNNN since 1501.
        yymm, number = ident.split(".")
        if len(number) != (5 if yymm >= "1501" else 4):
            return None
    return ident


@dataclass(frozen=True)
class ArxivPaper:
    """What arXiv says about one paper, ready to become entry fields."""

    arxiv: str  #: without version
    title: str
    abstract: str
    authors: tuple[str, ...]
    published: str  #: first version's date, YYYY-MM-DD
    doi: str | None = None
    journal_ref: str | None = None
    comment: str | None = None
    categories: tuple[str, ...] = field(default=())

    def fields(self) -> dict[str, object]:
        """Entry fields (title, authors, published, arxiv, doi, venue, abstract)."""
        return {"title": self.title, "authors": list(self.authors),
                "published": self.published, "arxiv": self.arxiv, "doi": self.doi,
                "venue": self.journal_ref, "abstract": self.abstract}


def client_from_env(**overrides: object) -> HttpClient:
    """An HttpClient for the arXiv API at ``ARXIV_API_URL`` (default: the real service)."""
    options: dict[str, object] = {"timeout": 20.0, "retries": 3, "backoff": 3.0,
                                  "min_interval": MIN_INTERVAL, "max_bytes": MAX_ANSWER_BYTES}
    options.update(overrides)
    return HttpClient(os.environ.get("ARXIV_API_URL") or DEFAULT_URL, **options)  # type: ignore[arg-type]


def fetch(arxiv_id: str, client: HttpClient) -> ArxivPaper:
    """Look up one paper. Raises SourceError (unknown, withdrawn, bad answer) or HttpError."""
    raw = client.get("", {"id_list": arxiv_id, "max_results": 1})
    return parse_feed(raw, arxiv_id)


def parse_feed(raw: bytes, arxiv_id: str) -> ArxivPaper:
    """Turn an API answer for ``arxiv_id`` into an :class:`ArxivPaper`."""
    # feedparser falls back to a slow, regex-based "loose" parser for text that is not
    # well-formed XML (a megabyte of tag soup takes it minutes), only for the answer to be
    # refused below anyway; expat says the same in linear time, so ask it first.
    feed = feedparser.parse(raw) if _well_formed(raw) else {}
    if not feed or feed.get("bozo") and isinstance(feed.get("bozo_exception"),
                                                   xml.sax.SAXException) \
            or not str(feed.get("version", "")).startswith("atom"):
        snippet = " ".join(raw[:80].decode("utf-8", "replace").split())
        raise SourceError(f"arXiv answered something that is not an Atom feed: {snippet!r} "
                          "(arXiv may be busy; try again in a minute)")
    entries = [e for e in feed.entries if e.get("id") or e.get("title")]
    for entry in entries:
        if "/api/errors" in entry.get("id", "") or entry.get("title", "").strip() == "Error":
            reason = " ".join(entry.get("summary", "").split()) or "unknown error"
            raise SourceError(f"arXiv rejected the id {arxiv_id}: {reason}")
    matching = [e for e in entries if parse_arxiv_id(e.get("id", "")) == arxiv_id]
    if not matching:
        raise SourceError(f"arXiv has no paper {arxiv_id}: check the id "
                          f"(https://arxiv.org/abs/{arxiv_id})")
    entry = matching[0]
    title = " ".join(entry.get("title", "").split())
    abstract = unwrap(entry.get("summary", ""))
    comment = " ".join(entry.get("arxiv_comment", "").split()) or None
    if (comment and _WITHDRAWN_RE.search(comment)) or _WITHDRAWN_RE.search(abstract):
        raise SourceError(f"arXiv {arxiv_id} has been withdrawn by its authors"
                          + (f" ({comment})" if comment else "") + "; it is not added")
    published = entry.get("published", "")[:10]
    if not title or not abstract or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", published):
        raise SourceError(f"arXiv's record of {arxiv_id} lacks a title, abstract or date")
    authors = tuple(" ".join(a.get("name", "").split()) for a in entry.get("authors", [])
                    if a.get("name", "").strip())
    doi = (entry.get("arxiv_doi") or "").strip() or None
    if doi and not re.fullmatch(r"10\.[0-9]{4,9}/\S+", doi):
        doi = None  # arXiv occasionally holds several DOIs in one field; do not guess
    journal = " ".join((entry.get("arxiv_journal_ref") or "").split()) or None
    categories = tuple(t["term"] for t in entry.get("tags", []) if t.get("term"))
    return ArxivPaper(arxiv_id, title, abstract, authors, published, doi, journal, comment,
                      categories)


def _well_formed(raw: bytes) -> bool:
    """Whether ``raw`` is well-formed XML (expat: one linear pass, entity expansion bounded,
    no external entities fetched)."""
    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(raw, True)
    except xml.parsers.expat.ExpatError:
        return False
    return True


def unwrap(text: str) -> str:
    """Undo arXiv's hard wrapping, keeping paragraphs and every character of LaTeX.

    arXiv wraps abstracts at ~80 columns; an indented line or a blank line starts a new
    paragraph (as on the abs page). Paragraphs are joined with a blank line.
    """
    paragraphs: list[list[str]] = [[]]
    for line in text.strip("\n").split("\n"):
        if not line.strip():
            paragraphs.append([])
            continue
        if line[:1].isspace() and paragraphs[-1]:
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return "\n\n".join(" ".join(" ".join(p).split()) for p in paragraphs if p)


__all__ = ["ArxivPaper", "HttpError", "SourceError", "client_from_env", "fetch",
           "parse_arxiv_id", "parse_feed", "unwrap"]
