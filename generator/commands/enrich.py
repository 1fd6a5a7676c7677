"""``reading-list enrich``: fill in what entries lack from arXiv, Semantic Scholar, Crossref
and OpenAlex.

For each entry file the command finds the fields that are missing (abstract, authors when
there are none or ``authors_incomplete: true``, published, venue, doi, ``links.code``), asks
the services in batches, and writes the values it found into the file:

- a curator's value is never replaced unless ``--overwrite`` (the report then says old -> new);
- files are read at the YAML level, so an entry that fails ``check`` only because it lacks
  what enrich fills in can be enriched; the file is edited in place (other fields, their
  order, comments and the ``# yaml-language-server`` header stay as written) and written
  atomically, and only when the project's own loader finds no error in the result that the
  file did not have before;
- papers are handled :data:`CHUNK` at a time and each chunk's files are written as soon as
  its answers are in, so an interrupted run loses at most one chunk; files that were asked
  about and had nothing more to get are remembered by content hash in a checkpoint file
  (``.reading-list/enrich.json`` beside the papers folder) and skipped for
  :data:`CHECKPOINT_DAYS` days, so a re-run continues where the last one stopped.

Priority of sources for every field: arXiv, Semantic Scholar, Crossref, OpenAlex (the last
two only for papers with a DOI and no arXiv id). A service's record is used only when its
title matches the entry's, so a wrong id does not pull in another paper's abstract.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import hashlib
import json
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, TextIO

import fastjsonschema

from ..core.authoring import dump_entry, known_papers
from ..core.entries import (
    Problem,
    Taxonomy,
    check_entry_text,
    load_schema_props,
    load_taxonomy,
    normalize_space,
    title_key,
)
from ..core.files import Located, YamlError, atomic_write, iter_entry_files, load_yaml, parse_yaml
from ..sources import arxiv, crossref, metadata
from ..sources.metadata import ARXIV, CROSSREF, OPENALEX, S2, Breaker, Clients, Record
from .cli import add_papers_options, today

FIELDS = ("abstract", "authors", "published", "venue", "doi", "code")
CHUNK = 100  #: papers looked up (and written) per round: one arXiv request's worth
CHECKPOINT_DAYS = 30  #: how long "asked, nothing more to get" is trusted
CHECKPOINT_VERSION = 1
PRIORITY = ("abstract", ARXIV, S2, CROSSREF, OPENALEX)  #: "abstract": the entry's own text

#: Factory for the service clients (tests hand in clients that do not really sleep).
clients_factory: Callable[[Mapping[str, str]], Clients] = metadata.clients_from_env


class EnrichUsageError(Exception):
    """Bad arguments: an unknown field in ``only``, a path that does not exist."""


# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Change:
    """One field filled in (or replaced) in one file."""

    field: str
    source: str
    old: Any
    new: Any

    def describe(self) -> str:
        """``abstract added (arXiv)``, ``authors 3 -> 7 (Semantic Scholar)``, ..."""
        name = "code link" if self.field == "code" else self.field
        if self.field == "authors" and self.old:
            return f"authors {len(self.old)} -> {len(self.new)} ({self.source})"
        if self.old in (None, "", [], ()):
            return f"{name} added ({self.source})"
        return f"{name} {_show(self.old)} -> {_show(self.new)} ({self.source})"


@dataclass
class FileReport:
    """What happened to one file."""

    path: str  #: as shown, e.g. papers/x.yaml
    status: str  #: enriched, complete, missing, failed, not-written, unreadable, skipped
    changes: list[Change] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  #: wanted fields nobody had
    failed: dict[str, str] = field(default_factory=dict)  #: service -> why it did not answer
    problems: list[str] = field(default_factory=list)  #: why it was not read or not written
    notes: list[str] = field(default_factory=list)  #: values not used, and why

    def line(self) -> str | None:
        """The report line for this file, or None when there is nothing worth a line."""
        parts = []
        if self.changes:
            parts.append(", ".join(c.describe() for c in self.changes))
        if self.problems:
            parts.append(("not written: " if self.status == "not-written" else "")
                         + "; ".join(self.problems))
        if self.failed and self.missing:
            parts.append(f"{', '.join(self.missing)} not filled: " + "; ".join(
                f"{name} failed ({why})" for name, why in sorted(self.failed.items())))
        parts.extend(self.notes)
        return f"{self.path}: " + "; ".join(parts) if parts else None


@dataclass
class EnrichSummary:
    """The outcome of a run: one report per file, and the services' troubles."""

    reports: list[FileReport] = field(default_factory=list)
    requests: Counter[str] = field(default_factory=Counter)  #: service -> requests sent
    provider_errors: dict[str, str] = field(default_factory=dict)  #: service -> last error
    dry_run: bool = False

    def count(self, status: str) -> int:
        return sum(r.status == status for r in self.reports)

    @property
    def fields_changed(self) -> int:
        return sum(len(r.changes) for r in self.reports if r.status != "not-written")

    @property
    def exit_code(self) -> int:
        """0 when every file was handled; 1 when a service failed for some paper or a file
        could not be read or written."""
        bad = ("failed", "not-written", "unreadable")
        return 1 if any(r.status in bad for r in self.reports) else 0

    def lines(self) -> list[str]:
        """The closing summary."""
        total = len(self.reports)
        parts = [f"{self.count('enriched')} enriched ({self.fields_changed} field"
                 f"{'s' if self.fields_changed != 1 else ''})",
                 f"{self.count('complete')} complete"]
        for status, label in (("missing", "with fields no service had"),
                              ("skipped", "skipped (asked before, unchanged since)"),
                              ("not-written", "not written"), ("unreadable", "unreadable"),
                              ("failed", "not fully enriched because a service failed")):
            if self.count(status):
                parts.append(f"{self.count(status)} {label}")
        out = [f"enrich: {total} entr{'y' if total == 1 else 'ies'}: " + ", ".join(parts)]
        still = Counter(f for r in self.reports for f in r.missing)
        if still:
            out.append("still missing: " + ", ".join(f"{name} {n}" for name, n in
                                                     sorted(still.items())))
        for name, why in sorted(self.provider_errors.items()):
            papers = sum(name in r.failed for r in self.reports if r.missing)
            out.append(f"{name} failed: {why} ({papers} paper{'s' if papers != 1 else ''} "
                       "not fully enriched; run enrich again later)")
        if self.requests:
            out.append("requests: " + ", ".join(f"{name} {self.requests[name]}"
                                                for name in PRIORITY if self.requests[name]))
        if self.dry_run:
            out.append("dry run: nothing written")
        return out


