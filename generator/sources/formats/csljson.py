"""CSL-JSON as Zotero ("Export Collection > CSL JSON"), Better CSL JSON and Mendeley write it.

The file is a list of items (or ``{"items": [...]}``). Each item's line is found by decoding
the list one element at a time, so a message points at the item. CSL titles may carry the
rich-text markup CSL defines (``<i>``, ``<b>``, ``<sup>``, ``<span class="nocase">``), which
is removed; every other value is taken only when it has the expected JSON type.
"""

from __future__ import annotations

import json
import re
from typing import Any

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
    parse_date,
    safe_url,
    split_list,
    strip_html,
    unique,
    venue_or_none,
)

_HINT = 'export the collection again as CSL JSON: a list such as [{"title": ...}]'


def parse(text: str, source: str) -> tuple[list[Record], list[Issue]]:
    """Records from CSL-JSON ``text``; an item without a title becomes an error Issue."""
    try:
        data = json.loads(text)
    except RecursionError:
        return [], [Issue(source, 1, 1, "JSON is nested too deeply", _HINT)]
    except ValueError as exc:
        return [], [Issue(source, getattr(exc, "lineno", 1), getattr(exc, "colno", 1),
                          f"invalid JSON: {getattr(exc, 'msg', exc)}", _HINT)]
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        items = data["items"]
        match = re.search(r'"items"\s*:\s*\[', text)
        lines = _item_lines(text, match.end() - 1) if match else []
    elif isinstance(data, list):
        items = data
        lines = _item_lines(text, text.index("["))
    else:
        kind = "an object without an 'items' list" if isinstance(data, dict) else (
            f"a JSON {type(data).__name__}")
        return [], [Issue(source, 1, 1, f"CSL-JSON must be a list of items, found {kind}",
                          _HINT)]
    if len(lines) != len(items):
        lines = [1] * len(items)
    records: list[Record] = []
    issues: list[Issue] = []
    for item, line in zip(items, lines, strict=True):
        if not isinstance(item, dict):
            issues.append(Issue(source, line, 1, f"item is a JSON {type(item).__name__}, not "
                                "an object", _HINT))
            continue
        record = _record(item, source, line)
        if record is None:
            ident = _str(item.get("id")) or _str(item.get("citation-key"))
            issues.append(Issue(source, line, 1, "item has no title"
                                + (f" (id {ident[:80]!r})" if ident else ""),
                                "give the item a title in the reference manager"))
        else:
            records.append(record)
    return records, issues


def _item_lines(text: str, start: int) -> list[int]:
    """The 1-based line where each element of the JSON array at ``text[start]`` begins."""
    decoder = json.JSONDecoder()
    lines: list[int] = []
    index = start + 1
    line, counted = 1, 0
    try:
        while True:
            index = _skip(text, index)
            if index >= len(text) or text[index] == "]":
                return lines
            line += text.count("\n", counted, index)
            counted = index
            lines.append(line)
            _value, index = decoder.raw_decode(text, index)
            index = _skip(text, index)
            if index < len(text) and text[index] == ",":
                index += 1
    except (ValueError, RecursionError):
        return lines


def _skip(text: str, index: int) -> int:
    while index < len(text) and text[index] in " \t\r\n":
        index += 1
    return index


def _str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def _rich(value: Any) -> str:
    return clean_line(strip_html(_str(value)))


def _authors(value: Any) -> tuple[tuple[str, ...], bool]:
    if not isinstance(value, list):
        return (), False
    names: list[str] = []
    incomplete = False
    for person in value:
        if not isinstance(person, dict):
            continue
        literal = _rich(person.get("literal"))
        if literal:
            name = literal
        else:
            family = " ".join(p for p in (_rich(person.get("non-dropping-particle")),
                                          _rich(person.get("family"))) if p)
            given = " ".join(p for p in (_rich(person.get("given")),
                                         _rich(person.get("dropping-particle"))) if p)
            suffix = _rich(person.get("suffix"))
            name = " ".join(p for p in (given, family) if p)
            if suffix and name:
                name = f"{name} {suffix}"
        if is_more_authors(name):
            incomplete = True
        elif name:
            names.append(display_name(name) if "," in name and not literal else name)
    return unique(names), incomplete


def _issued(value: Any) -> str | None:
    if not isinstance(value, dict):
        return parse_date(_str(value)) if value else None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        first = parts[0]
        return make_date(_str(first[0]), _str(first[1]) if len(first) > 1 else None,
                         _str(first[2]) if len(first) > 2 else None)
    for key in ("raw", "literal"):
        found = parse_date(_str(value.get(key)))
        if found:
            return found
    return None


def _record(item: dict[str, Any], source: str, line: int) -> Record | None:
    title = _rich(item.get("title"))
    if not title:
        return None
    authors, incomplete = _authors(item.get("author"))
    raw_url = _str(item.get("URL")) or _str(item.get("url"))
    raw_doi = _str(item.get("DOI")) or _str(item.get("doi"))
    arxiv = None
    for value in (_str(item.get("number")), raw_url, _str(item.get("note")), raw_doi,
                  _str(item.get("archive_location")), _str(item.get("container-title"))):
        arxiv = arxiv_id(value)
        if arxiv:
            break
    url = safe_url(raw_url)
    links: list[tuple[str, str]] = []
    if url and github_repo(url):
        links.append(("code", url))
        url = None
    if url and (arxiv_id(url) or doi_of(url, keep_arxiv=True)):
        url = None
    venue = None
    for key in ("container-title", "event-title", "event"):
        venue = venue_or_none(_rich(item.get(key)))
        if venue:
            break
    keywords = item.get("keyword")
    if isinstance(keywords, list):
        tags = unique(clean_line(_str(k)) for k in keywords)
    else:
        tags = split_list(_str(keywords))
    abstract = clean_paragraphs(strip_html(_str(item.get("abstract")))) or None
    return Record(title=title, authors=authors, published=_issued(item.get("issued")),
                  arxiv=arxiv, doi=doi_of(raw_doi) or doi_of(raw_url), url=url, venue=venue,
                  abstract=abstract, tags=tags, links=tuple(links),
                  authors_incomplete=incomplete, source=source, line=line)
