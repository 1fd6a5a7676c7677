"""Batched metadata look-ups for ``reading-list enrich``: arXiv, Semantic Scholar, Crossref,
OpenAlex.

Each look-up takes many keys and returns a :class:`Lookup`: a :class:`Record` per key the
service knows, the keys it does not know, and the keys it could not answer (with why). A
service that fails never raises here: failures are data, so one broken service only costs its
own answers, and after :data:`MAX_CONSECUTIVE_FAILURES` failed requests in a row a
:class:`Breaker` stops asking it (the rest would fail too, only slower).

The services' shapes, as handled here:

- arXiv (``GET {ARXIV_API_URL}?id_list=a,b,...&max_results=N``): one Atom feed for up to
  :data:`ARXIV_BATCH` ids, entries in any order (matched by id), unknown ids simply absent
  (or an entry without an id), a malformed id turns the whole answer into one "Error" entry,
  throttling may answer plain text. At most one request every three seconds.
- Semantic Scholar (``POST {SEMANTIC_SCHOLAR_API_URL}/graph/v1/paper/batch?fields=...`` with
  ``{"ids": ["ARXIV:2505.20118", "DOI:10..."]}``): a JSON list in the order asked, ``null``
  for an id it does not know; up to 500 ids. ``SEMANTIC_SCHOLAR_API_KEY`` goes in
  ``x-api-key``.
- Crossref (``GET {CROSSREF_API_URL}/works/{doi}``, parsed by :mod:`.crossref`): the abstract
  in JATS XML; 404 for an unknown DOI.
- OpenAlex (``GET {OPENALEX_API_URL}/works/doi:{doi}``): the abstract only as an inverted
  index (word -> positions), rebuilt here; authorships capped at 100; 404 when unknown.

Everything a service says is untrusted text: markup is stripped (nh3), entities decoded,
whitespace normalized, ``$...$`` math kept as written, and a code link is taken only when it
is an http(s) URL of a GitHub repository.
"""

from __future__ import annotations

import datetime as dt
import html
import os
import re
import urllib.parse
import xml.sax
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import feedparser
import nh3

from ..core.entries import normalize_space
from . import arxiv, crossref
from .http import HttpClient, HttpError
from .signals import GITHUB_REPO_RE, MAX_CONSECUTIVE_FAILURES

ARXIV_BATCH = 100  #: ids per arXiv request (its manual asks for slices of at most ~100-2000)
S2_BATCH = 500  #: the batch endpoint's documented maximum
S2_DEFAULT_URL = "https://api.semanticscholar.org"
OPENALEX_DEFAULT_URL = "https://api.openalex.org"
S2_FIELDS = "title,abstract,authors,venue,year,publicationDate,externalIds"
OPENALEX_MAX_AUTHORS = 100  #: OpenAlex lists at most this many authorships
_MAX_WORDS = 20_000  #: an abstract index with more positions than this is not an abstract

ARXIV, S2, CROSSREF, OPENALEX = "arXiv", "Semantic Scholar", "Crossref", "OpenAlex"

# Preprint servers and catalogues that services report as a "venue": not where a paper
# was published, so never written as one.
_NOT_VENUES = re.compile(r"^(arxiv(\.org)?( \(cornell university\))?|corr|arxiv preprint|"
                         r"ssrn|ssrn electronic journal|biorxiv|medrxiv|research square|"
                         r"preprints?|zenodo|openreview(\.net)?)$", re.IGNORECASE)
# arXiv's own DataCite DOIs name the preprint, which the entry's `arxiv` field already does.
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.", re.IGNORECASE)
_DATE = re.compile(r"^[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?$")
_GITHUB_URL = re.compile(r"https?://(?:www\.)?github\.com/[^\s<>\"'`)\]}|\\]+", re.IGNORECASE)
# github.com/<owner> paths that are GitHub's own pages, not a user or organisation.
_GITHUB_RESERVED = {"about", "apps", "collections", "enterprise", "explore", "features",
                    "login", "marketplace", "orgs", "pricing", "settings", "site", "sponsors",
                    "topics", "trending", "users"}
_WITHDRAWN = re.compile(r"^\s*(?:this (?:paper|article|submission|manuscript|work|preprint) "
                        r"(?:has been|is|was) )?withdrawn\b", re.IGNORECASE)