def _show(value: Any, width: int = 60) -> str:
    """A value for a report line: one line, quoted, shortened, no control characters."""
    if isinstance(value, list | tuple):
        value = ", ".join(map(str, value))
    text = " ".join(str(value).split())
    if len(text) > width:
        text = text[:width - 1].rstrip() + "\u2026"
    return _UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(text,
                                                                         ensure_ascii=False))


_UNSAFE = re.compile("[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")


# ----------------------------------------------------------------------------- entries


@dataclass
class _Entry:
    """One file being enriched: its text, its data, what it lacks, what was found."""

    path: Path
    shown: str
    text: str
    located: Located
    wanted: set[str]
    taxonomy: Path
    arxiv: str | None = None
    doi: str | None = None
    records: dict[str, Record] = field(default_factory=dict)  #: source -> record used
    failed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def data(self) -> dict[str, Any]:
        return self.located.data

    def offer(self, record: Record) -> None:
        """Use ``record`` unless its title says it is another paper."""
        title = self.data.get("title")
        if record.title and isinstance(title, str) and not titles_match(title, record.title):
            self.notes.append(f"{record.source}'s record for {record.key} is titled "
                              f"{_show(record.title)}: not used (check the id)")
            return
        self.records[record.source] = record


def titles_match(a: str, b: str) -> bool:
    """Whether two titles plausibly name the same paper (case, punctuation and a short
    form such as "TrojanStego" for "TrojanStego: Your Language Model ..." allowed)."""
    ka, kb = title_key(a), title_key(b)
    if not ka or not kb or ka in kb or kb in ka:
        return True
    if difflib.SequenceMatcher(None, ka, kb).ratio() >= 0.6:
        return True
    wa, wb = set(ka.split()), set(kb.split())
    return len(wa & wb) >= 0.5 * min(len(wa), len(wb))


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] \
        or value == {}


