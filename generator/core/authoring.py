"""Writing new entries: permanent ids from titles and stable, readable YAML.

Used by ``reading-list add`` and ``import`` (and to build the default list), so every entry a
tool writes looks like one a person would write, and loads back to the same values.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slugify import slugify

from .entries import title_key
from .files import YamlError, iter_entry_files, load_yaml

MAX_SLUG = 60
# Relative to papers/<id>.yaml in this repository and its forks, so editors validate
# offline. Entries elsewhere (a list made by `new`, an inbox one level deeper) get the path
# that resolves from their own folder: see schema_url_for.
SCHEMA_URL = "../generator/schema.json"
#: Where a list keeps the entry schema, relative to the list's folder: this repository and
#: its forks have the generator's own copy; a list made by ``reading-list new`` a copy at
#: its top (it has no generator/ folder).
SCHEMA_FILES = ("generator/schema.json", "schema.json")
SCHEMA_HEADER = "# yaml-language-server: $schema="
FIELD_ORDER = ("title", "authors", "authors_incomplete", "published", "added", "arxiv", "doi",
               "url", "venue", "links", "category", "tags", "abstract", "note", "aliases",
               "distinct_from")


def make_id(title: str, taken: Iterable[str] = ()) -> str:
    """A short readable id for a title, unique against ``taken``.

    A title with a short name before its colon ("TrojanStego: Your Language Model ...") uses
    that name; otherwise the whole title, cut at a word boundary to at most 60 characters.
    """
    used = set(taken)
    candidates = []
    head, sep, _ = title.partition(":")
    if sep and 1 <= len(head.split()) <= 4:
        candidates.append(_cut(slugify(head)))
    candidates.append(_cut(slugify(title)) or "paper")
    for candidate in candidates:
        if candidate and candidate not in used:
            return candidate
    # Room for a "-NNN" suffix, still cut at a word boundary.
    base = _cut(slugify(title), MAX_SLUG - 4) or "paper"
    n = 2
    while f"{base}-{n}" in used:
        n += 1
    return f"{base}-{n}"


def _cut(slug: str, limit: int = MAX_SLUG) -> str:
    """Cut a slug to ``limit`` characters at a word boundary (never skipping a word)."""
    if len(slug) <= limit:
        return slug
    words = slug[: limit + 1].split("-")[:-1]
    while len(words) > 1 and words[-1] in _DANGLING:
        words.pop()
    return "-".join(words) or slug[:limit]


_DANGLING = {"a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or",
             "the", "to", "via", "with"}


def _quote(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, once the characters YAML may not
    # hold raw (C1 controls, DEL) or reads as line breaks (NEL, U+2028/9) are escaped too.
    return _UNSAFE_IN_YAML.sub(lambda m: f"\\u{ord(m.group()):04x}",
                               json.dumps(text, ensure_ascii=False))


# Outside YAML's printable set (or read as a line break / byte-order mark).
_UNSAFE_IN_YAML = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")
_UNSAFE_IN_BLOCK = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]")


def _item(text: str) -> str:
    """A list item: slugs stay plain (``[watermarking, fingerprinting]``), the rest quoted."""
    if re.fullmatch(r"[a-z][a-z0-9-]*", text) and text not in _YAML_WORDS:
        return text
    return _quote(text)


_YAML_WORDS = {"null", "true", "false", "yes", "no", "on", "off", "y", "n"}


def _scalar(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if key in ("published", "added") and re.fullmatch(r"[0-9]{4}(-[0-9]{2}){0,2}", str(value)):
        return str(value)  # dates stay bare, as people write them; they load back as text
    return _item(str(value))


def _block(text: str, indent: str = "  ", width: int = 92) -> str:
    """A folded block scalar that loads back to exactly ``text`` (single-spaced paragraphs)."""
    paragraphs = text.split("\n\n")
    lines: list[str] = []
    for i, para in enumerate(paragraphs):
        if i:
            lines.append("")
        lines.extend(textwrap.wrap(para, width=width, break_long_words=False,
                                   break_on_hyphens=False) or [""])
    return ">-\n" + "\n".join(indent + line if line else "" for line in lines)


def dump_entry(fields: Mapping[str, Any], schema_url: str | None = SCHEMA_URL) -> str:
    """Render an entry as YAML in the canonical field order."""
    out: list[str] = []
    if schema_url:
        out.append(f"# yaml-language-server: $schema={schema_url}")
    for key in FIELD_ORDER:
        if key not in fields or fields[key] is None or fields[key] == [] or fields[key] == {}:
            continue
        value = fields[key]
        if key in ("abstract", "note") and not _UNSAFE_IN_BLOCK.search(value):
            out.append(f"{key}: {_block(value)}")
        elif key in ("abstract", "note"):
            out.append(f"{key}: {_quote(value)}")  # a block scalar cannot escape anything
        elif isinstance(value, Mapping):
            out.append(f"{key}:")
            out.extend(f"  {k}: {_quote(v)}" for k, v in sorted(value.items()))
        elif isinstance(value, list | tuple):
            flow = "[" + ", ".join(_item(v) for v in value) + "]"
            if len(key) + len(flow) <= 96:
                out.append(f"{key}: {flow}")
            else:
                out.append(f"{key}:")
                out.extend(f"  - {_item(v)}" for v in value)
        else:
            out.append(f"{key}: {_scalar(key, value)}")
    return "\n".join(out) + "\n"


def schema_url_for(entry: Path) -> str | None:
    """The ``$schema`` path for an entry written at ``entry``, relative to its folder.

    Looks for :data:`SCHEMA_FILES` in the entry's folder and each folder above it, up to
    the list's own folder (the first one holding ``mkdocs.yml``), so a header never points
    outside the list. ``None`` when the list has no schema: no header then, rather than one
    that names a missing file (editors would flag every entry)."""
    folder = Path(os.path.abspath(entry.parent))
    for candidate in (folder, *folder.parents):
        for name in SCHEMA_FILES:
            if (candidate / name).is_file():
                return Path(os.path.relpath(candidate / name, folder)).as_posix()
        if (candidate / "mkdocs.yml").is_file():
            break
    return None


def with_schema_header(text: str, entry: Path) -> str:
    """``text`` (as written by :func:`dump_entry`) with its schema header pointing at the
    list's schema as seen from ``entry``, or without a header when the list has none."""
    first, newline, rest = text.partition("\n")
    if not first.startswith(SCHEMA_HEADER):
        return text
    url = schema_url_for(entry)
    return f"{SCHEMA_HEADER}{url}{newline}{rest}" if url else rest


