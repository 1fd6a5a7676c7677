"""Bring a lab's existing list in: bibliography records -> merged, checked entries.

``reading-list import refs.bib zotero.json README.md --into papers`` reads each source with
:mod:`generator.sources.formats`, then this module (pure until :func:`apply`):

1. **merges duplicates** within the import: records naming the same paper by arXiv id, DOI,
   normalized URL or normalized title become one; for each field the most complete value
   wins, and values that disagree are listed as conflicts; a paper listed under several
   headings keeps the first as its category and gets the others as tags;
2. **matches the list**: papers already on it (or waiting in the target folder) are skipped,
   naming the file that has them;
3. **names categories and tags**: ``--category``/``--tags`` when given, else the source's own
   (innermost heading, CSV column, keywords, badges), else the source file's name; names the
   taxonomy lacks are added to ``taxonomy.yml`` with the source's titles, so the result
   checks;
4. **writes only valid entries**: each entry is checked by the same loader as ``check``;
   a field the schema refuses (a 400-character venue, an odd URL) is dropped and reported,
   and an entry that is still invalid is skipped with its reasons.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from slugify import slugify

from ..core.authoring import FIELD_ORDER, dump_entry, entry_data, make_id, with_schema_header
from ..core.entries import (
    ID_RE,
    MAX_ID_LENGTH,
    WINDOWS_RESERVED,
    Located,
    Problem,
    Taxonomy,
    check_entry_text,
    load_taxonomy,
    normalize_url,
    title_key,
)
from ..core.files import atomic_write, read_text
from ..sources.formats import Record

MAX_TAGS = 12  #: the schema's cap on tags per entry
#: Fields an entry can live without: when the schema refuses one, it is dropped, not the paper.
OPTIONAL = ("authors", "authors_incomplete", "published", "arxiv", "doi", "url", "venue",
            "links", "abstract")
_ENUMERATION = re.compile(r"^\s*(?:[A-Z]?\d+(?:\.\d+)*|[A-Z]|[IVX]+)[.)]\s+")


@dataclass(frozen=True)
class Label:
    """A category or tag as the import names it: slug, title, and where it came from."""

    slug: str
    title: str
    origin: str = ""


@dataclass
class Candidate:
    """One paper after merging: the merged record, where it came from, what disagreed."""

    record: Record
    sources: list[Record]
    category: Label
    tags: list[Label]
    conflicts: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """What an import would do, and why each skipped record was skipped."""

    read: int = 0  #: records read from all sources
    merged: int = 0  #: records folded into another record of the same paper
    write: list[tuple[str, Candidate, str]] = field(default_factory=list)  #: id, paper, YAML
    known: list[tuple[Candidate, str]] = field(default_factory=list)  #: paper, file that has it
    invalid: list[tuple[Candidate, list[str]]] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  #: (new id, what was dropped)
    new_categories: list[Label] = field(default_factory=list)
    new_tags: list[Label] = field(default_factory=list)


# ---------------------------------------------------------------------------- merging


def paper_keys(record: Record) -> list[tuple[str, str]]:
    """What identifies the paper a record describes: arXiv id, DOI, URL, normalized title."""
    keys = []
    if record.arxiv:
        keys.append(("arxiv", record.arxiv.lower()))
    if record.doi:
        keys.append(("doi", record.doi.lower()))
    if record.url:
        keys.append(("url", normalize_url(record.url)))
    key = title_key(record.title)
    if len(key) >= 12:  # "Introduction" or "Survey" alone says nothing about identity
        keys.append(("title", key))
    return keys


def merge_records(records: Sequence[Record]) -> list[list[Record]]:
    """Group records that describe the same paper (sharing any key), in first-seen order."""
    parent = list(range(len(records)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[tuple[str, str], int] = {}
    for i, record in enumerate(records):
        for key in paper_keys(record):
            j = owner.setdefault(key, i)
            a, b = find(i), find(j)
            if a != b:
                parent[max(a, b)] = min(a, b)
    groups: dict[int, list[Record]] = {}
    for i, record in enumerate(records):
        groups.setdefault(find(i), []).append(record)
    return [groups[k] for k in sorted(groups)]


def _most_complete(values: Iterable[Any]) -> Any:
    """The longest value (first on ties): more authors, a longer abstract, a finer date."""
    best = None
    for value in values:
        if value and (best is None or len(value) > len(best)):
            best = value
    return best


def combine(group: Sequence[Record]) -> tuple[Record, list[str]]:
    """One record from a group of records of the same paper, and the conflicts found."""
    first = group[0]
    if len(group) == 1:
        return first, []
    conflicts = []
    merged: dict[str, Any] = {}
    for name in ("title", "authors", "published", "arxiv", "doi", "url", "venue", "abstract"):
        values = [getattr(r, name) for r in group if getattr(r, name)]
        merged[name] = _most_complete(values)
        distinct = _distinct(name, values)
        if len(distinct) > 1 and name not in ("abstract", "title", "authors"):
            conflicts.append(f"{name}: {' | '.join(str(v) for v in distinct)} (kept "
                             f"{merged[name]})")
    complete = [r for r in group if r.authors and not r.authors_incomplete]
    authors = _most_complete([r.authors for r in complete]) if complete else merged["authors"]
    merged["authors"] = authors or ()
    merged["authors_incomplete"] = not complete and any(r.authors_incomplete for r in group)
    merged["title"] = merged["title"] or first.title
    tags = tuple(dict.fromkeys(t for r in group for t in r.tags))
    links = tuple(dict.fromkeys(link for r in group for link in r.links))
    return replace(first, **merged, tags=tags, links=links), conflicts


def _distinct(name: str, values: Sequence[Any]) -> list[Any]:
    seen: dict[str, Any] = {}
    for value in values:
        key = value.lower() if isinstance(value, str) else value
        if name == "published":
            key = str(value)[:4]  # a year and a month of that year agree
        seen.setdefault(key, value)
    return list(seen.values())


# ---------------------------------------------------------------------------- labels


def label(name: str, origin: str = "") -> Label | None:
    """A category or tag label from a name as a source writes it (``C1. Membership
    Inference`` -> ``membership-inference``); None when nothing usable is left."""
    title = " ".join(_ENUMERATION.sub("", name).split()).strip(" :-")
    slug = slugify(title, max_length=MAX_ID_LENGTH, word_boundary=True)
    if not slug or not ID_RE.match(slug) or slug in WINDOWS_RESERVED:
        return None
    return Label(slug, title[:1].upper() + title[1:], origin)


def _category_for(group: Sequence[Record], forced: Label | None) -> tuple[Label, list[Label]]:
    """The category (first listing's innermost heading or column, else the file's name) and
    the other listings' own categories, which become tags (a file name never does)."""
    named = [label(r.categories[-1], r.source) for r in group if r.categories]
    named_unique: list[Label] = []
    for item in named:
        if item is not None and item.slug not in (n.slug for n in named_unique):
            named_unique.append(item)
    if forced is not None:
        main = forced
    elif named_unique:
        main = named_unique[0]
    else:
        main = label(Path(group[0].source).stem, group[0].source) or \
            Label("imported", "Imported", group[0].source)
    return main, [n for n in named_unique if n.slug != main.slug]