def missing_fields(data: Mapping[str, Any]) -> set[str]:
    """The enrichable fields an entry lacks."""
    found = set()
    for name in ("abstract", "published", "venue", "doi"):
        if _blank(data.get(name)):
            found.add(name)
    if _blank(data.get("authors")) or data.get("authors_incomplete") is True:
        found.add("authors")
    links = data.get("links")
    if links is None or (isinstance(links, dict) and _blank(links.get("code"))):
        found.add("code")
    return found


@cache
def _field_check(name: str) -> Callable[[Any], Any]:
    schema = {"type": "object", "properties": {name: load_schema_props()[name]}}
    return fastjsonschema.compile(schema)


def _fits(name: str, value: Any) -> bool:
    """Whether ``value`` passes the schema for field ``name``."""
    try:
        _field_check(name)({name: value})
    except fastjsonschema.JsonSchemaException:
        return False
    return True


def _earliest(value: str) -> dt.date:
    parts = [int(p) for p in value.split("-")]
    return dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2
                   else 1)


def _candidate(entry: _Entry, name: str, record: Record, overwrite: bool) -> Any:
    """The value ``record`` offers for field ``name`` of ``entry``, or None."""
    data = entry.data
    if name == "abstract":
        return record.abstract if record.abstract and _fits("abstract", record.abstract) \
            else None
    if name == "authors":
        names = list(record.authors)
        if not names or not _fits("authors", names):
            return None
        current = data.get("authors")
        if not overwrite and isinstance(current, list) and current \
                and len(names) <= len(current):
            return None  # an "incomplete" list at least as long as theirs: keep the curator's
        return names
    if name == "published":
        value = record.published
        if not value or not _fits("published", value):
            return None
        added = data.get("added")
        try:
            if isinstance(added, str) and _earliest(value) > dt.date.fromisoformat(added):
                return None  # a later (journal) date than the day it joined the list
        except ValueError:
            pass
        return value
    if name == "venue":
        return record.venue if record.venue and _fits("venue", record.venue) else None
    if name == "doi":
        return record.doi if record.doi and _fits("doi", record.doi) else None
    if name == "code":
        return record.code if record.code and _fits("links", {"code": record.code}) else None
    raise ValueError(name)  # pragma: no cover - FIELDS is closed


def _resolve(entry: _Entry, overwrite: bool) -> dict[str, tuple[Any, str]]:
    """field -> (value, source) for every wanted field some record offers."""
    found: dict[str, tuple[Any, str]] = {}
    for name in sorted(entry.wanted):
        for source in PRIORITY:
            record = entry.records.get(source)
            if record is None:
                continue
            value = _candidate(entry, name, record, overwrite)
            if value is not None:
                found[name] = (value, record.source if source != "abstract" else "abstract")
                break
    return found


def _current(data: Mapping[str, Any], name: str) -> Any:
    if name == "code":
        links = data.get("links")
        return links.get("code") if isinstance(links, dict) else None
    return data.get(name)


def _same(name: str, old: Any, new: Any) -> bool:
    if name == "abstract" and isinstance(old, str):
        return normalize_space(old, folded=True) == normalize_space(new, folded=True)
    if name == "published":
        return str(old) == str(new)
    return old == new


# --------------------------------------------------------------------- editing the text


class _LayoutError(Exception):
    """The file's layout is not one this editor can change safely."""


