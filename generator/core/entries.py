"""Paper entries: the data model, the taxonomy, and loading with every problem reported.

``load_collection`` reads ``papers/*.yaml`` and ``papers/taxonomy.yml`` and returns a frozen
:class:`Collection` plus a list of :class:`Problem`. Nothing downstream touches raw dicts.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import os
import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field, fields, replace
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema

from .cache import Cache
from .files import KeyPath, Located, YamlError, escapes, load_yaml, parse_yaml, read_yaml

ID_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_ID_LENGTH = 80
#: An arXiv id without its version, new style (0704.0001 .. 2505.20118) or old (cs/0112017,
#: math.GT/0309136), as a group to put inside other patterns: schema.json's ``arxiv``
#: pattern without its anchors (a test holds the two equal), for every reader of ids.
ARXIV_ID = (r"(?:[0-9]{2}(?:0[1-9]|1[0-2])\.[0-9]{4,5}"
            r"|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/[0-9]{2}(?:0[1-9]|1[0-2])[0-9]{3})")
ARXIV_VERSION_RE = re.compile(r"v[0-9]+$")
NEAR_DUPLICATE_RATIO = 0.92
EXPECTED_HINTS = {
    "authors": "add authors: [First Author, Second Author]",
    "published": "add published: YYYY-MM, the first version's date, no more precise than known",
    "identifier": "add arxiv:, doi: or url: so readers can find the paper",
    "abstract": "run `reading-list enrich` on this file to fetch it, or paste it as abstract: >",
}


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, with where it is and how to fix it."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""
    severity: str = "error"  # "error" fails a check; "warning" is a to-do

    def format(self) -> str:
        """``path:line:col: severity: message (hint)``, always one line."""
        hint = f" ({self.hint})" if self.hint else ""
        return _one_line(f"{self.path}:{self.line}:{self.col}: {self.severity}: "
                         f"{self.message}{hint}")

    def format_github(self) -> str:
        """A GitHub Actions workflow command that annotates the line in a pull request."""
        text = _one_line(self.message + (f" ({self.hint})" if self.hint else ""))
        text = text.replace("%", "%25")
        path = _one_line(self.path).replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        kind = "error" if self.severity == "error" else "warning"
        return f"::{kind} file={path},line={self.line},col={self.col}::{text}"


# Also lone surrogates: printing one raises UnicodeEncodeError instead of showing the problem.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _one_line(text: str) -> str:
    """Escape control characters: messages quote untrusted text (keys, values, file names),
    and a newline or terminal escape in it must not forge or hide output lines."""
    return _CONTROL.sub(lambda m: ascii(m.group())[1:-1], text)


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the year, the month or the day."""

    year: int
    month: int | None = None
    day: int | None = None

    @classmethod
    def parse(cls, value: str | int) -> PartialDate:
        """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` (already validated by the schema)."""
        parts = [int(p) for p in str(value).split("-")]
        date = cls(*parts)
        date.earliest()  # raises ValueError for 2025-02-30
        return date

    def earliest(self) -> dt.date:
        """The first day this date could mean."""
        return dt.date(self.year, self.month or 1, self.day or 1)

    @property
    def iso(self) -> str:
        """The date as written: 2025, 2025-05 or 2025-05-27."""
        out = f"{self.year:04d}"
        if self.month:
            out += f"-{self.month:02d}"
        if self.day:
            out += f"-{self.day:02d}"
        return out

    def __str__(self) -> str:
        return self.iso


@dataclass(frozen=True)
class Paper:
    """One validated entry of the list. Built only by the loader."""

    id: str  #: the file stem: permanent id and URL (/papers/<id>/)
    source: str  #: path of the YAML file, relative to the project, for edit links
    title: str
    abstract: str  #: "" when the entry has none yet (valid, with a warning)
    category: str
    tags: tuple[str, ...]
    added: dt.date
    authors: tuple[str, ...] = ()
    authors_incomplete: bool = False  #: the authors list is known to be partial
    published: PartialDate | None = None
    arxiv: str | None = None
    doi: str | None = None
    url: str | None = None
    venue: str | None = None
    links: tuple[tuple[str, str], ...] = ()  #: (kind, url) pairs, sorted by kind
    note: str | None = None
    aliases: tuple[str, ...] = ()

    def __hash__(self) -> int:
        # Papers key the page, card and feed caches: hash the fields once, not per lookup.
        cached = self.__dict__.get("_hash")
        if cached is None:
            cached = hash(tuple(getattr(self, f.name) for f in fields(self)))
            object.__setattr__(self, "_hash", cached)
        return cached

    def __getstate__(self) -> dict[str, Any]:
        # String hashes differ between interpreters: a pickled paper hashes itself anew.
        return {k: v for k, v in self.__dict__.items() if k != "_hash"}

    @property
    def year(self) -> int | None:
        """The publication year, when known."""
        return self.published.year if self.published else None

    @property
    def arxiv_url(self) -> str | None:
        return f"https://arxiv.org/abs/{self.arxiv}" if self.arxiv else None

    @property
    def pdf_url(self) -> str | None:
        """A PDF link: an explicit ``links.pdf``, else arXiv's."""
        explicit = dict(self.links).get("pdf")
        if explicit:
            return explicit
        return f"https://arxiv.org/pdf/{self.arxiv}" if self.arxiv else None

    @property
    def doi_url(self) -> str | None:
        return f"https://doi.org/{self.doi}" if self.doi else None

    @property
    def main_url(self) -> str | None:
        """The best external page of the paper: DOI, else arXiv, else ``url``."""
        return self.doi_url or self.arxiv_url or self.url

    @property
    def date_key(self) -> dt.date:
        """The publication date for sorting (the addition date when unknown)."""
        return self.published.earliest() if self.published else self.added