# ---------------------------------------------------------------------------- planning


@dataclass
class ListIndex:
    """What is on the list (and in the target folder): ids and the file of each key."""

    ids: set[str] = field(default_factory=set)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)


def index_list(folders: Iterable[Path]) -> ListIndex:
    """Ids and identifying keys of every entry in ``folders``, read leniently (an entry with
    errors still counts: ``check`` reports it, import must not duplicate it)."""
    index = ListIndex()
    for path, data in entry_data(folders):
        index.ids.add(path.stem)
        if data is None:
            continue
        index.ids.update(a for a in data.get("aliases") or [] if isinstance(a, str))
        record = Record(title=str(data.get("title") or ""), arxiv=_text(data.get("arxiv")),
                        doi=_text(data.get("doi")), url=_text(data.get("url")))
        for key in paper_keys(record):
            index.keys.setdefault(key, path.as_posix())
    return index


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def plan(records: Sequence[Record], taxonomy: Taxonomy, index: ListIndex, today: dt.date,
         category: str | None = None, tags: Sequence[str] = ()) -> ImportPlan:
    """Decide every record's fate; pure (the caller reads the sources and the list)."""
    result = ImportPlan(read=len(records))
    forced = None
    if category:
        known = taxonomy.category_by_slug.get(category)
        forced = Label(category, known.title if known else category.replace("-", " ")
                       .capitalize(), "--category")
    extra = [Label(t, taxonomy.tag_by_slug[t].title if t in taxonomy.tag_by_slug else
                   t.replace("-", " ").capitalize(), "--tags") for t in tags]
    candidates = []
    for group in merge_records(records):
        result.merged += len(group) - 1
        merged, conflicts = combine(group)
        main, others = _category_for(group, forced)
        tag_labels = list(extra)
        for name in merged.tags:
            found = label(name, merged.source)
            if found is not None:
                tag_labels.append(found)
        tag_labels += others
        unique: dict[str, Label] = {}
        for item in tag_labels:
            unique.setdefault(item.slug, item)
        chosen = list(unique.values())[:MAX_TAGS] or [Label(main.slug, main.title, "category")]
        candidates.append(Candidate(merged, list(group), main, chosen, conflicts))
    taken = set(index.ids)
    fresh = []
    for cand in candidates:
        on_list = next((index.keys[k] for k in paper_keys(cand.record) if k in index.keys),
                       None)
        if on_list is not None:
            result.known.append((cand, on_list))
        else:
            fresh.append(cand)
    # Entries are checked against the taxonomy as it will be; only the labels of entries
    # actually written are added to it.
    grown = extend_taxonomy(taxonomy, *_new_labels(fresh, taxonomy))
    for cand in fresh:
        new_id = make_id(cand.record.title, taken)
        text, dropped, errors = entry_yaml(new_id, cand, grown, today)
        if errors:
            result.invalid.append((cand, errors))
            continue
        taken.add(new_id)
        result.write.append((new_id, cand, text))
        result.dropped += [(new_id, d) for d in dropped]
    result.new_categories, result.new_tags = _new_labels([c for _, c, _ in result.write],
                                                         taxonomy)
    return result