# Math in abstracts: display and inline TeX, kept exactly as the service wrote it.
_MATH = re.compile(r"(\$\$.+?\$\$|\$[^$\n]+\$)", re.DOTALL)
_TAG_LIKE = re.compile(r"</?[A-Za-z][^<>]*>")


class ProviderError(Exception):
    """An answer that cannot be used (not a feed, not the expected JSON shape, ...)."""


@dataclass(frozen=True)
class Record:
    """What one service says about one paper (fields it does not know are None/empty)."""

    source: str  #: the service's name, as shown in reports: arXiv, Semantic Scholar, ...
    key: str  #: the id it was asked for (an arXiv id, "ARXIV:..."/"DOI:...", or a DOI)
    title: str = ""
    abstract: str | None = None
    authors: tuple[str, ...] = ()
    authors_complete: bool = True  #: False when the service caps its author lists
    published: str | None = None  #: YYYY, YYYY-MM or YYYY-MM-DD
    venue: str | None = None
    doi: str | None = None
    arxiv: str | None = None
    code: str | None = None  #: https://github.com/owner/repo found in its answer
    withdrawn: bool = False


@dataclass
class Lookup:
    """One service's answer for many keys."""

    records: dict[str, Record] = field(default_factory=dict)  #: key -> record
    unknown: set[str] = field(default_factory=set)  #: keys it does not know
    failed: dict[str, str] = field(default_factory=dict)  #: key -> why it was not answered
    requests: int = 0  #: requests sent


@dataclass
class Breaker:
    """Stops asking a service after several failed requests in a row."""

    label: str
    limit: int = MAX_CONSECUTIVE_FAILURES
    streak: int = 0
    last_error: str = ""

    @property
    def open(self) -> bool:
        return self.streak >= self.limit

    def failure(self, message: str) -> None:
        self.streak += 1
        self.last_error = message

    def success(self) -> None:
        self.streak = 0

    def why(self) -> str:
        return (f"not asked after {self.streak} failures in a row ({self.last_error})"
                if self.open else self.last_error)


@dataclass
class Clients:
    """One HTTP client per service, each with that service's rate limit."""

    arxiv: HttpClient
    semantic_scholar: HttpClient
    crossref: HttpClient
    openalex: HttpClient


def clients_from_env(env: Mapping[str, str] | None = None, **overrides: Any) -> Clients:
    """Clients for the four services at ``ARXIV_API_URL``, ``SEMANTIC_SCHOLAR_API_URL``,
    ``CROSSREF_API_URL`` and ``OPENALEX_API_URL`` (default: the real services).

    ``overrides`` (e.g. ``sleep``, ``timeout``, ``backoff``) apply to all four; the minimum
    interval between requests is each service's published limit: arXiv one request every
    3 s, Semantic Scholar 1 s with an API key and 3 s without (shared anonymous pool),
    Crossref's public pool 5 a second, OpenAlex 10 a second.
    """
    env = os.environ if env is None else env
    s2_key = (env.get("SEMANTIC_SCHOLAR_API_KEY") or "").strip()

    def make(url: str, min_interval: float, backoff: float, **extra: Any) -> HttpClient:
        options: dict[str, Any] = {"timeout": 20.0, "retries": 3, "backoff": backoff,
                                   "min_interval": min_interval, **extra}
        options.update(overrides)
        return HttpClient(url, **options)

    return Clients(
        arxiv=make(env.get("ARXIV_API_URL") or arxiv.DEFAULT_URL, arxiv.MIN_INTERVAL, 3.0),
        semantic_scholar=make(env.get("SEMANTIC_SCHOLAR_API_URL") or S2_DEFAULT_URL,
                              1.0 if s2_key else 3.0, 2.0,
                              headers={"x-api-key": s2_key} if s2_key else {}),
        crossref=make(env.get("CROSSREF_API_URL") or crossref.DEFAULT_URL, 0.2, 1.0),
        openalex=make(env.get("OPENALEX_API_URL") or OPENALEX_DEFAULT_URL, 0.1, 1.0),
    )


# ------------------------------------------------------------------------ untrusted text


_INVISIBLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029"
                        "\u202a-\u202e\u2060-\u2069\ufeff\ufffe\uffff]")