def edit_entry(text: str, located: Located, updates: Mapping[str, Any],
               deletes: Sequence[str] = ()) -> str:
    """``text`` with top-level fields replaced or added (``updates``) and removed
    (``deletes``), every other line kept as written.

    A replaced field's lines are swapped for the canonical rendering of its new value; a
    new field goes after the nearest field that precedes it in the canonical order. The
    result is parsed back and must hold exactly the expected values (else _LayoutError).
    """
    if not text.endswith("\n"):
        text += "\n"
    lines = text.splitlines(keepends=True)
    keys = [(k[0], pos) for k, pos in located.key_positions.items() if len(k) == 1]
    if any(col != 1 for _, (_, col) in keys) or len({line for _, (line, _) in keys}) \
            != len(keys):
        raise _LayoutError("the top-level fields do not each start a line")
    keys.sort(key=lambda item: item[1][0])
    # Each field owns its lines up to the next field, minus trailing blank and comment
    # lines, which belong to what follows.
    spans: list[tuple[str, int, int]] = []
    for i, (key, (line, _)) in enumerate(keys):
        start = line - 1
        end = keys[i + 1][1][0] - 1 if i + 1 < len(keys) else len(lines)
        while end > start + 1 and (not lines[end - 1].strip()
                                   or lines[end - 1].startswith("#")):
            end -= 1
        spans.append((str(key), start, end))
    order = {name: i for i, name in enumerate(_FIELD_ORDER)}
    present = {key for key, _, _ in spans}
    inserts: dict[str | None, list[str]] = {}
    for name in sorted((n for n in updates if n not in present), key=lambda n: order[n]):
        anchor = None
        for key, _, _ in spans:
            if key in order and order[key] < order[name] and (
                    anchor is None or order[key] > order[anchor]):
                anchor = key
        inserts.setdefault(anchor, []).append(name)

    def render(name: str) -> str:
        return dump_entry({name: updates[name]}, None)

    out: list[str] = []
    first = spans[0][1] if spans else len(lines)
    out.extend(lines[:first])
    out.extend(render(n) for n in inserts.get(None, []))
    for i, (key, start, end) in enumerate(spans):
        if key in updates:
            out.append(render(key))
        elif key not in deletes:
            out.extend(lines[start:end])
        out.extend(render(n) for n in inserts.get(key, []))
        following = spans[i + 1][1] if i + 1 < len(spans) else len(lines)
        out.extend(lines[end:following])
    new_text = "".join(out)
    expected = {k: v for k, v in located.data.items() if k not in deletes}
    expected.update(updates)
    try:
        check = parse_yaml(new_text)
    except YamlError as exc:
        raise _LayoutError(f"the edited file would not parse ({exc.message})") from None
    if _as_loaded(check.data, check) != _as_loaded(expected, located, set(updates)):
        raise _LayoutError("the edited file would not hold the expected values")
    return new_text


def _as_loaded(data: Any, located: Located, fresh: set[str] | frozenset[str] = frozenset()
               ) -> Any:
    """``data`` with its texts as the loader reads them (a folded block's blank line
    between paragraphs loads as one line break); ``fresh`` fields are plain strings."""
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name in ("abstract", "note"):
        if isinstance(out.get(name), str):
            folded = name not in fresh and not located.is_literal((name,))
            out[name] = normalize_space(out[name], folded=folded)
    return out


_FIELD_ORDER = ("title", "authors", "authors_incomplete", "published", "added", "arxiv",
                "doi", "url", "venue", "links", "category", "tags", "abstract", "note",
                "aliases")


# ------------------------------------------------------------------------- checkpoint


def checkpoint_path(papers_dir: Path) -> Path:
    """Where enrich remembers its progress: ``.reading-list/enrich.json`` beside the papers
    folder (the folder holds a ``.gitignore`` of its own, so it is never committed)."""
    return papers_dir.parent / ".reading-list" / "enrich.json"


