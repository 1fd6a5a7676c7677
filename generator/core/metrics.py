"""The metrics history: one small, diff-friendly JSON file of daily popularity signals.

Layout (keys sorted, one line per paper per day, so a daily refresh is a readable diff of
a few hundred added and pruned lines)::

    {
     "days": {
      "2026-12-01": {
       "some-paper": {"citations": 12, "hf_upvotes": 3, "influential_citations": 1},
       ...
      },
      ...
     },
     "version": 1
    }

A day holds only values actually fetched that day: a provider that failed leaves its
signals out, and the ranking reads the last known value before it (``History.series``).
Every write goes through :func:`generator.core.files.atomic_write`, and a refresh saves after
each provider, so a crash or Ctrl-C leaves either the previous or the next complete file.

A refresh asks the providers at the same time (different services, different limits), each
within a time budget: when a service's rate limit cannot cover every paper in the budget,
the papers whose last value from that service is oldest (or missing) go first, and the rest
are left for the next run (:func:`stalest_first`). The refresh itself, which talks to the
providers, is :mod:`generator.sources.refresh`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .files import YamlError, atomic_write, read_text

if TYPE_CHECKING:  # pragma: no cover - types only; keeps `build` free of network code
    from .entries import Paper

log = logging.getLogger(__name__)

HISTORY_VERSION = 1
#: Counts are below 2^53 (exclusive): see :func:`is_count`.
MAX_COUNT = 2 ** 53
DEFAULT_HORIZON_DAYS = 120
#: ``metrics refresh --budget``: the publish workflow's build job may run 30 minutes
#: (.github/workflows/publish.yml), and also installs, builds and uploads the site (about
#: 3 minutes at 2,500 papers) and waits for the requests in flight when the budget ends
#: (each bounded by the HTTP deadline, 2 minutes): 20 minutes of refresh leaves 10 spare.
DEFAULT_BUDGET_MINUTES = 20.0
MAX_HISTORY_BYTES = 64 * 1024 * 1024

Values = Mapping[str, Mapping[str, int]]  # paper id -> signal -> value


class HistoryError(ValueError):
    """A history file that exists but cannot be used (the message names the file)."""


@dataclass(frozen=True)
class History:
    """Daily signal values: date -> paper id -> signal -> non-negative integer."""

    days: Mapping[dt.date, Values] = field(default_factory=dict)
    #: what loading skipped (bad values in the file), one message each; not part of equality
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """Every recorded date, oldest first."""
        return tuple(sorted(self.days))

    def newest(self, until: dt.date) -> dt.date | None:
        """The newest recorded date on or before ``until`` (None if there is none)."""
        eligible = [d for d in self.days if d <= until]
        return max(eligible) if eligible else None

    @cached_property
    def _series(self) -> dict[tuple[str, str], tuple[tuple[dt.date, int], ...]]:
        out: dict[tuple[str, str], list[tuple[dt.date, int]]] = {}
        for day in self.dates:
            for paper_id, signals in self.days[day].items():
                for signal, value in signals.items():
                    out.setdefault((paper_id, signal), []).append((day, value))
        return {key: tuple(obs) for key, obs in out.items()}

    def series(self, paper_id: str, signal: str,
               aliases: Sequence[str] = ()) -> tuple[tuple[dt.date, int], ...]:
        """Observations of one signal of one paper, oldest first.

        ``aliases`` are the paper's former ids: history recorded before a rename still
        counts (a value under the current id wins on the same date).
        """
        merged: dict[dt.date, int] = {}
        for key in (*reversed(aliases), paper_id):
            merged.update(self._series.get((key, signal), ()))
        return tuple(sorted(merged.items()))


def is_count(value: object) -> bool:
    """Whether ``value`` is a count the history holds: an int (not a bool) in
    ``0 <= value < 2**53``, the range where every number survives a trip through JSON
    readers that use doubles (JavaScript) and through the ranking's float arithmetic."""
    return (isinstance(value, int) and not isinstance(value, bool)
            and 0 <= value < MAX_COUNT)


def describe(value: object) -> str:
    """A short, safe rendering of a value for a message (a 400-digit number, a megabyte
    string or an object are not quoted whole)."""
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int):
        if abs(value) < 10 ** 18:
            return str(value)
        # str() refuses integers above 4,300 digits; the bit length says enough.
        return f"a {int(value.bit_length() * 0.30103) + 1}-digit number"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:39] + "…"
        return repr(text)
    return f"a JSON {'array' if isinstance(value, list) else 'object'}"