def clean_text(value: Any, paragraphs: bool = True) -> str:
    """Plain text from a service's string: tags stripped outside ``$...$`` math (kept
    exactly), entities decoded, control and direction-override characters dropped,
    whitespace collapsed (paragraph breaks kept when ``paragraphs``)."""
    if not isinstance(value, str):
        return ""
    parts = _MATH.split(value)
    out = []
    for i, part in enumerate(parts):
        if i % 2 == 0 and _TAG_LIKE.search(part):
            # nh3 removes every tag (and script/style contents) and escapes the rest as
            # HTML text, which unescape turns back into characters.
            part = nh3.clean(part, tags=set())
        out.append(html.unescape(part) if i % 2 == 0 else part)
    text = _INVISIBLE.sub("", "".join(out))
    return normalize_space(text) if paragraphs else " ".join(text.split())


def clean_name(value: Any) -> str:
    """An author's name or a venue: one line of plain text."""
    return clean_text(value, paragraphs=False)


def usable_venue(value: Any) -> str | None:
    """A venue worth writing: not empty and not a preprint server."""
    venue = clean_name(value)
    return venue if venue and not _NOT_VENUES.match(venue) else None


def usable_doi(value: Any) -> str | None:
    """A DOI that names the published paper (arXiv's own DataCite DOIs are not used)."""
    doi = crossref.parse_doi(value) if isinstance(value, str) else None
    return doi if doi and not _ARXIV_DOI.match(doi) else None


def find_code_link(*texts: str | None) -> str | None:
    """``https://github.com/owner/repo`` when the texts mention exactly one repository."""
    found: list[str] = []
    for text in texts:
        for match in _GITHUB_URL.finditer(text or ""):
            url = match.group().rstrip(".,;:!?'\"")
            repo = GITHUB_REPO_RE.match(url)
            if not repo or repo.group(1).lower() in _GITHUB_RESERVED:
                continue
            name = repo.group(2).rstrip(".")
            if not name or name in (".", ".."):
                continue
            link = f"https://github.com/{repo.group(1)}/{name}"
            if link.lower() not in (f.lower() for f in found):
                found.append(link)
    return found[0] if len(found) == 1 else None


def _date(value: Any) -> str | None:
    """YYYY, YYYY-MM or YYYY-MM-DD when ``value`` is a real date of that form."""
    if not isinstance(value, str) or not _DATE.match(value.strip()):
        return None
    value = value.strip()
    parts = [int(p) for p in value.split("-")]
    try:
        dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
    except ValueError:
        return None
    return value if parts[0] >= 1000 else None


def _names(values: Iterable[Any]) -> tuple[str, ...]:
    return tuple(n for n in (clean_name(v) for v in values) if n)


# ----------------------------------------------------------------------------- arXiv


def fetch_arxiv(ids: Sequence[str], client: HttpClient, breaker: Breaker | None = None
                ) -> Lookup:
    """Look up arXiv ids (without versions), :data:`ARXIV_BATCH` per request."""
    breaker = breaker or Breaker(ARXIV)
    result = Lookup()
    ids = list(dict.fromkeys(ids))
    for start in range(0, len(ids), ARXIV_BATCH):
        batch = ids[start:start + ARXIV_BATCH]
        if breaker.open:
            result.failed.update((i, breaker.why()) for i in batch)
            continue
        try:
            result.requests += 1
            raw = client.get("", {"id_list": ",".join(batch), "max_results": len(batch)})
            records = parse_arxiv_batch(raw)
        except (HttpError, ProviderError) as exc:
            breaker.failure(str(exc))
            result.failed.update((i, str(exc)) for i in batch)
            continue
        breaker.success()
        for ident in batch:
            if ident in records:
                result.records[ident] = records[ident]
            else:
                result.unknown.add(ident)
    return result


