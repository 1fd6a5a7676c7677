"""BibTeX as Google Scholar, DBLP, Zotero (plain and Better BibTeX) and Overleaf projects write it.

bibtexparser 2.x splits the file into blocks (entries, @string, @comment, @preamble and the
blocks it could not parse, each with its line); no middleware runs, so every field keeps its
delimiters and this module resolves ``@string`` macros and ``#`` concatenation itself, which
bibtexparser's own middleware leaves unresolved. pylatexenc turns LaTeX into Unicode with math
kept verbatim (``$\\epsilon$`` stays ``$\\epsilon$``); it never reads files, so
``\\input{/etc/passwd}`` in a title produces nothing. Identifiers are found where each
exporter puts them: ``eprint`` + ``archivePrefix``/``eprinttype``, ``journal = {arXiv
preprint arXiv:...}``, DBLP's ``journal = {CoRR}, volume = {abs/...}``, ``url``,
``howpublished = {\\url{...}}``, ``note``/``number = {arXiv:...}`` and ``doi``.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator

import bibtexparser
from bibtexparser import model
from bibtexparser.middlewares.names import split_multiple_persons_names
from pylatexenc.latex2text import LatexNodes2Text

from . import Issue, Record
from .common import (
    arxiv_id,
    clean_line,
    clean_paragraphs,
    display_name,
    doi_of,
    github_repo,
    is_more_authors,
    make_date,
    month_number,
    parse_date,
    safe_url,
    split_list,
    unique,
    venue_or_none,
)

#: BibTeX's predefined month macros, as BibTeX expands them.
_MONTH_MACROS = {m[:3]: m for m in ("january", "february", "march", "april", "may", "june",
                                     "july", "august", "september", "october", "november",
                                     "december")}
#: Entry types that describe a volume or a data record, not one paper.
_NOT_PAPERS = {"proceedings", "mvproceedings", "set", "xdata", "collection", "mvcollection"}
_LATEX_HINT = re.compile(r"[\\{}$~]|--|``|''")
_CONVERTER = LatexNodes2Text(math_mode="verbatim", strict_latex_spaces=True)
_URL_MACRO = re.compile(r"\\(?:url|href)\s*\{([^{}]*)\}")


def parse(text: str, source: str) -> tuple[list[Record], list[Issue]]:
    """Records from BibTeX ``text``; a block that cannot be parsed becomes an error Issue."""
    issues: list[Issue] = []
    try:
        with _quiet_parser():
            library = bibtexparser.parse_string(text, parse_stack=[])
    except Exception as exc:  # noqa: BLE001 - a parser bug must not end the whole import
        return [], [Issue(source, 1, 1, f"BibTeX could not be parsed: {exc}",
                          "check the file for unbalanced braces")]
    strings: dict[str, str] = {}
    records: list[Record] = []
    for block in library.blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, model.String):
            strings[block.key.lower()] = _resolve(block.value, strings)
        elif isinstance(block, model.DuplicateFieldKeyBlock):
            entry = block.ignore_error_block
            if isinstance(entry, model.Entry):
                keys = sorted({f.key.lower() for f in entry.fields
                               if [g.key.lower() for g in entry.fields].count(f.key.lower()) > 1})
                issues.append(Issue(source, line, 1, f"entry '{entry.key}' repeats the field"
                                    f"{'s' if len(keys) > 1 else ''} {', '.join(keys)}; the "
                                    "first value is used", "remove the repeated field",
                                    "warning"))
                _add(records, issues, entry, strings, source, line)
        elif isinstance(block, model.DuplicateBlockKeyBlock):
            # Two exports merged into one file often reuse a citation key; both are papers.
            entry = getattr(block, "ignore_error_block", None)
            if isinstance(entry, model.Entry):
                _add(records, issues, entry, strings, source, line)
        elif isinstance(block, model.ParsingFailedBlock):
            issues.append(Issue(source, line, 1, _failure(block),
                                "check braces and quotes; the other entries were read"))
        elif isinstance(block, model.Entry):
            _add(records, issues, block, strings, source, line)
    return records, issues


@contextlib.contextmanager
def _quiet_parser() -> Iterator[None]:
    """Silence bibtexparser's log lines while it parses: each failure becomes an Issue."""
    drop = logging.Filter("\0never")  # matches no logger name: drops every record
    loggers = [logging.getLogger(name) for name in ("bibtexparser.splitter", "bibtexparser")]
    for item in loggers:
        item.addFilter(drop)
    try:
        yield
    finally:
        for item in loggers:
            item.removeFilter(drop)