def printable(text: str) -> str:
    """A key from the file as it may be printed: control characters as escapes."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


COUNT_RANGE = "a whole number from 0 to 2^53 - 1"

#: Warnings about one history file are listed up to this many, then counted.
MAX_HISTORY_WARNINGS = 10


def parse_history(text: str, source: str = "metrics history") -> History:
    """Parse and validate the history document.

    A document that is not a history at all (not JSON, another layout or version) raises
    :class:`HistoryError`. Inside a valid document, anything that is not a count where a
    count belongs (negative, too large, a float, a string, null, a bool), a day that is not
    a date and a paper that is not an object are skipped, and each skip is named in
    ``History.warnings``: one bad value written by some tool must not stop every later
    build, ranking and digest. The next refresh writes the repaired file.
    """

    def fail(message: str) -> HistoryError:
        return HistoryError(f"{source}: {message}")

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise fail(f"not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
                   "restore it from version control or delete it to start afresh") from None
    except (RecursionError, ValueError):  # nested too deeply; a number of 4,300+ digits
        raise fail("not a metrics history (nested too deeply or a number too long to "
                   "read); restore it from version control or delete it to start afresh"
                   ) from None
    if not isinstance(data, dict) or not isinstance(data.get("days"), dict):
        raise fail('expected an object with "version" and "days"')
    if data.get("version") != HISTORY_VERSION:
        raise fail(f"unsupported version {describe(data.get('version'))} "
                   f"(expected {HISTORY_VERSION})")
    warnings: list[str] = []
    days: dict[dt.date, Values] = {}
    for key, papers in data["days"].items():
        try:
            day = dt.date.fromisoformat(key)
        except ValueError:
            warnings.append(f"{describe(key)} is not a date (YYYY-MM-DD); day skipped")
            continue
        if not isinstance(papers, dict):
            warnings.append(f"{key}: expected an object of papers; day skipped")
            continue
        clean: dict[str, dict[str, int]] = {}
        for paper_id, signals in papers.items():
            if not isinstance(signals, dict):
                warnings.append(f"{key}/{printable(paper_id)}: expected an object of "
                                "signals; skipped")
                continue
            good = {}
            for signal, value in signals.items():
                if is_count(value):
                    good[signal] = value
                else:
                    warnings.append(f"{key}/{printable(paper_id)}/{printable(signal)}: "
                                    f"{describe(value)} is not a count ({COUNT_RANGE}); "
                                    "value skipped")
            if good:
                clean[paper_id] = good
        days[day] = clean
    if len(warnings) > MAX_HISTORY_WARNINGS:
        more = len(warnings) - MAX_HISTORY_WARNINGS
        warnings[MAX_HISTORY_WARNINGS:] = [f"... and {more} more skipped"]
    return History(days, tuple(f"{source}: {w}" for w in warnings))


def load_history(path: Path) -> History:
    """Read the history file; a missing file is an empty history, a corrupt one an error.

    Skipped values (see :func:`parse_history`) are logged as warnings, on the
    ``generator.core.metrics`` logger: outside MkDocs' own loggers, so a strict build shows them
    without failing on them.
    """
    if not path.exists():
        return History()
    try:
        text = read_text(path, MAX_HISTORY_BYTES)
    except (OSError, YamlError) as exc:
        raise HistoryError(f"{path}: cannot read: {getattr(exc, 'message', exc)}") from None
    history = parse_history(text, str(path))
    for warning in history.warnings:
        log.warning("%s", warning)
    return history


def dump_history(history: History) -> str:
    """Serialize with sorted keys and one line per paper per day (stable, diff-friendly)."""
    lines = ["{", ' "days": {']
    dates = history.dates
    for i, day in enumerate(dates):
        papers = history.days[day]
        lines.append(f'  "{day.isoformat()}": {{')
        ids = sorted(papers)
        for j, paper_id in enumerate(ids):
            signals = json.dumps(papers[paper_id], sort_keys=True, ensure_ascii=False)
            comma = "," if j < len(ids) - 1 else ""
            lines.append(f"   {json.dumps(paper_id, ensure_ascii=False)}: {signals}{comma}")
        lines.append("  }" + ("," if i < len(dates) - 1 else ""))
    lines.append(" },")
    lines.append(f' "version": {HISTORY_VERSION}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def save_history(path: Path, history: History) -> None:
    """Write the history atomically (readers see the old or the new file, never half)."""
    atomic_write(path, dump_history(history))


def record(history: History, day: dt.date, values: Values) -> History:
    """A new history with ``values`` merged into ``day`` (fetched values replace older
    ones of the same day; signals not fetched keep what the day already had)."""
    days = {d: {p: dict(s) for p, s in papers.items()} for d, papers in history.days.items()}
    target = days.setdefault(day, {})
    for paper_id, signals in values.items():
        if signals:
            target.setdefault(paper_id, {}).update(signals)
    return History(days)


def prune(history: History, today: dt.date, horizon_days: int = DEFAULT_HORIZON_DAYS
          ) -> History:
    """Drop days older than ``horizon_days`` before ``today`` (and empty days)."""
    oldest = today - dt.timedelta(days=horizon_days)
    return History({d: papers for d, papers in history.days.items()
                    if d >= oldest and papers})


def last_refreshed(history: History, paper: Paper, signals: Sequence[str]
                   ) -> dt.date | None:
    """The newest date on which any of ``signals`` has a value for ``paper`` (its former
    ids included), or None when none ever has."""
    dates = [obs[-1][0] for signal in signals
             if (obs := history.series(paper.id, signal, paper.aliases))]
    return max(dates) if dates else None


def stalest_first(papers: Sequence[Paper], history: History, signals: Sequence[str]
                  ) -> list[Paper]:
    """``papers`` in the order a budget should serve them: never measured first, then the
    oldest last value of ``signals``; ties by id, so the order is the same every run."""
    def order(paper: Paper) -> tuple[dt.date, str]:
        return last_refreshed(history, paper, signals) or dt.date.min, paper.id
    return sorted(papers, key=order)


def history_json(history: History) -> dict[str, Any]:
    """The history as plain JSON values (for tools and tests)."""
    return json.loads(dump_history(history))