def parse_arxiv_batch(raw: bytes) -> dict[str, Record]:
    """The records of an arXiv API answer, by id. Raises ProviderError for an answer that
    is not a feed or that arXiv marked as an error."""
    feed = feedparser.parse(raw)
    if (feed.get("bozo") and isinstance(feed.get("bozo_exception"), xml.sax.SAXException)) \
            or not str(feed.get("version", "")).startswith("atom"):
        snippet = " ".join(raw[:80].decode("utf-8", "replace").split())
        raise ProviderError(f"arXiv answered something that is not an Atom feed: "
                            f"{clean_name(snippet)!r}")
    records: dict[str, Record] = {}
    for entry in feed.entries:
        if "/api/errors" in entry.get("id", "") or entry.get("title", "").strip() == "Error":
            reason = clean_name(entry.get("summary", "")) or "unknown error"
            raise ProviderError(f"arXiv rejected the query: {reason}")
        ident = arxiv.parse_arxiv_id(entry.get("id", "") or "")
        if ident is None or ident in records:
            continue  # an id arXiv does not know may come back as an entry without an id
        comment = clean_name(entry.get("arxiv_comment", ""))
        abstract = arxiv.unwrap(_INVISIBLE.sub("", entry.get("summary", "") or ""))
        withdrawn = bool(_WITHDRAWN.search(comment) or _WITHDRAWN.search(abstract))
        records[ident] = Record(
            source=ARXIV, key=ident, arxiv=ident,
            title=clean_name(entry.get("title", "")),
            abstract=None if withdrawn else (abstract or None),
            authors=_names(a.get("name", "") for a in entry.get("authors", [])),
            published=_date((entry.get("published") or "")[:10]),
            venue=usable_venue(entry.get("arxiv_journal_ref")),
            doi=usable_doi(entry.get("arxiv_doi") or ""),
            code=find_code_link(None if withdrawn else abstract, comment),
            withdrawn=withdrawn)
    return records


# ------------------------------------------------------------------- Semantic Scholar


def fetch_semantic_scholar(keys: Sequence[str], client: HttpClient,
                           breaker: Breaker | None = None) -> Lookup:
    """Look up ``ARXIV:<id>`` / ``DOI:<doi>`` keys, :data:`S2_BATCH` per request."""
    breaker = breaker or Breaker(S2)
    result = Lookup()
    keys = list(dict.fromkeys(keys))
    for start in range(0, len(keys), S2_BATCH):
        batch = keys[start:start + S2_BATCH]
        if breaker.open:
            result.failed.update((k, breaker.why()) for k in batch)
            continue
        try:
            result.requests += 1
            answer = client.post_json("graph/v1/paper/batch", {"ids": batch},
                                      params={"fields": S2_FIELDS})
            if not isinstance(answer, list) or len(answer) != len(batch):
                raise ProviderError(f"unexpected answer from {S2}: expected a list of "
                                    f"{len(batch)} papers")
        except (HttpError, ProviderError) as exc:
            breaker.failure(str(exc))
            result.failed.update((k, str(exc)) for k in batch)
            continue
        breaker.success()
        for key, item in zip(batch, answer, strict=True):
            if item is None:  # the documented answer for an id it does not know
                result.unknown.add(key)
            elif not isinstance(item, dict):
                result.failed[key] = f"unexpected answer from {S2} for {key}"
            else:
                result.records[key] = parse_semantic_scholar(item, key)
    return result


def parse_semantic_scholar(item: Mapping[str, Any], key: str) -> Record:
    """One paper of the batch answer; fields of an unexpected type are ignored."""
    ids = item.get("externalIds") if isinstance(item.get("externalIds"), dict) else {}
    authors = item.get("authors") if isinstance(item.get("authors"), list) else []
    year = item.get("year")
    published = _date(item.get("publicationDate")) or (
        _date(str(year)) if isinstance(year, int) and not isinstance(year, bool) else None)
    abstract = clean_text(item.get("abstract")) or None
    arxiv_id = ids.get("ArXiv")
    return Record(
        source=S2, key=key, title=clean_name(item.get("title")), abstract=abstract,
        authors=_names(a.get("name") for a in authors if isinstance(a, dict)),
        published=published, venue=usable_venue(item.get("venue")),
        doi=usable_doi(ids.get("DOI") or ""),
        arxiv=arxiv.parse_arxiv_id(arxiv_id) if isinstance(arxiv_id, str) else None,
        code=find_code_link(abstract))


# ------------------------------------------------------------------- Crossref, OpenAlex


def _one_by_one(keys: Sequence[str], breaker: Breaker,
                get: Callable[[str], Record | None]) -> Lookup:
    result = Lookup()
    for key in dict.fromkeys(keys):
        if breaker.open:
            result.failed[key] = breaker.why()
            continue
        try:
            result.requests += 1
            record = get(key)
        except (HttpError, ProviderError) as exc:
            breaker.failure(str(exc))
            result.failed[key] = str(exc)
            continue
        breaker.success()
        if record is None:
            result.unknown.add(key)
        else:
            result.records[key] = record
    return result


