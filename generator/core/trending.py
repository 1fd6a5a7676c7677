"""Trending: an explainable ranking from the metrics history. Pure: no clock, no network.

The rule (documented for readers in docs/how-trending-works.md; keep the two in step):

* For each signal, **growth** in the window is the newest value inside the window minus
  the last value before it. A baseline older than the window start scales the growth down
  to the window's length, so a gap in the data never counts as a burst. A paper whose
  history starts inside the window grows from its first value: its total never counts.
* **score** = sum of weight x growth (weights in :data:`SIGNALS`) + the new-paper boost.
* The **boost** of a paper added ``age`` days ago is ``BOOST_PER_DAY x window days x
  0.5 ** (age / BOOST_HALF_LIFE)``, and nothing from ``BOOST_DAYS`` days on.
* Papers with a score above 0 are listed, highest first; ties go to the paper added more
  recently, then published more recently, then to the id in alphabetical order.
* With fewer than two days of history, or no growth at all in the window, there is no
  ranking to show: the list falls back to the newest papers by publication date (papers
  without one last; then the newest addition, then id), and says so once instead of giving
  every row a reason.
* **movement** compares with the same ranking computed for the day before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .entries import Collection, Paper, newest_first, newest_published_first
from .metrics import History, HistoryError, load_history

__all__ = ["WINDOWS", "SIGNALS", "TrendingRow", "Ranking", "History", "HistoryError",
           "load_history", "rank", "rankings_json", "growth"]

WINDOWS = {"day": 1, "week": 7, "month": 30}
WINDOW_WORDS = {"day": "since yesterday", "week": "this week", "month": "this month"}


@dataclass(frozen=True)
class Signal:
    name: str
    weight: float  #: score points per unit of growth
    one: str  #: words for a growth of 1
    many: str  #: words for any other growth


#: A citation takes far more effort than a star, an upvote sits in between; an influential
#: citation (Semantic Scholar's measure) counts again on top of being a citation.
SIGNALS: dict[str, Signal] = {s.name: s for s in (
    Signal("github_stars", 1.0, "GitHub star", "GitHub stars"),
    Signal("hf_upvotes", 3.0, "Hugging Face upvote", "Hugging Face upvotes"),
    Signal("citations", 5.0, "citation", "citations"),
    Signal("influential_citations", 5.0, "influential citation", "influential citations"),
)}
BOOST_PER_DAY = 3.0
BOOST_HALF_LIFE = 7
BOOST_DAYS = 28
FALLBACK_RULE = "showing the newest papers by publication date instead of a ranking"


@dataclass(frozen=True)
class TrendingRow:
    """One ranked paper with the words that explain its place."""

    paper_id: str
    rank: int
    score: float
    reasons: tuple[str, ...]  #: "+41 GitHub stars", "+6 citations this week", "added 2 days ago"
    movement: str  #: "new", "up 3", "down 1", "same"
    growth: tuple[tuple[str, int], ...] = ()  #: (signal, growth) for signals that grew
    boost: float = 0.0  #: the new-paper part of the score

    @property
    def summary(self) -> str:
        """The reasons as one phrase: "+41 GitHub stars, +6 citations this week; added 2
        days ago"."""
        grown = [r for r in self.reasons if r.startswith("+")]
        other = [r for r in self.reasons if not r.startswith("+")]
        return "; ".join(part for part in (", ".join(grown), ", ".join(other)) if part)


@dataclass(frozen=True)
class Ranking:
    """A whole ranking for one window, with what the page needs to explain it."""

    window: str
    today: dt.date
    data_date: dt.date | None  #: newest history date used, None if no history
    fallback: bool  #: no usable history: the newest papers by publication date, unranked
    explanation: str  #: one sentence for the page
    rows: tuple[TrendingRow, ...]
    #: With ``fallback``: why there is no ranking ("No popularity data yet"), for a page
    #: that shows something else in its place (home); "" otherwise.
    why: str = ""

    @property
    def days(self) -> int:
        return WINDOWS[self.window]


