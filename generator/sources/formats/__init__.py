"""Readers for the bibliographies a lab already has: BibTeX, CSL-JSON, RIS, CSV, awesome-lists.

Each reader is pure: it takes the text of one file and the file's name and returns the papers
it found as :class:`Record` values plus an :class:`Issue` for every item it could not read, so
one broken entry never hides the others. Nothing here touches the network, the clock or the
list on disk; deduplication, taxonomy updates and writing entries belong to the import
command. :func:`read` is the one entry point that opens a file: it caps the size, reports
invalid UTF-8 with its position, picks the format (:func:`detect`) and dispatches.

Every value in a Record is plain text: LaTeX is turned into Unicode, HTML markup is removed
where the format uses HTML as markup (Markdown, CSL-JSON rich text) and kept as literal text
where it is only text (BibTeX, RIS, CSV), control characters are dropped, and URLs that are
not http(s) are dropped.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

#: An import source may be far larger than an entry file (a 2,500-paper awesome-list is about
#: 1 MB, a Zotero library with abstracts a few MB); past this it is not a bibliography.
MAX_SOURCE_BYTES = 32 * 1024 * 1024

FORMATS = ("bibtex", "csl-json", "ris", "csv", "markdown", "feed")


@dataclass(frozen=True)
class Record:
    """One paper as a source describes it, before it is matched against the list.

    ``url`` holds the paper's landing page only when it is neither an arXiv link nor a
    doi.org link: those are carried by ``arxiv`` and ``doi``.
    """

    title: str
    authors: tuple[str, ...] = ()  #: display names, "First Last"
    published: str | None = None  #: YYYY, YYYY-MM or YYYY-MM-DD: no more precise than the source
    arxiv: str | None = None  #: bare id without version: 2505.20118 or cs/0112017
    doi: str | None = None  #: bare and lowercase: 10.1145/3319535.3354211
    url: str | None = None  #: http(s) only
    venue: str | None = None  #: as the source writes it, cleaned (not normalised)
    abstract: str | None = None
    tags: tuple[str, ...] = ()  #: keywords or topic badges, as the source names them
    categories: tuple[str, ...] = ()  #: heading path / file name / CSV column, most specific last
    links: tuple[tuple[str, str], ...] = ()  #: (kind, url), e.g. ("code", "https://github.com/..")
    #: The author list is truncated ("and others", "et al.") or gives only surnames.
    authors_incomplete: bool = False
    source: str = ""  #: the file it came from
    line: int = 1  #: 1-based line where the item starts


@dataclass(frozen=True)
class Issue:
    """An item that could not be read (error) or was read with a caveat (warning)."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = "error"  #: "error" or "warning"

    def __str__(self) -> str:
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}{hint}"