def fetch_crossref(dois: Sequence[str], client: HttpClient,
                   breaker: Breaker | None = None) -> Lookup:
    """Look up DOIs in Crossref, one request each (it has no batch look-up by DOI)."""

    def get(doi: str) -> Record | None:
        try:
            data = client.get_json("works/" + urllib.parse.quote(doi, safe="/"))
        except HttpError as exc:
            if exc.status == 404:  # Crossref's answer for a DOI it does not know
                return None
            raise
        try:
            work = crossref.parse_work(data, doi)
        except arxiv.SourceError as exc:
            raise ProviderError(str(exc)) from None
        abstract = clean_text(work.abstract) or None
        return Record(source=CROSSREF, key=doi, title=clean_name(work.title),
                      abstract=abstract, authors=_names(work.authors),
                      published=_date(work.published), venue=usable_venue(work.venue),
                      doi=usable_doi(work.doi), code=find_code_link(abstract))

    return _one_by_one(dois, breaker or Breaker(CROSSREF), get)


def fetch_openalex(dois: Sequence[str], client: HttpClient,
                   breaker: Breaker | None = None) -> Lookup:
    """Look up DOIs in OpenAlex (``works/doi:<doi>``: a free single-work request)."""

    def get(doi: str) -> Record | None:
        try:
            data = client.get_json("works/doi:" + urllib.parse.quote(doi, safe="/"))
        except HttpError as exc:
            if exc.status == 404:
                return None
            raise
        if not isinstance(data, dict):
            raise ProviderError(f"unexpected answer from {OPENALEX} for {doi}")
        return parse_openalex(data, doi)

    return _one_by_one(dois, breaker or Breaker(OPENALEX), get)


def parse_openalex(work: Mapping[str, Any], doi: str) -> Record:
    """One OpenAlex work; the abstract is rebuilt from its inverted index."""
    authorships = work.get("authorships") if isinstance(work.get("authorships"), list) else []
    names = _names((a.get("author") or {}).get("display_name") for a in authorships
                   if isinstance(a, dict) and isinstance(a.get("author"), dict))
    location = work.get("primary_location")
    source = location.get("source") if isinstance(location, dict) else None
    venue = None
    if isinstance(source, dict) and source.get("type") != "repository":
        venue = usable_venue(source.get("display_name"))
    abstract = clean_text(rebuild_abstract(work.get("abstract_inverted_index"))) or None
    found_doi = work.get("doi")
    return Record(
        source=OPENALEX, key=doi, title=clean_name(work.get("title") or
                                                   work.get("display_name")),
        abstract=abstract, authors=names,
        authors_complete=len(authorships) < OPENALEX_MAX_AUTHORS,
        published=_date(work.get("publication_date")) or (
            _date(str(work["publication_year"]))
            if isinstance(work.get("publication_year"), int) else None),
        venue=venue, doi=usable_doi(found_doi) if isinstance(found_doi, str) else None,
        code=find_code_link(abstract))


def rebuild_abstract(index: Any) -> str:
    """The text of an inverted index ``{word: [positions]}`` ("" when it is not one)."""
    if not isinstance(index, dict):
        return ""
    at: dict[int, str] = {}
    for word, positions in index.items():
        if not isinstance(word, str) or not isinstance(positions, list):
            return ""
        for pos in positions:
            if isinstance(pos, bool) or not isinstance(pos, int) or pos < 0:
                return ""
            at[pos] = word
            if len(at) > _MAX_WORDS:
                return ""
    return " ".join(at[p] for p in sorted(at))


__all__ = ["ARXIV", "CROSSREF", "OPENALEX", "S2", "Breaker", "Clients", "Lookup",
           "ProviderError", "Record", "clean_name", "clean_text", "clients_from_env",
           "fetch_arxiv", "fetch_crossref", "fetch_openalex", "fetch_semantic_scholar",
           "find_code_link", "parse_arxiv_batch", "parse_openalex", "parse_semantic_scholar",
           "rebuild_abstract", "usable_doi", "usable_venue"]