def paper_path(paper_id: str) -> str:
    """The site path of a paper's page, ``papers/<id>/``: a promise (a renamed paper's
    former ids keep theirs as redirects, and feed ids are made from it)."""
    return f"papers/{paper_id}/"


@dataclass(frozen=True)
class Category:
    slug: str
    title: str
    description: str
    order: int
    #: former slugs: /categories/<alias>/ redirects here and its feed keeps being written
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tag:
    slug: str
    title: str
    description: str
    aliases: tuple[str, ...] = ()  #: former slugs, as for categories


@dataclass(frozen=True)
class Taxonomy:
    """The declared categories (in display order) and tags (by slug)."""

    categories: tuple[Category, ...]
    tags: tuple[Tag, ...]

    @cached_property
    def category_by_slug(self) -> dict[str, Category]:
        return {c.slug: c for c in self.categories}

    @cached_property
    def tag_by_slug(self) -> dict[str, Tag]:
        return {t.slug: t for t in self.tags}

    @cached_property
    def category_aliases(self) -> dict[str, str]:
        """Former category slug -> current slug."""
        return {a: c.slug for c in self.categories for a in c.aliases}

    @cached_property
    def tag_aliases(self) -> dict[str, str]:
        """Former tag slug -> current slug."""
        return {a: t.slug for t in self.tags for a in t.aliases}


@dataclass(frozen=True)
class Collection:
    """Every valid paper (sorted by id) and the taxonomy they use."""

    papers: tuple[Paper, ...]
    taxonomy: Taxonomy

    @cached_property
    def by_id(self) -> dict[str, Paper]:
        return {p.id: p for p in self.papers}

    @cached_property
    def by_category(self) -> dict[str, tuple[Paper, ...]]:
        """Papers per category slug, newest additions first (every category present)."""
        groups: dict[str, list[Paper]] = {c.slug: [] for c in self.taxonomy.categories}
        for paper in self.papers:
            groups.setdefault(paper.category, []).append(paper)
        return {k: tuple(sorted(v, key=newest_first)) for k, v in groups.items()}

    @cached_property
    def by_tag(self) -> dict[str, tuple[Paper, ...]]:
        """Papers per tag slug, newest additions first (every declared tag present)."""
        groups: dict[str, list[Paper]] = {t.slug: [] for t in self.taxonomy.tags}
        for paper in self.papers:
            for tag in paper.tags:
                groups.setdefault(tag, []).append(paper)
        return {k: tuple(sorted(v, key=newest_first)) for k, v in groups.items()}

    @cached_property
    def newest(self) -> tuple[Paper, ...]:
        """All papers, newest additions first (then newest publication, then id)."""
        return tuple(sorted(self.papers, key=newest_first))


def newest_first(paper: Paper) -> tuple[int, int, str]:
    """Sort key: newest ``added`` first, then newest publication, then id."""
    return (-paper.added.toordinal(), -paper.date_key.toordinal(), paper.id)


def newest_published_first(paper: Paper) -> tuple[int, int, str]:
    """Sort key: newest publication first (papers without a date last), then newest
    ``added``, then id: author pages and trending's list when it has no data."""
    published = paper.date_key if paper.published else dt.date.min
    return (-published.toordinal(), -paper.added.toordinal(), paper.id)


@dataclass
class _Problems:
    """Collects problems for one file, resolving key paths to positions."""

    path: str
    located: Located | None = None
    items: list[Problem] = field(default_factory=list)

    def add(self, where: KeyPath, message: str, hint: str = "", severity: str = "error",
            key: bool = False) -> None:
        if self.located is None:
            line, col = 1, 1
        elif key:
            line, col = self.located.key_pos(where)
        else:
            line, col = self.located.pos(where)
        self.items.append(Problem(self.path, line, col, message, hint, severity))