@dataclass
class _Checkpoint:
    path: Path | None
    today: dt.date
    checked: dict[str, dict[str, Any]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def load(cls, path: Path | None, today: dt.date) -> _Checkpoint:
        state = cls(path, today)
        if path is None or not path.is_file():
            return state
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError):
            return state  # a damaged checkpoint only costs a repeat of the work
        if isinstance(data, dict) and data.get("version") == CHECKPOINT_VERSION \
                and isinstance(data.get("checked"), dict):
            state.checked = {k: v for k, v in data["checked"].items()
                             if isinstance(v, dict) and state._fresh(v)}
        return state

    def _fresh(self, record: Mapping[str, Any]) -> bool:
        try:
            when = dt.date.fromisoformat(str(record.get("date")))
        except ValueError:
            return False
        return 0 <= (self.today - when).days < CHECKPOINT_DAYS

    def covers(self, digest: str, wanted: set[str], overwrite: bool) -> bool:
        record = self.checked.get(digest)
        return bool(record) and wanted <= set(record.get("asked") or ()) \
            and (record.get("overwrite") is True or not overwrite)

    def remember(self, digest: str, wanted: set[str], overwrite: bool) -> None:
        self.checked[digest] = {"asked": sorted(wanted), "overwrite": overwrite,
                                "date": self.today.isoformat()}
        self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        ignore = self.path.parent / ".gitignore"
        if not ignore.exists():
            atomic_write(ignore, "# reading-list's local state; never committed\n*\n")
        body = {"version": CHECKPOINT_VERSION, "checked": dict(sorted(self.checked.items()))}
        atomic_write(self.path, json.dumps(body, indent=1, sort_keys=True) + "\n")
        self.dirty = False


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------- the run


def entry_files(paths: Sequence[Path]) -> list[Path]:
    """The entry files named by ``paths`` (files, or folders read one level deep)."""
    files: set[Path] = set()
    for path in paths:
        if path.is_dir():
            files.update(iter_entry_files(path))
        elif path.is_file():
            if path.stem != "taxonomy":
                files.add(path)
        else:
            raise EnrichUsageError(f"no such file or folder: {path}")
    return sorted(files)


def parse_only(value: str | None) -> set[str] | None:
    """``--only abstract,venue`` as a set (None: every field). Raises EnrichUsageError."""
    if value is None:
        return None
    names = {v.strip() for v in value.split(",") if v.strip()}
    unknown = sorted(names - set(FIELDS))
    if unknown or not names:
        raise EnrichUsageError(f"unknown field in --only: {', '.join(unknown) or '(none)'} "
                               f"(choose from {', '.join(FIELDS)}, e.g. --only abstract,venue)")
    return names