def _new_labels(cands: Iterable[Candidate], taxonomy: Taxonomy
                ) -> tuple[list[Label], list[Label]]:
    categories: dict[str, Label] = {}
    tags: dict[str, Label] = {}
    for cand in cands:
        if cand.category.slug not in taxonomy.category_by_slug:
            categories.setdefault(cand.category.slug, cand.category)
        for tag in cand.tags:
            if tag.slug not in taxonomy.tag_by_slug:
                tags.setdefault(tag.slug, tag)
    return (sorted(categories.values(), key=lambda x: x.slug),
            sorted(tags.values(), key=lambda x: x.slug))


def entry_fields(cand: Candidate, today: dt.date) -> dict[str, Any]:
    """The entry's fields in the canonical form ``dump_entry`` writes."""
    r = cand.record
    links: dict[str, str] = {}
    for kind, url in r.links:
        kind = re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "link"
        links.setdefault(kind, url)
    published = r.published
    fields: dict[str, Any] = {
        "title": r.title, "authors": list(r.authors),
        "authors_incomplete": True if r.authors_incomplete and r.authors else None,
        "published": published, "added": today.isoformat(), "arxiv": r.arxiv, "doi": r.doi,
        "url": r.url, "venue": r.venue, "links": links or None,
        "category": cand.category.slug, "tags": [t.slug for t in cand.tags],
        "abstract": r.abstract or None,
    }
    return {k: v for k, v in fields.items() if k in FIELD_ORDER}


def entry_yaml(new_id: str, cand: Candidate, taxonomy: Taxonomy, today: dt.date
               ) -> tuple[str, list[str], list[str]]:
    """The YAML of a valid entry, the fields dropped to make it valid, and the errors left
    (empty when the entry can be written)."""
    fields = entry_fields(cand, today)
    dropped: list[str] = []
    for _ in range(len(OPTIONAL) + 1):
        text = dump_entry(fields)
        paper, problems, located = check_entry_text(new_id, text, taxonomy, today)
        errors = [p for p in problems if p.severity == "error"]
        if paper is not None and not errors:
            return text, dropped, []
        bad = {_top_field(p, located) for p in errors} if located else set()
        removable = [f for f in OPTIONAL if f in bad and fields.get(f) is not None]
        if not removable:
            return text, dropped, [p.message + (f" ({p.hint})" if p.hint else "")
                                   for p in errors]
        for name in removable:
            value = fields.pop(name)
            shown = value if isinstance(value, str) else f"{len(value)} item(s)"
            dropped.append(f"{name} {_short(str(shown))} (refused by the schema)")
    return text, dropped, ["could not make the entry valid"]