def load_schema() -> dict[str, Any]:
    """The JSON Schema of an entry, as shipped in the package."""
    return json.loads(resources.files("generator").joinpath("schema.json").read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator() -> Any:
    """jsonschema's validator, which names every violation (imported only when an entry is
    invalid: a list that validates does not pay for loading it)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema())


@lru_cache(maxsize=2)
def _fast_check(name: str) -> Any:
    """A schema ("entry" or "taxonomy") compiled to Python by fastjsonschema: a valid
    document (nearly every one) is confirmed in microseconds; jsonschema then explains only
    the invalid ones. The schemas use only keywords that mean the same in draft-07, which
    fastjsonschema implements (a test holds the two validators to the same verdicts)."""
    schema = load_schema() if name == "entry" else TAXONOMY_SCHEMA
    check = fastjsonschema.compile({**schema,
                                    "$schema": "http://json-schema.org/draft-07/schema#"})

    def is_valid(data: Any) -> bool:
        try:
            check(data)
        except fastjsonschema.JsonSchemaException:
            return False
        return True

    return is_valid


def _is_valid() -> Any:
    """The fast check of an entry against the entry schema."""
    return _fast_check("entry")


_TYPE_NAMES = {str: "text", int: "a number", float: "a number", bool: "true/false",
               list: "a list", dict: "a mapping", type(None): "empty"}


def _schema_problems(data: dict[str, Any], out: _Problems) -> set[str]:
    """Report schema violations; returns the top-level fields that have one."""
    if _is_valid()(data):
        return set()
    props = load_schema_props()
    bad: set[str] = set()
    for err in sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.path))):
        where: KeyPath = tuple(err.absolute_path)
        top = str(where[0]) if where else ""
        bad.add(top)
        hint = props.get(top, {}).get("x-hint", "")
        label = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in where)
        label = label.replace(".[", "[")
        if err.validator == "required":
            missing = re.search(r"'([^']+)'", err.message)
            name = missing.group(1) if missing else "?"
            out.add((), f"missing required field '{name}'",
                    props.get(name, {}).get("x-hint", ""))
        elif err.validator == "additionalProperties" and not where:
            allowed = sorted(props)
            for name in sorted(set(data) - set(allowed)):
                close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
                out.add((name,), f"unknown field '{name}'",
                        f"did you mean '{close[0]}'?" if close else
                        "allowed fields: " + ", ".join(allowed), key=True)
        elif err.validator == "type":
            got = _TYPE_NAMES.get(type(err.instance), type(err.instance).__name__)
            extra = ""
            if isinstance(err.instance, int | float) and top in ("arxiv", "doi"):
                extra = f'quote it: {top}: "..."; unquoted it is read as a number'
            out.add(where, f"'{label}' must be {_expected(err.validator_value)}, not {got}",
                    extra or hint)
        elif err.validator == "minItems":
            count = err.validator_value
            out.add(where, f"'{label}' needs at least {count} item{'s' if count != 1 else ''}",
                    hint)
        elif err.validator == "maxItems":
            out.add(where, f"'{label}' has {len(err.instance)} items, more than the "
                    f"{err.validator_value} allowed", "keep the ones that say most")
        elif err.validator == "uniqueItems":
            out.add(where, f"'{label}' lists the same value twice", "remove the repeat")
        elif err.validator == "minLength":
            out.add(where, f"'{label}' is empty", hint)
        elif err.validator == "maxLength":
            out.add(where, f"'{label}' is longer than {err.validator_value} characters", hint)
        elif "propertyNames" in err.relative_schema_path:
            # jsonschema reports the bad name itself as the instance, at the parent's path.
            out.add((*where, str(err.instance)), f"invalid key {err.instance!r} in '{label}'",
                    "keys are lowercase words such as code, project, pdf", key=True)
        else:
            shown = err.instance if isinstance(err.instance, str | int | float) else ""
            if top == "arxiv" and isinstance(shown, str) and ARXIV_VERSION_RE.search(shown):
                hint = f"drop the version suffix: \"{ARXIV_VERSION_RE.sub('', shown)}\""
            if top == "links" or top == "url":
                hint = "links must start with http:// or https://"
            out.add(where, f"invalid '{label}': {shown!r}" if shown != "" else
                    f"invalid '{label}'", hint)
    return bad


def _expected(value: Any) -> str:
    names = {"string": "text", "array": "a list", "object": "a mapping",
             "boolean": "true or false", "integer": "a whole number", "number": "a number"}
    if isinstance(value, list):
        return " or ".join(names.get(v, v) for v in value)
    return names.get(value, value)


@lru_cache(maxsize=1)
def load_schema_props() -> dict[str, Any]:
    """The entry schema's properties (the shipped file: read once)."""
    return load_schema()["properties"]


def normalize_space(text: str, folded: bool = False) -> str:
    """Collapse runs of whitespace inside paragraphs; keep paragraph breaks as one blank line.

    Paragraphs are separated by a blank line. With ``folded``, for text YAML has already
    folded (every style but a literal ``|`` block), any line break separates paragraphs:
    a blank line between two lines of ``abstract: >`` loads as a single ``\n``.
    """
    paragraphs = re.split(r"\n\s*\n" if not folded else r"\s*\n\s*", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def _note(located: Located) -> str:
    """The note as Markdown: a folded note's line breaks were blank lines, so they become
    paragraph breaks again; a literal block (``note: |``) is Markdown as written."""
    text = located.data["note"].strip()
    return text if located.is_literal(("note",)) else \
        re.sub(r"[ \t]*(\n[ \t]*)+", "\n\n", text)


def _paragraphs(located: Located, name: str) -> str:
    """A text field normalized the way its author laid it out (see :func:`normalize_space`)."""
    return normalize_space(located.data[name], folded=not located.is_literal((name,)))


def _did_you_mean(value: str, options: list[str]) -> str:
    close = difflib.get_close_matches(value, options, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else ""


# Anything that starts like a tag, comment or processing instruction counts as raw HTML;
# Markdown autolinks such as <https://example.org> do not.
_HTML_RE = re.compile(r"<[A-Za-z!/?]")
_AUTOLINK_RE = re.compile(r"<(https?://|mailto:)[^<>\s]*>", re.IGNORECASE)


#: Names Windows reserves for devices, with any extension: a file papers/con.yaml cannot be
#: checked out there, so a contributor on Windows could not clone the list.
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)),
                              *(f"lpt{i}" for i in range(1, 10))})
#: Text no page or feed can hold: lone surrogates (not encodable as UTF-8), C0 controls other
#: than tab and line breaks, and U+FFFE/U+FFFF (not XML characters). YAML's escapes
#: (\\ud800, \\x1b) put them in loaded text even though the file itself is clean.
_BAD_TEXT = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _entry_id_problems(stem: str, out: _Problems) -> None:
    if not ID_RE.match(stem) or len(stem) > MAX_ID_LENGTH:
        out.add((), f"file name '{stem}' is not a valid permanent id",
                f"use lowercase letters, digits and single hyphens, at most {MAX_ID_LENGTH} "
                "characters, e.g. trojanstego.yaml")
    elif stem in WINDOWS_RESERVED:
        out.add((), f"file name '{stem}' is reserved on Windows (a device name), so the list "
                "could not be checked out there", f"rename the file, e.g. {stem}-paper.yaml")