def _failure(block: model.ParsingFailedBlock) -> str:
    raw = (block.raw or "").lstrip()
    head = re.match(r"@\s*(\w+)\s*[{(]\s*([^,\s]*)", raw)
    what = f"@{head.group(1)}{{{head.group(2)}}}" if head else "a block"
    reason = " ".join(str(getattr(block.error, "abort_reason", "") or "").split())
    return f"BibTeX entry {what} could not be parsed" + (f": {reason}" if reason else "")


def _add(records: list[Record], issues: list[Issue], entry: model.Entry,
         strings: dict[str, str], source: str, line: int) -> None:
    if entry.entry_type.lower() in _NOT_PAPERS:
        issues.append(Issue(source, line, 1, f"@{entry.entry_type}{{{entry.key}}} describes a "
                            "volume, not a paper; skipped", severity="warning"))
        return
    fields: dict[str, str] = {}
    for item in entry.fields:
        key = item.key.lower()
        if key not in fields and isinstance(item.value, str):
            fields[key] = _resolve(item.value, strings)
    try:
        record = _record(fields, source, line)
    except RecursionError:
        record = None
    if record is None:
        issues.append(Issue(source, line, 1, f"entry '{entry.key}' has no title",
                            "add a title field"))
    else:
        records.append(record)


# ------------------------------------------------------------------------- field values


def _resolve(raw: str, strings: dict[str, str]) -> str:
    """A field's text: delimiters removed, ``@string`` macros expanded, ``#`` joined."""
    pieces = _split_concat(raw)
    out: list[str] = []
    for piece in pieces:
        piece = piece.strip()
        if len(piece) >= 2 and (piece[0], piece[-1]) in (("{", "}"), ('"', '"')):
            out.append(piece[1:-1])
        elif piece.lower() in strings:
            out.append(strings[piece.lower()])
        elif piece.lower() in _MONTH_MACROS:
            out.append(_MONTH_MACROS[piece.lower()].capitalize())
        else:
            out.append(piece)
    return "".join(out)


def _split_concat(raw: str) -> list[str]:
    """Split at ``#`` outside braces and quotes (BibTeX string concatenation)."""
    pieces, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(raw):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        elif ch == '"' and depth == 0:
            quoted = not quoted
        elif ch == "#" and depth == 0 and not quoted:
            pieces.append(raw[start:i])
            start = i + 1
    pieces.append(raw[start:])
    return pieces


def latex_to_text(text: str) -> str:
    """Unicode text from LaTeX: accents and escapes converted, braces dropped, math kept."""
    if not _LATEX_HINT.search(text):
        return text
    # Google Scholar escapes braces as math: "$\{$USENIX$\}$" means "USENIX".
    text = text.replace("$\\{$", "").replace("$\\}$", "")
    try:
        out = _CONVERTER.latex_to_text(text)
    except Exception:  # noqa: BLE001 - pylatexenc fails on some malformed macros (\href{x})
        out = re.sub(r"\\([&%$#_{}])", r"\1", text)
        out = re.sub(r"\\[A-Za-z]+\*?\s*", "", out).replace("{", "").replace("}", "")
    return out.replace("\u00a0", " ")