def _top_field(problem: Problem, located: Located) -> str:
    """The top-level field a problem points at (the key whose lines hold it)."""
    keys = list(located.data) if isinstance(located.data, dict) else []
    starts = [located.key_pos((k,))[0] for k in keys]
    for i, key in enumerate(keys):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else 1 << 30
        if starts[i] <= problem.line <= end:
            return str(key)
    return ""


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---------------------------------------------------------------------------- taxonomy


def extend_taxonomy(taxonomy: Taxonomy, categories: Sequence[Label], tags: Sequence[Label]
                    ) -> Taxonomy:
    """The taxonomy with the new categories and tags (what the entries are checked against)."""
    from ..core.entries import Category, Tag

    order = max((c.order for c in taxonomy.categories), default=0)
    added_c = tuple(Category(c.slug, c.title, category_description(c), order + i + 1)
                    for i, c in enumerate(categories))
    added_t = tuple(Tag(t.slug, t.title, tag_description(t)) for t in tags)
    return Taxonomy(taxonomy.categories + added_c,
                    tuple(sorted(taxonomy.tags + added_t, key=lambda t: t.slug)))


def category_description(item: Label) -> str:
    source = Path(item.origin).name if item.origin else "the import"
    return (f"Papers that {source} listed under “{item.title}”; imported, to be described "
            "by a curator.")


def tag_description(item: Label) -> str:
    source = Path(item.origin).name if item.origin else "the import"
    return f"Papers that {source} marked as “{item.title}” (imported; a curator may refine)."


def taxonomy_text(text: str, categories: Sequence[Label], tags: Sequence[Label],
                  first_order: int) -> str:
    """``taxonomy.yml``'s text with new items appended to its two lists, leaving every
    existing line (and comment) as it was."""
    if not categories and not tags:
        return text
    lines = text.rstrip("\n").split("\n")
    tags_at = next((i for i, ln in enumerate(lines) if re.match(r"^tags\s*:", ln)), None)
    cats_at = next((i for i, ln in enumerate(lines) if re.match(r"^categories\s*:", ln)), None)
    if tags_at is None or cats_at is None:
        raise ValueError("taxonomy.yml has no top-level categories: or tags: list")
    cat_lines = []
    for i, c in enumerate(categories):
        cat_lines += [f"  - slug: {c.slug}", f"    title: {_yaml_str(c.title)}",
                      f"    order: {first_order + i}",
                      f"    description: {_yaml_str(category_description(c))}"]
    tag_lines = []
    for t in tags:
        tag_lines += [f"  - slug: {t.slug}", f"    title: {_yaml_str(t.title)}",
                      f"    description: {_yaml_str(tag_description(t))}"]

    def block_end(start: int) -> int:
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t#-"):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        return end

    inserts = sorted([(block_end(cats_at), cat_lines), (block_end(tags_at), tag_lines)],
                     reverse=True)
    for at, new in inserts:
        lines[at:at] = new
    return "\n".join(lines) + "\n"


def _yaml_str(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)


# ---------------------------------------------------------------------------- writing


def apply(result: ImportPlan, into: Path, taxonomy_path: Path, taxonomy: Taxonomy) -> list[Path]:
    """Write the taxonomy additions (checked first) and the entries. Returns the files."""
    if result.new_categories or result.new_tags:
        text = read_text(taxonomy_path)
        order = max((c.order for c in taxonomy.categories), default=0) + 1
        updated = taxonomy_text(text, result.new_categories, result.new_tags, order)
        check_path = taxonomy_path.with_name(f".{taxonomy_path.name}.check")
        try:
            check_path.write_text(updated, encoding="utf-8")
            checked, problems = load_taxonomy(check_path, str(taxonomy_path))
        finally:
            check_path.unlink(missing_ok=True)
        if checked is None:
            raise ValueError("the extended taxonomy does not check: "
                             + "; ".join(p.format() for p in problems[:3]))
        atomic_write(taxonomy_path, updated)
    written = []
    for new_id, _cand, text in result.write:
        path = into / f"{new_id}.yaml"
        if path.exists():  # index_list read this folder: only a race gets here
            continue
        atomic_write(path, with_schema_header(text, path))
        written.append(path)
    return written
