"""RIS as Zotero, EndNote, Scopus and publishers' "Cite > RIS" write it.

RIS is line-oriented (``TY  - JOUR`` ... ``ER  - ``), so a small reader keeps every line
number, which ``rispy`` (the maintained library) does not expose; lines without a tag continue
the previous value (wrapped abstracts). Tags read: TY (start), TI/T1/CT title, AU/A1 authors,
PY/Y1/DA dates, DO DOI, UR/L1/L2 links, T2/JF/JO/C3/BT/SE venue, AB/N2 abstract, KW keywords,
N1/M1/M3/AN notes searched for an arXiv id, ER (end). Publisher and other tags are ignored.
"""

from __future__ import annotations

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
    make_date,
    safe_url,
    split_list,
    unique,
    venue_or_none,
)

_TAG = re.compile(r"^([A-Z][A-Z0-9])  ?-(?: (.*)|\s*)$")
_VENUE_TAGS = ("T2", "JF", "JO", "C3", "BT", "SE", "J2", "JA")


def parse(text: str, source: str) -> tuple[list[Record], list[Issue]]:
    """Records from RIS ``text``; a record without a title becomes an error Issue."""
    records: list[Record] = []
    issues: list[Issue] = []
    fields: dict[str, list[str]] | None = None
    start = 0
    last: str | None = None
    stray = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip()
        match = _TAG.match(line.lstrip("\ufeff"))
        if match is None:
            if fields is not None and last and line.strip():
                fields[last][-1] += "\n" + line.strip()  # a wrapped value continues
            elif line.strip() and fields is None and not stray:
                stray = True
                issues.append(Issue(source, number, 1, "text outside a RIS record (before "
                                    "'TY  - ')", "each record starts with 'TY  - ' and ends "
                                    "with 'ER  - '", "warning"))
            continue
        tag, value = match.group(1), (match.group(2) or "").strip()
        if tag == "TY":
            if fields is not None:
                issues.append(Issue(source, start, 1, "RIS record has no 'ER  - ' line before "
                                    "the next 'TY  - '", "end each record with 'ER  - '",
                                    "warning"))
                _finish(fields, source, start, records, issues)
            fields, start, last = {"TY": [value]}, number, "TY"
        elif tag == "ER":
            if fields is not None:
                _finish(fields, source, start, records, issues)
            fields, last = None, None
        elif fields is None:
            if not stray:
                stray = True
                issues.append(Issue(source, number, 1, f"tag {tag} outside a RIS record",
                                    "each record starts with 'TY  - '", "warning"))
        else:
            fields.setdefault(tag, []).append(value)
            last = tag
    if fields is not None:
        issues.append(Issue(source, start, 1, "the last RIS record has no 'ER  - ' line",
                            "end each record with 'ER  - '", "warning"))
        _finish(fields, source, start, records, issues)
    return records, issues


def _finish(fields: dict[str, list[str]], source: str, line: int, records: list[Record],
            issues: list[Issue]) -> None:
    record = _record(fields, source, line)
    if record is None:
        issues.append(Issue(source, line, 1, "RIS record has no title (TI or T1)",
                            "give the item a title in the reference manager"))
    else:
        records.append(record)


def _first(fields: dict[str, list[str]], *tags: str) -> str:
    for tag in tags:
        for value in fields.get(tag, ()):
            cleaned = clean_line(value)
            if cleaned:
                return cleaned
    return ""


def _date(value: str) -> str | None:
    """RIS dates: ``2023``, ``2023/05/26/``, ``2023/05//``, ``2023///Spring``, ISO too."""
    match = re.match(r"^\s*(\d{4})(?:[/-](\d{1,2})?(?:[/-](\d{1,2})?)?)?", value)
    if not match:
        return None
    return make_date(match.group(1), match.group(2), match.group(3))


def _record(fields: dict[str, list[str]], source: str, line: int) -> Record | None:
    title = _first(fields, "TI", "T1", "CT")
    if not title:
        return None
    authors: list[str] = []
    incomplete = False
    for tag in ("AU", "A1"):
        for name in fields.get(tag, ()):
            name = clean_line(name)
            if is_more_authors(name):
                incomplete = True
            elif name:
                authors.append(display_name(name))
    # DA is the full date, PY often only the year: the most precise date of the first year.
    dates = [d for tag in ("DA", "PY", "Y1") for d in map(_date, fields.get(tag, ())) if d]
    published = max((d for d in dates if d[:4] == dates[0][:4]), key=len) if dates else None
    urls = [u for tag in ("UR", "L2", "L1") for u in (safe_url(v.strip()) for v in
                                                        fields.get(tag, ())) if u]
    arxiv = None
    for value in [*fields.get("DO", ()), *urls, *fields.get("N1", ()), *fields.get("M1", ()),
                  *fields.get("M3", ()), *fields.get("AN", ()), *fields.get("T2", ()),
                  *fields.get("JO", ())]:
        arxiv = arxiv_id(clean_line(value))
        if arxiv:
            break
    doi = next((d for d in (doi_of(v) for v in [*fields.get("DO", ()), *urls]) if d), None)
    url = None
    links: list[tuple[str, str]] = []
    for candidate in urls:
        if github_repo(candidate):
            if ("code", candidate) not in links:
                links.append(("code", candidate))
        elif url is None and not arxiv_id(candidate) and not doi_of(candidate, True):
            url = candidate
    venue = None
    for tag in _VENUE_TAGS:
        venue = venue_or_none(_first(fields, tag))
        if venue:
            break
    abstract = clean_paragraphs("\n\n".join(fields.get("AB") or fields.get("N2") or [])) or None
    tags = unique(t for value in fields.get("KW", ()) for t in split_list(value, ";"))
    return Record(title=title, authors=unique(authors), published=published, arxiv=arxiv,
                  doi=doi, url=url, venue=venue, abstract=abstract, tags=tags,
                  links=tuple(links), authors_incomplete=incomplete, source=source, line=line)
