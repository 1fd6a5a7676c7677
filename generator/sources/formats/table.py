"""A spreadsheet saved as CSV: one paper per row, a header row naming the columns.

Columns are matched case-insensitively, with a few synonyms (see :data:`COLUMNS`); an unknown
column is reported once, as a warning naming it and the known ones, and its cells are not
read. The delimiter is sniffed (Excel in many locales saves ``;``; a ``sep=;`` first line is
honoured) and a byte-order mark is dropped by the file reader.

Cells:

- ``authors``: names separated by ``;`` (preferred), else by `` and `` (BibTeX style
  ``Last, First and Last, First`` included), else by ``,`` when that is unambiguous: every
  part has at least two words, or the parts alternate ``Last, First``. "et al." / "others"
  marks the list incomplete. An ambiguous cell is kept as one name, with a warning.
- ``tags``: separated by ``;`` or ``,``.
- ``category``: one category; ``Privacy > Membership inference`` or ``Privacy /
  Membership inference`` gives a path, most specific last.
- ``year``/``date``/``published``: ``2023``, ``2023-05``, ``2023-05-26``, ``2023/05``,
  ``May 2023``.
"""

from __future__ import annotations

import csv
import io
import re

from . import Issue, Record
from .common import (
    arxiv_id,
    clean_line,
    clean_paragraphs,
    display_name,
    doi_of,
    github_repo,
    is_more_authors,
    parse_date,
    safe_url,
    split_list,
    unique,
    venue_or_none,
)

#: Field -> accepted header names (compared lowercase, with spaces, "_" and "-" alike).
COLUMNS: dict[str, tuple[str, ...]] = {
    "title": ("title", "paper", "paper title", "name"),
    "authors": ("authors", "author", "author(s)", "creators"),
    "published": ("published", "year", "date", "publication year", "publication date",
                  "pub year"),
    "arxiv": ("arxiv", "arxiv id", "eprint"),
    "doi": ("doi",),
    "url": ("url", "link", "paper url", "paper link", "pdf"),
    "venue": ("venue", "conference", "journal", "booktitle", "published in", "publication"),
    "category": ("category", "section", "topic"),
    "tags": ("tags", "keywords", "labels"),
    "abstract": ("abstract", "summary"),
    "code": ("code", "github", "repository", "repo", "code url"),
    "project": ("project", "project page", "website", "homepage"),
}
_LOOKUP = {name: field for field, names in COLUMNS.items() for name in names}


def _key(header: str) -> str:
    return " ".join(re.sub(r"[_\-]+", " ", header.strip().lower()).split())


def parse(text: str, source: str) -> tuple[list[Record], list[Issue]]:
    """Records from CSV ``text``; a row without a title becomes an error Issue."""
    issues: list[Issue] = []
    text = text.lstrip("\ufeff")
    offset = 0
    first = text.split("\n", 1)[0].strip()
    delimiter = None
    sep = re.match(r"^\"?sep=(.)\"?$", first)
    if sep:  # Excel's delimiter hint line
        delimiter = sep.group(1)
        text = text.split("\n", 1)[1] if "\n" in text else ""
        offset = 1
    if delimiter is None:
        delimiter = _sniff(text)
    return _rows(text, source, delimiter, offset, issues)