class FormatError(ValueError):
    """The file as a whole cannot be read: unknown format, too large, not UTF-8."""

    def __init__(self, message: str, line: int = 1, col: int = 1, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col
        self.hint = hint


_EXTENSIONS = {
    ".bib": "bibtex", ".bibtex": "bibtex", ".ris": "ris", ".csv": "csv", ".tsv": "csv",
    ".md": "markdown", ".markdown": "markdown", ".xml": "feed", ".atom": "feed",
    ".rss": "feed",
}
_RIS_LINE = re.compile(r"^\s*TY {1,2}-( |$)", re.MULTILINE)
_BIB_ENTRY = re.compile(r"^\s*@[A-Za-z]+\s*[{(]", re.MULTILINE)
_FEED_START = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(feed|rss|rdf:RDF)\b", re.DOTALL)
_MD_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d{1,3}[.)])\s+\S.*\]\(", re.MULTILINE)
_MD_HEADING = re.compile(r"^#{1,6}\s+\S", re.MULTILINE)
_FORMAT_HINT = ("supported: BibTeX (.bib), CSL-JSON (.json), RIS (.ris), CSV with a header row "
                "(.csv), a Markdown awesome-list (.md), an arXiv Atom/RSS feed (.xml)")


def detect(path: str | Path, text: str) -> str:
    """The format of ``text``: one of :data:`FORMATS`. Raises :class:`FormatError`.

    The extension decides where it is specific; ``.json`` is checked to be CSL-JSON (a
    list of items with titles, or ``{"items": [...]}``), and ``.txt`` or an unknown
    extension is sniffed: an exported RIS file is often saved as ``.txt``.
    """
    suffix = Path(path).suffix.lower()
    text = text.removeprefix("\ufeff")
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    if suffix == ".json" or text.lstrip().startswith(("[", "{")):
        return _check_json(text)
    head = text[:65536]
    if _RIS_LINE.search(head[:4096]):
        return "ris"
    if _FEED_START.match(head):
        return "feed"
    if _BIB_ENTRY.search(head):
        return "bibtex"
    if _MD_ITEM.search(head) or _MD_HEADING.search(head):
        return "markdown"
    first = head.lstrip("\ufeff").split("\n", 1)[0].lower()
    if re.search(r"(^|[,;\t\"])\s*\"?(title|paper)\"?\s*($|[,;\t\"])", first):
        return "csv"
    raise FormatError(f"cannot tell the format of {Path(path).name}", hint=_FORMAT_HINT)


def _check_json(text: str) -> str:
    """"csl-json" when ``text`` is JSON shaped like CSL-JSON, else a FormatError saying why."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise FormatError("JSON is nested too deeply",
                          hint="CSL-JSON is a list of flat items") from None
    except ValueError as exc:
        line, col = getattr(exc, "lineno", 1), getattr(exc, "colno", 1)
        raise FormatError(f"invalid JSON: {getattr(exc, 'msg', exc)}", line, col,
                          "export the collection again as CSL JSON") from None
    items = data.get("items") if isinstance(data, dict) else data
    # One item shaped like CSL is enough: the reader reports the items that are not.
    if isinstance(items, list) and (not items or any(
            isinstance(item, dict) and ("title" in item or "type" in item) for item in items)):
        return "csl-json"
    shape = type(data).__name__ if not isinstance(data, dict) else "an object without 'items'"
    raise FormatError(f"JSON file is not CSL-JSON (found {shape})",
                      hint='CSL-JSON is a list of items such as [{"title": ..., "author": '
                           '[...]}]; in Zotero use Export Collection > CSL JSON')


def parse(text: str, source: str, fmt: str) -> tuple[list[Record], list[Issue]]:
    """Read ``text`` (the content of ``source``) as ``fmt``; never raises on bad input."""
    if fmt == "bibtex":
        from .bibtex import parse as reader
    elif fmt == "csl-json":
        from .csljson import parse as reader
    elif fmt == "ris":
        from .ris import parse as reader
    elif fmt == "csv":
        from .table import parse as reader
    elif fmt == "markdown":
        from .awesome import parse as reader
    elif fmt == "feed":
        reader = _parse_feed
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    return reader(text, source)


def read(path: str | Path, fmt: str | None = None) -> tuple[list[Record], list[Issue]]:
    """Read one source file: size cap, strict UTF-8, format detection, then its reader.

    Problems with the file as a whole (missing, too large, not UTF-8, unknown format) come
    back as a single error Issue, so the caller reports every file's problems at once.
    """
    name = str(path)
    try:
        text = _read_source(Path(path))
        records, issues = parse(text, name, fmt or detect(path, text))
    except FormatError as exc:
        return [], [Issue(name, exc.line, exc.col, exc.message, exc.hint)]
    return records, issues


def _read_source(path: Path) -> str:
    from ...core.files import YamlError, read_text

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}") from None
    if size > MAX_SOURCE_BYTES:
        raise FormatError(f"file is {size:,} bytes, over the {MAX_SOURCE_BYTES:,}-byte limit",
                          hint="split the bibliography into smaller files")
    try:
        return read_text(path, MAX_SOURCE_BYTES)
    except YamlError as exc:  # files.read_text reports invalid UTF-8 with its position
        raise FormatError(exc.message, exc.line, exc.col, exc.hint) from None
    except OSError as exc:
        raise FormatError(f"cannot read the file: {exc.strerror or exc}") from None


def _parse_feed(text: str, source: str) -> tuple[list[Record], list[Issue]]:
    """An arXiv Atom/RSS feed, read by the existing feed importer, as Records."""
    from ..arxiv_feeds import ImportError_, parse_feed

    try:
        candidates = parse_feed(text.encode("utf-8"))
    except ImportError_ as exc:
        return [], [Issue(source, 1, 1, str(exc))]
    records = [Record(title=c.title, authors=c.authors, published=c.published, arxiv=c.arxiv,
                      doi=c.doi.lower() if c.doi else None, abstract=c.abstract or None,
                      source=source, line=1) for c in candidates]
    return records, []