def _text_problems(value: Any, where: KeyPath, out: _Problems) -> None:
    """Characters that would fail the build later (encoding a page, writing a feed)."""
    if isinstance(value, str):
        bad = _BAD_TEXT.search(value)
        if bad:
            char = bad.group(0)
            kind = "a lone surrogate" if "\ud800" <= char <= "\udfff" else \
                "a noncharacter" if char >= "\ufdd0" else "a control character"
            out.add(where, f"text contains {kind} (U+{ord(char):04X}), which pages and feeds "
                    "cannot hold", "remove the escape sequence or write the character itself")
    elif isinstance(value, dict):
        for key, item in value.items():
            _text_problems(item, (*where, key), out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _text_problems(item, (*where, i), out)


def parse_entry(stem: str, source: str, located: Located, taxonomy: Taxonomy | None,
                today: dt.date, out: _Problems) -> Paper | None:
    """Validate one loaded entry; return a :class:`Paper` when it has no errors."""
    data = located.data
    errors_before = sum(p.severity == "error" for p in out.items)
    _entry_id_problems(stem, out)
    if not isinstance(data, dict):
        out.add((), "an entry must be a YAML mapping of fields" if data is not None
                else "file is empty", "start from the example in docs/entries.md")
        return None
    bad = _schema_problems(data, out)
    _text_problems(data, (), out)
    for i, alias in enumerate(data.get("aliases") or ()):
        if alias == stem:
            out.add(("aliases", i), f"alias '{alias}' is the entry's own id",
                    "drop it: an alias is a former id that redirects here")
        elif isinstance(alias, str) and alias in WINDOWS_RESERVED:
            out.add(("aliases", i), f"alias '{alias}' is reserved on Windows (a device name)",
                    "drop it")
    published = added = None
    # Fields the schema already rejected get no second message about the same fault.
    if isinstance(data.get("added"), str) and "added" not in bad:
        try:
            added = dt.date.fromisoformat(data["added"])
        except ValueError:
            out.add(("added",), f"'added' is not a real date: {data['added']!r}",
                    "YYYY-MM-DD")
    if isinstance(data.get("published"), str | int) and "published" not in bad:
        try:
            published = PartialDate.parse(data["published"])
        except (ValueError, TypeError):
            out.add(("published",), f"'published' is not a real date: {data['published']!r}",
                    "YYYY, YYYY-MM or YYYY-MM-DD")
    if added and added > today:
        out.add(("added",), f"'added' is {added}, after today ({today})",
                "use the day the paper joined the list")
    if added and published and published.earliest() > added:
        out.add(("published",), f"'published' ({published}) is after 'added' ({added})",
                "a paper cannot join the list before it exists")
    if taxonomy is not None:
        category = data.get("category")
        if isinstance(category, str) and category and category not in \
                taxonomy.category_by_slug:
            if category in taxonomy.category_aliases:
                # One spelling per category in the data: the old one is refused, with the
                # new one named, so pages, feeds and BibTeX never see a former slug.
                out.add(("category",), f"category '{category}' was renamed",
                        f"did you mean '{taxonomy.category_aliases[category]}'?")
            else:
                out.add(("category",), f"unknown category '{category}'",
                        _did_you_mean(category, list(taxonomy.category_by_slug))
                        or "declare it in papers/taxonomy.yml")
        tags = data.get("tags")
        if isinstance(tags, list):
            for i, tag in enumerate(tags):
                if isinstance(tag, str) and tag and tag not in taxonomy.tag_by_slug:
                    if tag in taxonomy.tag_aliases:
                        out.add(("tags", i), f"tag '{tag}' was renamed",
                                f"did you mean '{taxonomy.tag_aliases[tag]}'?")
                    else:
                        out.add(("tags", i), f"unknown tag '{tag}'",
                                _did_you_mean(tag, list(taxonomy.tag_by_slug))
                                or "declare it in papers/taxonomy.yml")
    note = data.get("note")
    if isinstance(note, str) and _HTML_RE.search(_AUTOLINK_RE.sub("", note)):
        out.add(("note",), "notes are Markdown without HTML tags",
                "remove the <...> markup; use Markdown for emphasis and links")
    for name in ("title", "abstract"):
        if isinstance(data.get(name), str) and not data[name].strip() and name not in bad:
            out.add((name,), f"'{name}' is blank", load_schema_props()[name]["x-hint"])
    # Expected fields: gaps are a to-do list, not a failure.
    if "authors" not in data:
        out.add((), "no authors yet", EXPECTED_HINTS["authors"], "warning")
    if "abstract" not in data:
        out.add((), "no abstract yet", EXPECTED_HINTS["abstract"], "warning")
    if "published" not in data:
        out.add((), "no publication date yet", EXPECTED_HINTS["published"], "warning")
    if not any(k in data for k in ("arxiv", "doi", "url")):
        out.add((), "no arXiv id, DOI or URL yet", EXPECTED_HINTS["identifier"], "warning")
    if sum(p.severity == "error" for p in out.items) > errors_before:
        return None
    assert added is not None  # guaranteed by the schema check above
    links = data.get("links") or {}
    return Paper(
        id=stem,
        source=source,
        title=" ".join(data["title"].split()),  # a title is one line, whatever was typed
        abstract=_paragraphs(located, "abstract") if "abstract" in data else "",
        category=data["category"],
        tags=tuple(data["tags"]),
        added=added,
        authors=tuple(" ".join(a.split()) for a in data.get("authors") or ()),
        authors_incomplete=bool(data.get("authors_incomplete", False)),
        published=published,
        arxiv=data.get("arxiv"),
        doi=data.get("doi"),
        url=data.get("url"),
        venue=data.get("venue"),
        links=tuple(sorted(links.items())),
        note=_note(located) if data.get("note") else None,
        aliases=tuple(data.get("aliases") or ()),
    )


def check_entry_text(stem: str, text: str, taxonomy: Taxonomy | None, today: dt.date
                     ) -> tuple[Paper | None, list[Problem], Located | None]:
    """Check an entry that is not on disk yet (import, enrich): the paper when valid, every
    problem, and the parsed text (for positions). Problems name ``<stem>.yaml``."""
    out = _Problems(f"{stem}.yaml")
    try:
        out.located = parse_yaml(text)
    except YamlError as exc:
        return None, [Problem(out.path, exc.line, exc.col, exc.message, exc.hint)], None
    paper = parse_entry(stem, out.path, out.located, taxonomy, today, out)
    return paper, out.items, out.located


#: Former slugs of a category or tag (after a rename): their URLs and feeds keep working.
_TAXONOMY_ALIASES: dict[str, Any] = {"type": "array", "uniqueItems": True,
                                     "items": {"type": "string", "pattern": ID_RE.pattern}}

TAXONOMY_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["categories", "tags"],
    "properties": {
        "categories": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["slug", "title", "description"],
            "properties": {
                "slug": {"type": "string", "pattern": ID_RE.pattern},
                "title": {"type": "string", "minLength": 1},
                "description": {"type": "string", "minLength": 1},
                "order": {"type": "integer"},
                "aliases": _TAXONOMY_ALIASES,
            }}},
        "tags": {"type": "array", "minItems": 1, "items": {
            "type": "object", "additionalProperties": False,
            "required": ["slug", "title"],
            "properties": {
                "slug": {"type": "string", "pattern": ID_RE.pattern},
                "title": {"type": "string", "minLength": 1},
                "description": {"type": "string"},
                "aliases": _TAXONOMY_ALIASES,
            }}},
    },
}