def _sniff(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        header = text.split("\n", 1)[0]
        counts = {d: header.count(d) for d in ",;\t"}
        return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def _rows(text: str, source: str, delimiter: str, offset: int,
          issues: list[Issue]) -> tuple[list[Record], list[Issue]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[Record] = []
    try:
        header = next(reader, None)
        if header is None:
            return [], [Issue(source, 1, 1, "the CSV file is empty",
                              "the first row names the columns: title, authors, year, ...")]
        columns: dict[int, str] = {}
        unknown: list[str] = []
        for index, name in enumerate(header):
            field = _LOOKUP.get(_key(name))
            if field and field not in columns.values():
                columns[index] = field
            elif name.strip() and not field:
                unknown.append(name.strip())
        known = ", ".join(COLUMNS)
        if "title" not in columns.values():
            return [], [Issue(source, 1 + offset, 1, "the CSV header has no title column "
                              f"(found: {', '.join(h.strip() for h in header if h.strip())})",
                              f"name the columns in the first row; known: {known}")]
        for name in unknown:
            issues.append(Issue(source, 1 + offset, 1, f"unknown column {name!r} is not read",
                                f"known columns: {known}", "warning"))
        line = reader.line_num + 1
        for row in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in row):
                continue
            cells = {field: row[i] for i, field in columns.items() if i < len(row)}
            record = _record(cells, source, start + offset, issues)
            if record is None:
                issues.append(Issue(source, start + offset, 1, "row has no title",
                                    "fill in the title column"))
            else:
                records.append(record)
    except csv.Error as exc:
        issues.append(Issue(source, reader.line_num + offset, 1, f"CSV error: {exc}",
                            "save the sheet again as CSV (UTF-8)"))
    return records, issues


def split_authors(cell: str) -> tuple[tuple[str, ...], bool, bool]:
    """(names, incomplete, ambiguous) for an authors cell; see the module docstring."""
    cell = clean_line(cell)
    if not cell:
        return (), False, False
    ambiguous = False
    if ";" in cell:
        parts = cell.split(";")
        names = [display_name(p) for p in parts]
    elif re.search(r"\s+and\s+", cell, re.IGNORECASE):
        pieces = re.split(r"\s+and\s+", cell, flags=re.IGNORECASE)
        if all(p.count(",") == 1 for p in pieces if not is_more_authors(p)):
            names = [display_name(p) for p in pieces]  # "Last, First and Last, First"
        else:
            names = [n for p in pieces for n in p.split(",")]
    elif "," in cell:
        parts = [p.strip() for p in cell.split(",") if p.strip()]
        more = [p for p in parts if is_more_authors(p)]
        parts = [p for p in parts if not is_more_authors(p)]
        words = [len(p.split()) for p in parts]
        if all(w >= 2 for w in words):
            names = parts
        elif len(parts) % 2 == 0 and all(w == 1 for w in words[::2]):
            names = [f"{parts[i + 1]} {parts[i]}" for i in range(0, len(parts), 2)]
        else:
            names, ambiguous = [", ".join(parts)], True
        names += more
    else:
        names = [cell]
    incomplete = any(is_more_authors(n) for n in names)
    cleaned = unique(clean_line(n) for n in names if not is_more_authors(n))
    return cleaned, incomplete, ambiguous


def _record(cells: dict[str, str], source: str, line: int,
            issues: list[Issue]) -> Record | None:
    title = clean_line(cells.get("title", ""))
    if not title:
        return None
    authors, incomplete, ambiguous = split_authors(cells.get("authors", ""))
    if ambiguous:
        issues.append(Issue(source, line, 1, "cannot tell where one author ends in "
                            f"{clean_line(cells['authors'])[:80]!r}; kept as one name",
                            "separate authors with ';'", "warning"))
    raw_url = clean_line(cells.get("url", ""))
    arxiv = arxiv_id(clean_line(cells.get("arxiv", ""))) or arxiv_id(raw_url) or arxiv_id(
        clean_line(cells.get("doi", "")))
    doi = doi_of(clean_line(cells.get("doi", ""))) or doi_of(raw_url)
    url = safe_url(raw_url)
    links: list[tuple[str, str]] = []
    if url and github_repo(url):
        links.append(("code", url))
        url = None
    if url and (arxiv_id(url) or doi_of(url, keep_arxiv=True)):
        url = None
    for field in ("code", "project"):
        link = safe_url(clean_line(cells.get(field, "")))
        if link:
            links.append((field, link))
    category = clean_line(cells.get("category", ""))
    categories = unique(clean_line(p) for p in re.split(r"\s+(?:>|/|›|»)\s+", category))
    return Record(title=title, authors=authors,
                  published=parse_date(clean_line(cells.get("published", ""))),
                  arxiv=arxiv, doi=doi, url=url,
                  venue=venue_or_none(cells.get("venue", "")),
                  abstract=clean_paragraphs(cells.get("abstract", "")) or None,
                  tags=split_list(cells.get("tags", "")), categories=categories,
                  links=tuple(links), authors_incomplete=incomplete, source=source, line=line)