def _round(value: float) -> int:
    """Round half up (Python's round() goes to even, which surprises readers)."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)


def growth(observations: Sequence[tuple[dt.date, int]], today: dt.date, days: int) -> int:
    """Growth of one signal in the ``days`` up to ``today`` (0 when it cannot be told)."""
    start = today - dt.timedelta(days=days)
    inside = [(d, v) for d, v in observations if start < d <= today]
    if not inside:
        return 0
    end_day, end_value = inside[-1]
    before = [(d, v) for d, v in observations if d <= start]
    if before:
        base_day, base_value = before[-1]
        span = (end_day - base_day).days
        change = (end_value - base_value) * min(1.0, days / span)
    else:
        change = end_value - inside[0][1]
    return max(0, _round(change))


def boost(paper: Paper, today: dt.date, days: int) -> float:
    """The decaying boost of a newly added paper, in score points."""
    age = (today - paper.added).days
    if age < 0 or age >= BOOST_DAYS:
        return 0.0
    return BOOST_PER_DAY * days * 0.5 ** (age / BOOST_HALF_LIFE)


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _span(days: int) -> str:
    return "day" if days == 1 else f"{days} days"


def added_words(paper: Paper, today: dt.date) -> str:
    age = (today - paper.added).days
    if age <= 0:
        return "added today"
    if age == 1:
        return "added yesterday"
    return f"added {age} days ago"


#: English month names: what pages say must not depend on the build machine's locale.
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")


def human_date(day: dt.date) -> str:
    """``2 December 2026``: the pages' one date format (ISO stays in data files)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def published_words(paper: Paper) -> str | None:
    if not paper.published:
        return None
    p = paper.published
    if p.day:
        return f"published {p.day} {MONTHS[(p.month or 1) - 1]} {p.year}"
    if p.month:
        return f"published {MONTHS[p.month - 1]} {p.year}"
    return f"published {p.year}"


def _reasons(grown: dict[str, int], window: str, extra: Sequence[str]) -> tuple[str, ...]:
    parts: list[str] = []
    ordered = sorted(grown, key=lambda s: (-SIGNALS[s].weight * grown[s], s))
    influential = grown.get("influential_citations", 0)
    for name in ordered:
        if name == "influential_citations" and "citations" in grown:
            continue  # told inside the citations reason
        sig = SIGNALS[name]
        text = "+" + _plural(grown[name], sig.one, sig.many)
        if name == "citations" and influential:
            text += f" ({influential} influential)"
        parts.append(text)
    if parts:
        parts[-1] += " " + WINDOW_WORDS[window]
    return (*parts, *extra)


@dataclass(frozen=True)
class _Scored:
    paper: Paper
    score: float
    grown: dict[str, int]
    boost: float


def _score_all(collection: Collection, history: History, today: dt.date, days: int
               ) -> list[_Scored]:
    scored = []
    for paper in collection.papers:
        if paper.added > today:
            continue  # not on the list yet on that day
        grown = {}
        for name in SIGNALS:
            g = growth(history.series(paper.id, name, paper.aliases), today, days)
            if g > 0:
                grown[name] = g
        extra = boost(paper, today, days)
        score = sum(SIGNALS[s].weight * g for s, g in grown.items()) + extra
        scored.append(_Scored(paper, round(score, 2), grown, round(extra, 2)))
    return scored