def _shown(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _taxonomy_for(path: Path) -> Path:
    """The taxonomy beside the entry, or one folder up (for papers/inbox/)."""
    for folder in (path.parent, path.parent.parent):
        for name in ("taxonomy.yml", "taxonomy.yaml"):
            if (folder / name).is_file():
                return folder / name
    return path.parent / "taxonomy.yml"


def enrich_files(paths: Sequence[Path], *, only: set[str] | None, overwrite: bool,
                 dry_run: bool, env: Mapping[str, str], out: TextIO, today: dt.date,
                 taxonomy: Path | None = None, checkpoint: Path | None = None,
                 clients: Clients | None = None) -> EnrichSummary:
    """Fill in missing fields of the entry files in ``paths`` and report on ``out``.

    ``only`` limits the fields (None: all of :data:`FIELDS`); ``overwrite`` replaces
    curators' values; ``dry_run`` reports without writing anything (not even the
    checkpoint); ``env`` supplies the services' base URLs and keys; ``today`` is used to
    validate entries; ``taxonomy`` defaults to the taxonomy beside each file (or one
    folder up); ``checkpoint`` (see :func:`checkpoint_path`) makes re-runs skip files
    already asked about. Raises EnrichUsageError for bad arguments, before any request.
    Writes each chunk's files as soon as its answers are in; KeyboardInterrupt keeps what
    was written and the checkpoint.
    """
    fields = set(FIELDS) if only is None else set(only)
    if not fields <= set(FIELDS):
        raise EnrichUsageError(f"unknown fields: {', '.join(sorted(fields - set(FIELDS)))}")
    files = entry_files(paths)
    summary = EnrichSummary(dry_run=dry_run)
    state = _Checkpoint.load(None if dry_run else checkpoint, today)
    folders = {f.parent for f in files} | {_taxonomy_for(f).parent for f in files}
    known = known_papers(sorted(folders))
    run = _Run(summary, fields, overwrite, dry_run, out, today, taxonomy, state, known,
               clients or clients_factory(env))
    try:
        pending: list[_Entry] = []
        for path in files:
            entry = run.open(path)
            if entry is not None:
                pending.append(entry)
            if len(pending) >= CHUNK:
                run.chunk(pending)
                pending = []
        if pending:
            run.chunk(pending)
    finally:
        state.save()
    for line in summary.lines():
        print(line, file=out)
    return summary


@dataclass
class _Run:
    summary: EnrichSummary
    fields: set[str]
    overwrite: bool
    dry_run: bool
    out: TextIO
    today: dt.date
    taxonomy: Path | None
    state: _Checkpoint
    known: Any
    clients: Clients
    breakers: dict[str, Breaker] = field(default_factory=dict)
    taxonomies: dict[Path, Taxonomy | None] = field(default_factory=dict)

    def breaker(self, name: str) -> Breaker:
        return self.breakers.setdefault(name, Breaker(name))

    def report(self, report: FileReport) -> None:
        self.summary.reports.append(report)
        line = report.line()
        if line:
            print(line, file=self.out, flush=True)

    def open(self, path: Path) -> _Entry | None:
        """Read one file; None (after reporting) when there is nothing to ask about."""
        shown = _shown(path)
        try:
            text = path.read_text("utf-8")
            located = load_yaml(path)
        except YamlError as exc:
            self.report(FileReport(shown, "unreadable", problems=[
                f"cannot read it: {exc.line}:{exc.col}: {exc.message}"
                + (f" ({exc.hint})" if exc.hint else "")]))
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.report(FileReport(shown, "unreadable", problems=[f"cannot read it: {exc}"]))
            return None
        text = text.removeprefix("\ufeff")
        if not isinstance(located.data, dict):
            self.report(FileReport(shown, "unreadable",
                                   problems=["cannot read it: not a mapping of fields"]))
            return None
        data = located.data
        wanted = (set(self.fields) if self.overwrite else missing_fields(data)) & self.fields
        if not wanted:
            self.summary.reports.append(FileReport(shown, "complete"))
            return None
        if self.state.covers(_digest(text), wanted, self.overwrite):
            self.summary.reports.append(FileReport(shown, "skipped"))
            return None
        entry = _Entry(path, shown, text, located, wanted, self.taxonomy or _taxonomy_for(path))
        if isinstance(data.get("arxiv"), str):
            entry.arxiv = arxiv.parse_arxiv_id(data["arxiv"])
        if isinstance(data.get("doi"), str):
            entry.doi = crossref.parse_doi(data["doi"])
        # A repository named in the entry's own abstract needs no service.
        own = data.get("abstract") if isinstance(data.get("abstract"), str) else None
        code = metadata.find_code_link(own)
        if code:
            entry.records["abstract"] = Record(source="abstract", key=shown, code=code)
        return entry

    def still_wanted(self, entry: _Entry, arxiv_comment: bool = False) -> set[str]:
        """Wanted fields no record offers yet. A code link alone is worth asking only
        arXiv for (its comment field) once an abstract is known: other services' abstracts
        are the same text."""
        wanted = entry.wanted - set(_resolve(entry, self.overwrite))
        own = entry.data.get("abstract")
        if not arxiv_comment and (any(r.abstract for r in entry.records.values())
                                  or (isinstance(own, str) and own.strip())):
            wanted.discard("code")
        return wanted

    def chunk(self, entries: list[_Entry]) -> None:
        """Ask the services about a chunk of entries, then finish each file."""
        self.ask_arxiv([e for e in entries if e.arxiv and self.still_wanted(e, True)])
        self.ask_semantic_scholar([e for e in entries if (e.arxiv or e.doi)
                                   and self.still_wanted(e)])
        doi_only = [e for e in entries if e.doi and not e.arxiv]
        self.ask_by_doi([e for e in doi_only if self.still_wanted(e)], CROSSREF,
                        metadata.fetch_crossref, self.clients.crossref)
        self.ask_by_doi([e for e in doi_only if self.still_wanted(e)], OPENALEX,
                        metadata.fetch_openalex, self.clients.openalex)
        for entry in entries:
            self.finish(entry)
        self.state.save()

    def _failed(self, name: str, entry: _Entry, why: str) -> None:
        entry.failed[name] = why
        self.summary.provider_errors[name] = why

    def ask_arxiv(self, entries: list[_Entry]) -> None:
        if not entries:
            return
        lookup = metadata.fetch_arxiv([e.arxiv for e in entries if e.arxiv],
                                      self.clients.arxiv, self.breaker(ARXIV))
        self.summary.requests[ARXIV] += lookup.requests
        for entry in entries:
            assert entry.arxiv is not None
            if entry.arxiv in lookup.records:
                record = lookup.records[entry.arxiv]
                entry.offer(record)
                if record.withdrawn:
                    entry.notes.append(f"arXiv {entry.arxiv} has been withdrawn: its abstract "
                                       "is not used")
            elif entry.arxiv in lookup.failed:
                self._failed(ARXIV, entry, lookup.failed[entry.arxiv])

    def ask_semantic_scholar(self, entries: list[_Entry]) -> None:
        if not entries:
            return
        keys = {id(e): f"ARXIV:{e.arxiv}" if e.arxiv else f"DOI:{e.doi}" for e in entries}
        lookup = metadata.fetch_semantic_scholar(list(keys.values()),
                                                 self.clients.semantic_scholar, self.breaker(S2))
        self.summary.requests[S2] += lookup.requests
        # An arXiv id it does not know may still be found by the entry's DOI.
        second = [e for e in entries if keys[id(e)] in lookup.unknown and e.arxiv and e.doi]
        if second:
            for e in second:
                keys[id(e)] = f"DOI:{e.doi}"
            more = metadata.fetch_semantic_scholar([keys[id(e)] for e in second],
                                                   self.clients.semantic_scholar,
                                                   self.breaker(S2))
            self.summary.requests[S2] += more.requests
            lookup.records.update(more.records)
            lookup.failed.update(more.failed)
        for entry in entries:
            key = keys[id(entry)]
            if key in lookup.records:
                entry.offer(lookup.records[key])
            elif key in lookup.failed:
                self._failed(S2, entry, lookup.failed[key])

    def ask_by_doi(self, entries: list[_Entry], name: str,
                   fetch: Callable[..., metadata.Lookup], client: Any) -> None:
        if not entries:
            return
        lookup = fetch([e.doi for e in entries if e.doi], client, self.breaker(name))
        self.summary.requests[name] += lookup.requests
        for entry in entries:
            assert entry.doi is not None
            if entry.doi in lookup.records:
                entry.offer(lookup.records[entry.doi])
            elif entry.doi in lookup.failed:
                self._failed(name, entry, lookup.failed[entry.doi])

    def finish(self, entry: _Entry) -> None:
        """Decide the changes for one entry, check the result, write it."""
        data = entry.data
        found = _resolve(entry, self.overwrite)
        changes: list[Change] = []
        updates: dict[str, Any] = {}
        deletes: list[str] = []
        for name in FIELDS:
            if name not in found:
                continue
            value, source = found[name]
            old = _current(data, name)
            if not _blank(old) and _same(name, old, value):
                continue
            if name == "doi":
                owner = self.known.doi.get(value.lower())
                if owner and Path(owner).resolve() != entry.path.resolve():
                    entry.notes.append(f"doi {value} ({source}) not added: {owner} has it "
                                       "(the same paper twice?)")
                    continue
            changes.append(Change(name, source, old, value))
            if name == "code":
                links = dict(data.get("links") or {})
                links["code"] = value
                updates["links"] = links
            else:
                updates[name] = value
            if name == "authors" and "authors_incomplete" in data:
                record = entry.records.get(source)
                if record is None or record.authors_complete:
                    deletes.append("authors_incomplete")
        missing = sorted(entry.wanted - set(found))
        report = FileReport(entry.shown, "complete", missing=missing,
                            failed=dict(entry.failed) if missing else {},
                            notes=list(entry.notes))
        new_text = entry.text
        if changes:
            problems = self.check_edit(entry, updates, deletes)
            if isinstance(problems, list):
                report.status = "not-written"
                report.problems = problems
                report.changes = changes
                self.report(report)
                return
            new_text = problems
            report.changes = changes
            if not self.dry_run:
                atomic_write(entry.path, new_text)
            if "doi" in updates:
                self.known.doi[updates["doi"].lower()] = entry.path.as_posix()
        if missing and entry.failed:
            report.status = "failed"
        elif changes:
            report.status = "enriched"
        elif missing:
            report.status = "missing"
        if report.status != "failed" and not self.dry_run:
            # Asked about everything it lacked and got all there was: skip it next time,
            # as long as its text stays as written now.
            remaining = (set(self.fields) if self.overwrite else missing_fields(
                {**data, **updates})) & self.fields
            if remaining:
                self.state.remember(_digest(new_text), remaining, self.overwrite)
        self.report(report)

    def check_edit(self, entry: _Entry, updates: dict[str, Any],
                   deletes: list[str]) -> str | list[str]:
        """The edited text, or why it is not written: a layout this editor cannot change
        safely, or errors the loader finds in the result that the file did not have."""
        try:
            new_text = edit_entry(entry.text, entry.located, updates, deletes)
        except _LayoutError as exc:
            return [f"{exc}; fill in the fields by hand"]
        after = self.errors(entry, new_text)
        if not after:
            return new_text
        before = Counter(p.message for p in self.errors(entry, entry.text))
        new = []
        for problem in after:
            if before[problem.message] > 0:
                before[problem.message] -= 1  # the file had it already: not ours
            else:
                new.append(problem)
        if new:
            return [f"the entry would not pass check: {p.message}"
                    + (f" ({p.hint})" if p.hint else "") for p in new]
        return new_text

    def errors(self, entry: _Entry, text: str) -> list[Problem]:
        """The loader's errors for ``text`` as this entry (its id is the file's stem; its
        taxonomy the list's)."""
        if entry.taxonomy not in self.taxonomies:
            self.taxonomies[entry.taxonomy] = load_taxonomy(entry.taxonomy)[0]
        _, problems, _ = check_entry_text(entry.path.stem, text,
                                          self.taxonomies[entry.taxonomy], self.today)
        return [p for p in problems if p.severity == "error"]


# ------------------------------------------------------------------------------- CLI


def _setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATHS",
                        help="entry files or folders, e.g. papers/inbox/ (default: the "
                             "papers folder)")
    parser.add_argument("--only", metavar="FIELDS",
                        help=f"fill only these fields, comma-separated: {','.join(FIELDS)}")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace values already in the entries (each change is shown "
                             "old -> new)")
    parser.add_argument("--dry-run", action="store_true",
                        help="report what would change; write nothing")
    add_papers_options(parser)


def cmd_enrich(args: argparse.Namespace) -> int:
    """Fill in missing abstracts, authors, dates, venues, DOIs and code links from the web.

    Sources: arXiv, Semantic Scholar, and Crossref or OpenAlex for papers with only a DOI.
    """
    try:
        only = parse_only(args.only)
        paths = list(args.paths) or [args.papers]
        entry_files(paths)  # a missing path is a usage error, before any request
    except EnrichUsageError as exc:
        print(f"enrich: {exc}", file=sys.stderr)
        return 2
    summary = enrich_files(paths, only=only, overwrite=args.overwrite, dry_run=args.dry_run,
                           env=os.environ, out=sys.stdout, today=today(args),
                           taxonomy=args.taxonomy, checkpoint=checkpoint_path(args.papers))
    return summary.exit_code