_TAXONOMY_ITEM_HINTS = {
    "categories": "each category has slug, title, description and an optional order",
    "tags": "each tag has slug, title and an optional description",
}
_TAXONOMY_FIELD_HINTS = {
    "slug": "lowercase letters, digits and single hyphens, e.g. model-editing",
    "title": "a short name shown on the site",
    "description": "one paragraph on what belongs here",
    "order": "a whole number: the category's place in the menu",
    "aliases": "former slugs, e.g. aliases: [old-slug]",
}


def _taxonomy_problems(data: Any, out: _Problems) -> None:
    """Schema violations of ``taxonomy.yml``, phrased like entry problems (field + hint)."""
    if _fast_check("taxonomy")(data):
        return
    from jsonschema import Draft202012Validator

    errors = Draft202012Validator(TAXONOMY_SCHEMA).iter_errors(data)
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path))):
        where: KeyPath = tuple(err.absolute_path)
        if not where:
            _taxonomy_top_problem(err, data, out)
            continue
        kind = str(where[0])
        if len(where) == 1:  # categories: or tags: itself
            if err.validator == "minItems":
                out.add(where, f"'{kind}' is empty", _TAXONOMY_ITEM_HINTS[kind])
            else:
                out.add(where, f"'{kind}' must be a list, not "
                        f"{_TYPE_NAMES.get(type(err.instance), 'that')}",
                        _TAXONOMY_ITEM_HINTS[kind])
            continue
        item = data[kind][where[1]]
        name = "category" if kind == "categories" else "tag"
        slug = item.get("slug") if isinstance(item, dict) else None
        label = f"{name} '{slug}'" if isinstance(slug, str) and slug else \
            f"{name} #{int(where[1]) + 1}"
        field_name = str(where[2]) if len(where) > 2 else ""
        if err.validator == "type" and not field_name:
            out.add(where, f"{label} must be a mapping of fields, not "
                    f"{_TYPE_NAMES.get(type(err.instance), 'that')}",
                    _TAXONOMY_ITEM_HINTS[kind])
        elif err.validator == "required":
            missing = re.search(r"'([^']+)'", err.message)
            field_name = missing.group(1) if missing else "?"
            out.add(where, f"{label} is missing '{field_name}'",
                    _TAXONOMY_FIELD_HINTS.get(field_name, _TAXONOMY_ITEM_HINTS[kind]))
        elif err.validator == "additionalProperties":
            allowed = sorted(err.schema["properties"])
            for key in sorted(set(item) - set(allowed)):
                out.add((*where, key), f"unknown field '{key}' in {label}",
                        _did_you_mean(key, allowed) or "allowed fields: " + ", ".join(allowed),
                        key=True)
        elif err.validator == "pattern" and field_name == "aliases":
            out.add(where, f"alias {err.instance!r} of {label} is not a valid slug",
                    _TAXONOMY_FIELD_HINTS["slug"])
        elif err.validator == "pattern":
            out.add(where, f"{name} slug {err.instance!r} is not a valid slug",
                    _TAXONOMY_FIELD_HINTS["slug"])
        elif err.validator == "uniqueItems":
            out.add(where, f"'{field_name}' of {label} lists the same value twice",
                    "remove the repeat")
        elif err.validator == "minLength":
            out.add(where, f"'{field_name}' of {label} is empty",
                    _TAXONOMY_FIELD_HINTS.get(field_name, ""))
        elif err.validator == "type" and len(where) > 3:  # an item of aliases
            out.add(where, f"an alias of {label} must be text, not "
                    f"{_TYPE_NAMES.get(type(err.instance), 'that')}",
                    _TAXONOMY_FIELD_HINTS["aliases"])
        elif err.validator == "type":
            out.add(where, f"'{field_name}' of {label} must be "
                    f"{_expected(err.validator_value)}, not "
                    f"{_TYPE_NAMES.get(type(err.instance), 'that')}",
                    _TAXONOMY_FIELD_HINTS.get(field_name, ""))
        else:  # pragma: no cover - the taxonomy schema uses only the keywords above
            out.add(where, f"{label}: {err.message}", _TAXONOMY_ITEM_HINTS[kind])