@dataclass
class Known:
    """What is already on the list (or in an inbox): ids and aliases, and the file holding
    each arXiv id, DOI and normalized title."""

    ids: set[str] = field(default_factory=set)
    arxiv: dict[str, str] = field(default_factory=dict)  #: lowercased id -> file
    doi: dict[str, str] = field(default_factory=dict)  #: lowercased DOI -> file
    titles: dict[str, str] = field(default_factory=dict)  #: title_key -> file


def entry_data(folders: Iterable[Path]) -> Iterator[tuple[Path, dict[str, Any] | None]]:
    """Every entry file in ``folders`` with its data, read leniently: None for a file that
    does not parse or is not a mapping (``check`` reports it; who lists what is on the list
    must still count its id)."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in iter_entry_files(folder):
            try:
                data = load_yaml(path).data
            except (YamlError, OSError):
                data = None
            yield path, data if isinstance(data, dict) else None


def known_papers(folders: Iterable[Path]) -> Known:
    """Read identifiers straight from every entry file in ``folders``, leniently: a list with
    errors still refuses duplicates, and a file that does not parse still reserves its id
    (``check`` reports it; ``add`` and ``import`` need not give up on the whole list)."""
    known = Known()
    for path, data in entry_data(folders):
        known.ids.add(path.stem)
        if data is not None:
            where = path.as_posix()
            known.ids.update(a for a in data.get("aliases") or [] if isinstance(a, str))
            for name, table in (("arxiv", known.arxiv), ("doi", known.doi)):
                if isinstance(data.get(name), str) and data[name]:
                    table.setdefault(data[name].lower(), where)
            if isinstance(data.get("title"), str):
                known.titles.setdefault(title_key(data["title"]), where)
    return known