def _text(fields: dict[str, str], *keys: str) -> str:
    for key in keys:
        value = clean_line(latex_to_text(fields.get(key, "")))
        if value:
            return value
    return ""


def _raw_url(value: str) -> str:
    """A URL as written in a ``url`` field: braces and LaTeX escapes removed, no conversion."""
    match = _URL_MACRO.search(value)
    if match:
        value = match.group(1)
    return re.sub(r"\\([_%&#~$])", r"\1", value).replace("{", "").replace("}", "").strip()


def _authors(raw: str) -> tuple[tuple[str, ...], bool]:
    if not raw.strip():
        return (), False
    try:
        names = split_multiple_persons_names(raw)
    except Exception:  # noqa: BLE001 - unbalanced braces: fall back to a plain split
        names = re.split(r"\s+and\s+", raw, flags=re.IGNORECASE)
    authors: list[str] = []
    incomplete = False
    for name in names:
        if is_more_authors(name):
            incomplete = True
            continue
        text = clean_line(latex_to_text(name if not _braced(name) else name[1:-1]))
        if _braced(name):  # {OpenAI Team}: a corporate name, never "Last, First"
            authors.append(text)
        elif text:
            authors.append(display_name(text))
    return unique(authors), incomplete


def _braced(name: str) -> bool:
    name = name.strip()
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, ch in enumerate(name):
        depth += ch == "{"
        depth -= ch == "}"
        if depth == 0 and i < len(name) - 1:
            return False
    return True


def _record(fields: dict[str, str], source: str, line: int) -> Record | None:
    title = _text(fields, "title")
    if not title:
        return None
    authors, incomplete = _authors(fields.get("author", ""))
    journal = _text(fields, "journal", "journaltitle")
    volume = _text(fields, "volume")
    arxiv = _find_arxiv(fields, journal, volume)
    doi = doi_of(_raw_url(fields.get("doi", ""))) or doi_of(_raw_url(fields.get("url", "")))
    urls = [u for u in (safe_url(_raw_url(fields.get(k, ""))) for k in ("url", "howpublished"))
            if u]
    links: list[tuple[str, str]] = []
    url = None
    for candidate in urls:
        if github_repo(candidate):
            links.append(("code", candidate))
        elif not arxiv_id(candidate) and not doi_of(candidate, keep_arxiv=True) and not url:
            url = candidate
    for key in ("code", "github"):
        code = safe_url(_raw_url(fields.get(key, "")))
        if code and github_repo(code) and ("code", code) not in links:
            links.append(("code", code))
    venue = venue_or_none(_text(fields, "booktitle", "eventtitle")) or venue_or_none(journal)
    published = parse_date(_text(fields, "date")) or make_date(
        _text(fields, "year"), month_number(_text(fields, "month")))
    abstract = clean_paragraphs(latex_to_text(fields.get("abstract", ""))) or None
    tags = split_list(latex_to_text(fields.get("keywords", fields.get("keyword", ""))))
    return Record(title=title, authors=authors, published=published, arxiv=arxiv, doi=doi,
                  url=url, venue=venue, abstract=abstract, tags=tags, links=tuple(links),
                  authors_incomplete=incomplete, source=source, line=line)


def _find_arxiv(fields: dict[str, str], journal: str, volume: str) -> str | None:
    prefix = (_text(fields, "archiveprefix", "eprinttype")).lower()
    eprint = _text(fields, "eprint")
    if eprint and prefix in ("", "arxiv"):
        found = arxiv_id(eprint)
        if found:
            return found
    if journal.lower() in ("corr", "arxiv", "computing research repository") and volume:
        found = arxiv_id(volume.removeprefix("abs/"))
        if found:
            return found
    for value in (journal, _raw_url(fields.get("url", "")),
                  _raw_url(fields.get("howpublished", "")), _text(fields, "note"),
                  _text(fields, "number"), _raw_url(fields.get("doi", ""))):
        found = arxiv_id(value)
        if found:
            return found
    return None