def _taxonomy_top_problem(err: Any, data: Any, out: _Problems) -> None:
    if err.validator == "type":
        out.add((), "the taxonomy must be a mapping with 'categories' and 'tags'" if data
                is not None else "taxonomy file is empty",
                "categories: [- slug: ..., title: ..., description: ...], tags: [...]")
    elif err.validator == "required":
        missing = re.search(r"'([^']+)'", err.message)
        kind = missing.group(1) if missing else "?"
        out.add((), f"taxonomy is missing '{kind}'", _TAXONOMY_ITEM_HINTS.get(kind, ""))
    else:  # additionalProperties
        allowed = ["categories", "tags"]
        for key in sorted(set(data) - set(allowed)):
            out.add((key,), f"unknown field '{key}' in the taxonomy",
                    _did_you_mean(key, allowed) or "the taxonomy has categories: and tags:",
                    key=True)


def _slug_problems(kind: str, items: list[Category] | list[Tag], out: _Problems) -> None:
    """Slugs and aliases of one kind share a namespace (they are the URLs /<kind>/<slug>/):
    each may be declared once. The first declaration in file order keeps a value."""
    name = "tag" if kind == "tags" else "category"
    owners: dict[str, str] = {}
    for item in items:  # slugs first: an alias that repeats a slug is the alias's fault
        owners.setdefault(item.slug, item.slug)
    seen: set[str] = set()
    for i, item in enumerate(items):
        if item.slug in seen:
            out.add((kind, i, "slug"), f"{name} '{item.slug}' is declared twice",
                    "remove one of them")
        seen.add(item.slug)
    for i, item in enumerate(items):
        for j, alias in enumerate(item.aliases):
            owner = owners.setdefault(alias, item.slug)
            if alias == item.slug:
                out.add((kind, i, "aliases", j), f"alias '{alias}' of {name} '{item.slug}' "
                        "is its own slug", "drop it: an alias is a former slug that "
                        "redirects here")
            elif owner != item.slug or alias in seen:
                used = f"the slug of {name} '{alias}'" if alias in seen else \
                    f"already an alias of {name} '{owner}'"
                out.add((kind, i, "aliases", j), f"alias '{alias}' of {name} '{item.slug}' "
                        f"is {used}", "a slug or alias names one "
                        f"{name}: drop the alias or rename")


def load_taxonomy(path: Path, display: str | None = None, cache: Cache | None = None
                  ) -> tuple[Taxonomy | None, list[Problem]]:
    """Load ``taxonomy.yml``; returns the taxonomy (None on errors) and its problems."""
    out = _Problems(display or str(path))
    try:
        out.located = load_yaml(path, cache=cache)
    except FileNotFoundError:
        out.add((), "taxonomy file not found",
                "create papers/taxonomy.yml with categories: and tags:")
        return None, out.items
    except YamlError as exc:
        out.items.append(Problem(out.path, exc.line, exc.col, exc.message, exc.hint))
        return None, out.items
    except OSError as exc:
        out.add((), f"cannot read taxonomy file: {exc.strerror}")
        return None, out.items
    data = out.located.data
    _taxonomy_problems(data, out)
    _text_problems(data, (), out)
    if out.items:
        return None, sorted(out.items)
    categories = []
    for i, c in enumerate(data["categories"]):
        categories.append(Category(c["slug"], normalize_space(c["title"]),
                                   normalize_space(c["description"]), c.get("order", i + 1),
                                   tuple(c.get("aliases") or ())))
    tags = [Tag(t["slug"], normalize_space(t["title"]), normalize_space(t.get("description")
                                                                         or ""),
                tuple(t.get("aliases") or ()))
            for t in data["tags"]]
    for kind, items in (("categories", categories), ("tags", tags)):
        _slug_problems(kind, items, out)
    if out.items:
        return None, out.items
    categories.sort(key=lambda c: (c.order, c.slug))
    tags.sort(key=lambda t: t.slug)
    return Taxonomy(tuple(categories), tuple(tags)), out.items


