"""``reading-list import``: candidate entries from an arXiv listing or API feed.

A lab follows arXiv categories without copying by hand: the arXiv RSS listing
(``https://rss.arxiv.org/rss/cs.CR``) or an arXiv API query (Atom) is parsed with feedparser,
papers already on the list (same arXiv id, DOI or title) or already waiting in the inbox are
skipped, and each remaining paper becomes ``papers/inbox/<id>.yaml``. The inbox is not read by
``check`` or ``build`` (they read only the top folder). An imported entry carries placeholder
``category`` and ``tags`` that ``check`` rejects, so nothing half-reviewed is published by
moving the file without finishing it.

Parsing and planning are pure; only :func:`fetch` touches the network (through HttpClient).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import nh3

from ..core.authoring import Known, dump_entry, make_id, with_schema_header
from ..core.entries import ARXIV_ID, normalize_space, title_key
from ..core.files import atomic_write
from .http import HttpClient

PLACEHOLDER_CATEGORY = "choose-a-category"
PLACEHOLDER_TAGS = ("choose-tags",)
MAX_FEED_BYTES = 32 * 1024 * 1024
ARXIV_RSS_BASE = "https://rss.arxiv.org/rss/"  #: for a bare category such as cs.CR
# arXiv ids as they appear in feed links and ids, with an optional version suffix.
_ARXIV_IN_URL = re.compile(rf"arxiv\.org/(?:abs|pdf)/({ARXIV_ID})(?:v\d+)?", re.IGNORECASE)
_ARXIV_OAI = re.compile(rf"oai:arXiv\.org:({ARXIV_ID})")
_CATEGORY = re.compile(r"^[a-z-]+(\.[A-Za-z-]+)?(\+[a-z-]+(\.[A-Za-z-]+)?)*$")
_RSS_PREFIX = re.compile(r"^\s*arXiv:\S+\s+Announce Type:\s*\S+\s*(Abstract:\s*)?",
                         re.IGNORECASE)


class ImportError_(Exception):  # noqa: N801 - "ImportError" is a builtin
    """The feed cannot be read or used; the message is one line for the user."""


@dataclass(frozen=True)
class Candidate:
    """One paper read from a feed, not yet on the list."""

    arxiv: str
    title: str
    abstract: str
    authors: tuple[str, ...] = ()
    published: str | None = None  #: YYYY-MM-DD from the API, else YYYY-MM from the id
    doi: str | None = None
    announce: str = ""  #: arXiv RSS announce type: new, cross, replace, replace-cross


@dataclass
class Plan:
    """What an import would do: entries to write and why the rest were skipped."""

    write: list[tuple[str, Candidate]] = field(default_factory=list)  #: (new id, paper)
    known: list[Candidate] = field(default_factory=list)  #: on the list or in the inbox
    unmatched: int = 0
    replacements: int = 0  #: arXiv "replace" announcements: old papers, new versions
    over_limit: int = 0


# ---------------------------------------------------------------------------- reading


def source_url(source: str, env: dict[str, str] | None = None) -> str | None:
    """The URL to fetch for ``source``: itself when it is an http(s) URL, the arXiv RSS
    listing for a bare category (``cs.CR``; base URL from ``READING_LIST_ARXIV_RSS``),
    None for a local file."""
    if re.match(r"^https?://", source, re.IGNORECASE):
        return source
    if _CATEGORY.match(source) and not Path(source).exists():
        base = (env or {}).get("READING_LIST_ARXIV_RSS") or ARXIV_RSS_BASE
        return base.rstrip("/") + "/" + source
    return None


def fetch(url: str, timeout: float = 30.0, retries: int = 2, sleep: Any = None) -> bytes:
    """GET a feed through the shared HTTP client (retries 5xx/429, honours Retry-After)."""
    kwargs: dict[str, Any] = {"timeout": timeout, "retries": retries,
                              "headers": {"Accept": "application/atom+xml, application/rss+xml,"
                                                    " application/xml;q=0.9, */*;q=0.5"}}
    if sleep is not None:
        kwargs["sleep"] = sleep
    return HttpClient(url, **kwargs).get("")


def read_source(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FEED_BYTES:
            raise ImportError_(f"{path}: {size:,} bytes is too large for a feed")
        return path.read_bytes()
    except FileNotFoundError:
        raise ImportError_(f"{path}: no such file (give a feed file, an http(s) URL or an "
                           "arXiv category such as cs.CR)") from None
    except OSError as exc:
        raise ImportError_(f"{path}: cannot read: {exc.strerror}") from None


def _text(value: str | None, detail: Any = None) -> str:
    """Feed text as plain text: markup removed, entities decoded, whitespace normalized."""
    if not value:
        return ""
    kind = getattr(detail, "type", "") if detail is not None else ""
    if kind != "text/plain":
        value = nh3.clean(value, tags=set())
    return normalize_space(html.unescape(value))


def arxiv_id(entry: Any) -> str | None:
    """The arXiv id (without version) of a feed entry, from its id, link or links."""
    texts = [entry.get("id", ""), entry.get("link", "")]
    texts += [link.get("href", "") for link in entry.get("links", [])]
    for text in texts:
        match = _ARXIV_IN_URL.search(text or "") or _ARXIV_OAI.search(text or "")
        if match:
            return match.group(1)
    return None


def month_of(arxiv: str) -> str | None:
    """The submission month encoded in an arXiv id: 2505.20118 -> 2025-05."""
    digits = arxiv.split("/")[-1][:4]
    if not digits.isdigit():
        return None
    yy, mm = int(digits[:2]), int(digits[2:])
    if not 1 <= mm <= 12:
        return None
    year = 1900 + yy if "/" in arxiv and yy >= 91 else 2000 + yy
    return f"{year:04d}-{mm:02d}"


def _authors(entry: Any) -> tuple[str, ...]:
    names: list[str] = []
    for author in entry.get("authors", []) or []:
        name = author.get("name", "") if isinstance(author, dict) else str(author)
        # arXiv RSS puts every author in one dc:creator: "A, B and C".
        for part in re.split(r",\s*|\s+and\s+", name):
            part = " ".join(html.unescape(part).split())
            if part:
                names.append(part)
    seen: set[str] = set()
    return tuple(n for n in names if not (n in seen or seen.add(n)))


def _published(entry: Any, arxiv: str, atom: bool) -> str | None:
    month = month_of(arxiv)
    parsed = entry.get("published_parsed")
    if parsed and atom:
        day = f"{parsed.tm_year:04d}-{parsed.tm_mon:02d}-{parsed.tm_mday:02d}"
        # The API's <published> is the first version's date (kept when it agrees with the
        # id's month); an RSS pubDate is the announcement day, so RSS gives the month only.
        if month is None or day.startswith(month):
            return day
    return month


def parse_feed(data: bytes) -> list[Candidate]:
    """Read an arXiv Atom (API) or RSS (listing) document. Raises ImportError_ when it is
    not a feed or is an arXiv API error."""
    parsed = feedparser.parse(data)
    entries = parsed.get("entries", [])
    if parsed.get("bozo") and not entries:
        reason = parsed.get("bozo_exception")
        raise ImportError_(f"not an Atom or RSS feed ({reason})" if reason else
                           "not an Atom or RSS feed")
    if not entries and not parsed.get("version"):
        raise ImportError_("not an Atom or RSS feed (no feed element and no entries)")
    atom = str(parsed.get("version", "")).startswith("atom")
    out: list[Candidate] = []
    for entry in entries:
        if "api/errors" in entry.get("id", ""):
            raise ImportError_("the arXiv API answered with an error: "
                               + (_text(entry.get("summary")) or "no details"))
        ident = arxiv_id(entry)
        title = _text(entry.get("title"), entry.get("title_detail"))
        if not ident or not title:
            continue
        abstract = _text(entry.get("summary"), entry.get("summary_detail"))
        abstract = _RSS_PREFIX.sub("", abstract).strip()
        announce = str(entry.get("arxiv_announce_type") or "").strip().lower()
        doi = (entry.get("arxiv_doi") or "").strip() or None
        if doi and not re.match(r"^10\.[0-9]{4,9}/\S+$", doi):
            doi = None
        out.append(Candidate(ident, title, abstract or title, _authors(entry),
                             _published(entry, ident, atom), doi, announce))
    return out


# ---------------------------------------------------------------------------- planning


def match_words(text: str | None) -> list[str]:
    """``--match`` words: comma-separated phrases when there is a comma, else words."""
    if not text:
        return []
    parts = text.split(",") if "," in text else text.split()
    return [" ".join(p.lower().split()) for p in parts if p.strip()]


def matches(candidate: Candidate, words: Sequence[str]) -> bool:
    """True when the title or abstract contains any of ``words`` (case-insensitive)."""
    if not words:
        return True
    hay = " ".join((candidate.title + " " + candidate.abstract).lower().split())
    return any(word in hay for word in words)


def plan_import(candidates: Sequence[Candidate], known: Known, words: Sequence[str] = (),
                limit: int | None = None, replacements: bool = False) -> Plan:
    """Decide which candidates become inbox entries, in feed order."""
    plan = Plan()
    taken = set(known.ids)
    seen_arxiv = set(known.arxiv)
    seen_doi = set(known.doi)
    seen_titles = set(known.titles)
    for cand in candidates:
        if cand.announce.startswith("replace") and not replacements:
            plan.replacements += 1
            continue
        if (cand.arxiv.lower() in seen_arxiv or (cand.doi and cand.doi.lower() in seen_doi)
                or title_key(cand.title) in seen_titles):
            plan.known.append(cand)
            continue
        if not matches(cand, words):
            plan.unmatched += 1
            continue
        if limit is not None and len(plan.write) >= limit:
            plan.over_limit += 1
            continue
        new_id = make_id(cand.title, taken)
        taken.add(new_id)
        seen_arxiv.add(cand.arxiv.lower())
        if cand.doi:
            seen_doi.add(cand.doi.lower())
        seen_titles.add(title_key(cand.title))
        plan.write.append((new_id, cand))
    return plan


def entry_text(candidate: Candidate, today: dt.date, source: str) -> str:
    """The YAML of a candidate entry, with a comment saying what the curator must do."""
    fields: dict[str, Any] = {
        "title": candidate.title,
        "authors": list(candidate.authors),
        "published": candidate.published,
        "added": today.isoformat(),
        "arxiv": candidate.arxiv,
        "doi": candidate.doi,
        "category": PLACEHOLDER_CATEGORY,
        "tags": list(PLACEHOLDER_TAGS),
        "abstract": candidate.abstract,
    }
    text = dump_entry(fields)
    header, _, body = text.partition("\n")
    origin = " ".join(source.split())
    comment = (
        f"# CANDIDATE imported on {today.isoformat()} from {origin}\n"
        "# Not on the list yet. To publish it: replace the placeholder category and tags with\n"
        "# slugs from papers/taxonomy.yml, add a note on why it belongs, set 'added' to the\n"
        "# day you publish it, then move this file to papers/. `reading-list check` rejects\n"
        "# the placeholders until then. To reject the paper, delete this file.\n")
    return f"{header}\n{comment}{body}"


def write_plan(plan: Plan, inbox: Path, today: dt.date, source: str) -> list[Path]:
    """Write the planned entries into ``inbox`` (atomically, never over an existing file)."""
    written = []
    for new_id, cand in plan.write:
        path = inbox / f"{new_id}.yaml"
        if path.exists():  # known_papers read the inbox, so only a race gets here
            continue
        atomic_write(path, with_schema_header(entry_text(cand, today, source), path))
        written.append(path)
    return written