def _order(collection: Collection, history: History, today: dt.date, window: str
           ) -> tuple[str, str, dt.date | None, list[_Scored]]:
    """(why it falls back or "", explanation, data date, ordered papers) without movement
    or limit."""
    days = WINDOWS[window]
    data_date = history.newest(today)
    usable = [d for d in history.dates if d <= today]
    scored = _score_all(collection, history, today, days)
    if len(usable) >= 2 and any(s.grown for s in scored):
        listed = [s for s in scored if s.score > 0]
        listed.sort(key=lambda s: (-s.score, *newest_first(s.paper)))
        explanation = (
            f"Ranked by growth in citations, Hugging Face upvotes and GitHub stars in the "
            f"{_span(days)} to {human_date(today)}, plus a boost for papers "
            f"added in the last {BOOST_DAYS // 7} weeks.")
        return "", explanation, data_date, listed
    if not usable:
        why = "No popularity data yet"
    elif len(usable) == 1:
        why = (f"Popularity data starts on {human_date(usable[0])} and growth needs two "
               "days of it")
    else:
        why = (f"No new citations, stars or upvotes in the {_span(days)} to "
               f"{human_date(today)}")
    # Newest publication first: a paper added this week may be a classic from 2016; what is
    # new to the field is what a reader looks for here.
    listed = sorted(scored, key=lambda s: newest_published_first(s.paper))
    return why, f"{why}: {FALLBACK_RULE}.", data_date, listed


def _movement(paper_id: str, position: int, before: dict[str, int]) -> str:
    if paper_id not in before:
        return "new"
    change = before[paper_id] - position
    if change > 0:
        return f"up {change}"
    if change < 0:
        return f"down {-change}"
    return "same"


def rank(collection: Collection, history: History, today: dt.date, window: str = "week",
         limit: int | None = None) -> Ranking:
    """The trending ranking for ``window`` as of ``today`` (pure and deterministic)."""
    if window not in WINDOWS:
        raise ValueError(f"unknown window {window!r} (choose from {', '.join(WINDOWS)})")
    why, explanation, data_date, ordered = _order(collection, history, today, window)
    fallback = bool(why)
    prev_why, _, _, prev = _order(collection, history, today - dt.timedelta(days=1), window)
    prev_fallback = bool(prev_why)
    # Places in a ranking made by another rule (recency vs growth) are not comparable.
    before = {} if prev_fallback != fallback else {
        s.paper.id: i for i, s in enumerate(prev, start=1)}
    rows = []
    for position, item in enumerate(ordered[:limit] if limit else ordered, start=1):
        if fallback:
            # Only the date the list is ordered by: "added N days ago" on every row would
            # read as a reason to rank, and there is no ranking.
            published = published_words(item.paper)
            reasons = (published,) if published else ()
            score = 0.0
        else:
            extra = [added_words(item.paper, today)] if item.boost else []
            reasons = _reasons(item.grown, window, extra)
            score = item.score
        rows.append(TrendingRow(
            paper_id=item.paper.id, rank=position, score=score, reasons=reasons,
            movement=_movement(item.paper.id, position, before),
            growth=tuple(sorted(item.grown.items())) if not fallback else (),
            boost=item.boost if not fallback else 0.0))
    return Ranking(window=window, today=today, data_date=data_date, fallback=fallback,
                   explanation=explanation, rows=tuple(rows), why=why)


def rankings_json(rankings: Sequence[Ranking]) -> dict[str, Any]:
    """The ``/trending.json`` document: per window, the ranked ids with score, reasons and
    movement, and the date of the data. Serialize with ``sort_keys=True``."""
    windows: dict[str, Any] = {}
    for r in rankings:
        windows[r.window] = {
            "data_date": r.data_date.isoformat() if r.data_date else None,
            "days": r.days,
            "explanation": r.explanation,
            "fallback": r.fallback,
            "papers": [{"id": row.paper_id, "movement": row.movement, "rank": row.rank,
                        "reasons": list(row.reasons), "score": row.score,
                        "summary": row.summary} for row in r.rows],
            "today": r.today.isoformat(),
            "window": r.window,
        }
    return {"version": 1, "windows": dict(sorted(windows.items()))}


def load_history_or_empty(path: Path | None) -> History:
    """:func:`load_history` for an optional path (None: no history)."""
    return load_history(path) if path else History()