def _display(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` (the project), as problems and edit links show it."""
    return _display_from(os.getcwd(), path, root)


@lru_cache(maxsize=1 << 16)
def _display_from(cwd: str, path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def load_collection(files: list[Path], taxonomy_path: Path, today: dt.date,
                    root: Path | None = None, cache: Cache | None = None
                    ) -> tuple[Collection | None, list[Problem]]:
    """Load and cross-check entries; returns the collection (None on errors) and problems.

    ``root`` is the project folder: problem paths and ``Paper.source`` are relative to it.
    With a ``cache`` (:mod:`generator.core.cache`), reading again is cheap: unchanged files
    are not parsed again and unchanged entries not checked again (``serve`` reloads after
    every edit); the result is the same as without one.
    """
    if root is not None and escapes(taxonomy_path, root):
        taxonomy, problems = None, [_outside(_display(taxonomy_path, root))]
    else:
        taxonomy, problems = load_taxonomy(taxonomy_path, _display(taxonomy_path, root), cache)
    papers: list[Paper] = []
    identities: list[_Identity] = []
    identity_keys: list[Any] = []  #: (source, text, ...) of the entry of each identity
    positions: dict[str, _Problems] = {}
    # An entry's checks depend only on its text, name, the taxonomy and today.
    previous = cache.previous("checked entries") if cache is not None else {}
    checked: dict[Any, tuple[Paper | None, tuple[Problem, ...]]] = {}
    token = cache.token("taxonomy", taxonomy) if cache is not None else None
    for path in sorted(files):
        source = _display(path, root)
        out = _Problems(source)
        positions[source] = out
        if root is not None and escapes(path, root):
            out.items.append(_outside(source))
            problems.extend(out.items)
            continue
        try:
            text, out.located = read_yaml(path, cache=cache)
        except YamlError as exc:
            out.items.append(Problem(source, exc.line, exc.col, exc.message, exc.hint))
        except OSError as exc:
            out.items.append(Problem(source, 1, 1, f"cannot read file: {exc.strerror}"))
        else:
            key = (source, text, token, today)
            hit = previous.get(key)
            if hit is not None:
                paper, out.items = hit[0], list(hit[1])
            else:
                paper = parse_entry(path.stem, source, out.located, taxonomy, today, out)
            checked[key] = (paper, tuple(out.items))
            if paper is not None:
                papers.append(paper)
            identity = _identity(path.stem, source, out.located.data)
            if identity is not None:
                if identity.distinct_from:
                    # `check papers/one.yaml` does not load the others: an id in
                    # distinct_from is known when its file is next to this one.
                    identity = replace(identity, present=frozenset(
                        d for _, d in identity.distinct_from
                        if any(path.with_name(d + ext).is_file() for ext in (".yaml", ".yml"))))
                identities.append(identity)
                identity_keys.append(key)
        problems.extend(out.items)
    if cache is not None:
        cache.keep("checked entries", checked)
    # Across entries: depends on what identifies each entry and where it is written.
    cross_key = tuple((i, key[1]) for i, key in zip(identities, identity_keys, strict=True))
    last = cache.room("cross checks").get("last") if cache is not None else None
    if last is not None and last[0] == cross_key:
        problems.extend(last[1])
    else:
        cross = _cross_checks(identities, positions)
        if cache is not None:
            cache.room("cross checks")["last"] = (cross_key, tuple(cross))
        problems.extend(cross)
    problems.sort(key=lambda p: (p.path, p.line, p.col, p.message))
    if taxonomy is None or any(p.severity == "error" for p in problems):
        return None, problems
    return Collection(tuple(sorted(papers, key=lambda p: p.id)), taxonomy), problems


def _outside(source: str) -> Problem:
    return Problem(source, 1, 1, "is a symbolic link to a file outside the project; refused "
                   "unread", "copy the file into the project instead of linking to it")


@dataclass(frozen=True)
class _Identity:
    """What says which paper an entry is, read from its data whether or not the entry is
    valid: duplicates are reported even while other problems are being fixed."""

    id: str
    source: str
    title: str | None
    aliases: tuple[tuple[int, str], ...]  #: (position in the list, alias)
    keys: tuple[tuple[str, str, str, KeyPath], ...]  #: (kind, normalized, as written, where)
    #: (position, id) of the entries a curator declared different papers (``distinct_from``)
    distinct_from: tuple[tuple[int, str], ...] = ()
    #: ids in ``distinct_from`` that are entry files next to this one, checked or not
    present: frozenset[str] = frozenset()


_ARXIV_LINK = re.compile(r"^https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/"
                         rf"({ARXIV_ID})(?:v\d+)?(?:\.pdf)?/?$", re.IGNORECASE)
_DOI_LINK = re.compile(r"^https?://(?:dx\.)?doi\.org/(10\.\S+)$", re.IGNORECASE)


def normalize_url(url: str) -> str:
    """A URL reduced for duplicate detection: scheme, ``www.``, fragment, a trailing slash
    and case of the host ignored."""
    parts = urllib.parse.urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    query = f"?{parts.query}" if parts.query else ""
    return f"{host}{path}{query}"


def _identity(stem: str, source: str, data: Any) -> _Identity | None:
    if not isinstance(data, dict):
        return None

    def text(name: str) -> str | None:
        value = data.get(name)
        return value if isinstance(value, str) and value.strip() else None

    keys: list[tuple[str, str, str, KeyPath]] = []
    arxiv, doi, url = text("arxiv"), text("doi"), text("url")
    if arxiv:
        keys.append(("arxiv", ARXIV_VERSION_RE.sub("", arxiv.strip()).lower(), arxiv,
                     ("arxiv",)))
    if doi:
        keys.append(("doi", doi.strip().lower(), doi, ("doi",)))
    if url:
        # A URL that is an arXiv or DOI link names the same paper as that id.
        if (match := _ARXIV_LINK.match(url.strip())) and not arxiv:
            keys.append(("arxiv", match.group(1).lower(), url, ("url",)))
        elif (match := _DOI_LINK.match(url.strip())) and not doi:
            keys.append(("doi", urllib.parse.unquote(match.group(1)).lower(), url, ("url",)))
        else:
            keys.append(("url", normalize_url(url), url, ("url",)))
    raw_aliases = data.get("aliases")
    aliases = tuple((i, a) for i, a in enumerate(raw_aliases)
                    if isinstance(a, str) and a) if isinstance(raw_aliases, list) else ()
    raw_distinct = data.get("distinct_from")
    distinct = tuple((i, d) for i, d in enumerate(raw_distinct)
                     if isinstance(d, str) and d) if isinstance(raw_distinct, list) else ()
    title = text("title")
    return _Identity(stem, source, " ".join(title.split()) if title else None, aliases,
                     tuple(keys), distinct)


def _cross_checks(identities: list[_Identity], outs: dict[str, _Problems]) -> list[Problem]:
    """Uniqueness of ids, aliases, arXiv ids, DOIs and URLs; near-duplicate titles.

    The first file in (id, path) order keeps a value; every later one is flagged, naming it.
    """
    found: list[Problem] = []
    ordered = sorted(identities, key=lambda p: (p.id, p.source))
    owners: dict[tuple[str, str], _Identity] = {}
    # Ids first: an alias that repeats an id is the alias's fault, whatever the file order.
    for paper in ordered:
        owners.setdefault(("id", paper.id), paper)
    for paper in ordered:
        out = _Problems(paper.source, outs[paper.source].located)
        keys = [("id", paper.id, ())] + [("alias", a, ("aliases", i))
                                          for i, a in paper.aliases]
        for kind, value, where in keys:
            other = owners.setdefault(("id", value), paper)
            if other is not paper:
                used = "the id" if other.id == value else "an alias"
                out.add(where, f"{kind} '{value}' is already {used} of {other.source}",
                        "ids and aliases must be unique: rename the file or drop the alias")
        for kind, value, written, where in paper.keys:
            other = owners.setdefault((kind, value), paper)
            if other is not paper:
                out.add(where, f"{kind} {written} is already on the list as {other.source}",
                        "one entry per paper: merge the two")
        found.extend(out.items)
    found.extend(_distinct_from_problems(ordered, outs))
    found.extend(_near_duplicate_titles([p for p in ordered if p.title], outs))
    return found


def _distinct_from_problems(ordered: list[_Identity], outs: dict[str, _Problems]
                            ) -> list[Problem]:
    """``distinct_from`` names other entries (by id or alias), never the entry itself."""
    known = {p.id for p in ordered} | {a for p in ordered for _, a in p.aliases}
    found: list[Problem] = []
    for paper in ordered:
        out = _Problems(paper.source, outs[paper.source].located)
        own = {paper.id} | {a for _, a in paper.aliases}
        for i, other in paper.distinct_from:
            if other in own:
                out.add(("distinct_from", i), f"distinct_from names this entry itself "
                        f"('{other}')", "list the ids of other entries")
            elif other not in known and other not in paper.present:
                out.add(("distinct_from", i), f"distinct_from names '{other}', which is no "
                        "entry's id or alias", _did_you_mean(other, sorted(known - own))
                        or "give the id (file name without .yaml) of another entry")
        found.extend(out.items)
    return found


def _distinct_pairs(papers: list[_Identity]) -> set[frozenset[str]]:
    """Pairs of ids a curator declared different papers: either side's ``distinct_from``
    is enough, and it may name the other entry by its id or any of its aliases."""
    current = {p.id: p.id for p in papers}
    current.update({a: p.id for p in papers for _, a in p.aliases})
    pairs: set[frozenset[str]] = set()
    for paper in papers:
        for _, other in paper.distinct_from:
            if other in current and current[other] != paper.id:
                pairs.add(frozenset((paper.id, current[other])))
    return pairs


def title_key(title: str) -> str:
    """A title reduced to lowercase letters and digits, for duplicate detection."""
    return " ".join(re.findall(r"[a-z0-9]+", title.lower()))


@lru_cache(maxsize=1 << 18)
def _similarity(a: str, b: str) -> float:
    """difflib's ratio, after its cheap upper bounds rule most pairs out (remembered: a
    reload after one edit compares only that entry's pairs again)."""
    if a == b:
        return 1.0
    if 2 * min(len(a), len(b)) / (len(a) + len(b)) < NEAR_DUPLICATE_RATIO:
        return 0.0
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_DUPLICATE_RATIO or \
            matcher.quick_ratio() < NEAR_DUPLICATE_RATIO:
        return 0.0
    return matcher.ratio()


def _near_duplicate_titles(papers: list[_Identity], outs: dict[str, _Problems]
                           ) -> list[Problem]:
    """Flag titles that are (nearly) the same; compares only pairs sharing a rare word.
    ``papers`` come in (id, path) order: the later of a pair is flagged."""
    keys = [title_key(p.title or "") for p in papers]
    index: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(keys):
        for word in set(key.split()):
            index[word].append(i)
    found: list[Problem] = []
    seen: set[tuple[int, int]] = set()
    distinct = _distinct_pairs(papers)
    for i, key in enumerate(keys):
        words = sorted(set(key.split()), key=lambda w: (len(index[w]), w))[:3]
        for word in words:
            for other in index[word]:
                pair = (min(i, other), max(i, other))
                if other == i or pair in seen:
                    continue
                seen.add(pair)
                if distinct and frozenset((papers[i].id, papers[other].id)) in distinct:
                    continue
                ratio = _similarity(keys[pair[0]], keys[pair[1]])
                if ratio >= NEAR_DUPLICATE_RATIO:
                    later = outs[papers[pair[1]].source]
                    out = _Problems(later.path, later.located)
                    how = "the same as" if ratio == 1 else "nearly the same as"
                    out.add(("title",), f"title is {how} {papers[pair[0]].source}",
                            "is this the same paper?", "warning")
                    found.extend(out.items)
    return found
