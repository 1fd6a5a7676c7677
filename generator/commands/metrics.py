"""``reading-list metrics refresh`` and ``reading-list trending``: thin glue over the core."""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import sys
import textwrap
from pathlib import Path
from typing import TextIO

from ..core.config import SiteConfig
from ..core.metrics import (
    DEFAULT_BUDGET_MINUTES,
    DEFAULT_HORIZON_DAYS,
    HistoryError,
    load_history,
)
from ..core.terminal import visible
from ..core.trending import WINDOWS, Ranking, rank
from ..plugin.settings import load_site_config
from ..sources.refresh import ProviderReport, RefreshReport, refresh
from .cli import add_papers_options, load_or_explain, today


def _site_config() -> SiteConfig:
    """mkdocs.yml's settings when there is one (commands also run without a site)."""
    from ..plugin.settings import SettingsError

    path = Path("mkdocs.yml")
    if path.is_file():
        try:
            return load_site_config(path)
        except SettingsError as exc:  # the same message build gives; never silent defaults
            print(visible(str(exc)), file=sys.stderr)
            raise SystemExit(2) from None
    return SiteConfig()


def _history_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--history", type=Path, default=None,
                        help="metrics history file (default: the site's metrics_file, "
                             "data/metrics.json)")


def _history_path(args: argparse.Namespace) -> Path:
    return args.history or _site_config().metrics_path


class _ProgressLine:
    """A one-line progress indicator on stderr (plain lines when stderr is not a terminal)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.current = ""
        self.announced: set[str] = set()

    def __call__(self, name: str, done: int, total: int) -> None:
        if self.tty:
            width = 24
            filled = width * done // total if total else width
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{name:<17} [{bar}] {done}/{total}")
            if done >= total:
                self.stream.write("\n")
            self.stream.flush()
        elif done >= total:
            print(f"{name}: {done}/{total} done", file=self.stream)
        elif name not in self.announced:  # providers run side by side: once each
            print(f"{name}: fetching {total} papers", file=self.stream)
        self.announced.add(name)
        self.current = name


def format_refresh(result: RefreshReport) -> str:
    """The summary table printed after a refresh."""
    head = ("provider", "papers", "fetched", "unknown", "failed")
    rows = [(p.label, str(p.papers), str(p.fetched), str(p.unknown), str(p.failed))
            for p in result.providers]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = [f"metrics for {result.day.isoformat()}: {result.papers} papers"]
    for r in [head, *rows]:
        lines.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                               for i, (cell, w) in enumerate(zip(r, widths, strict=True))))
    for p in result.providers:
        if p.error:  # a provider's failure quotes its answer: shown, never obeyed
            lines.append(f"{p.label}: {visible(p.error)}")
    for p in result.providers:
        if p.deferred:
            lines.append(f"{p.label}: {p.deferred} left for the next run "
                         f"({_budget_words(result.budget)}); {_staleness(p, result.day)}")
    return "\n".join(lines)


def _budget_words(budget: float | None) -> str:
    if budget is None:
        return "stopped early"
    return f"beyond the budget of {budget / 60:g} min at its rate limit"


def _staleness(p: ProviderReport, day: dt.date) -> str:
    """How stale the stalest of the papers left is: the next run starts with it."""
    if p.left_never:
        return (f"{p.left_never} of them never measured yet" if p.left_never < p.deferred
                else "none of them measured yet")
    if p.left_since is None:  # pragma: no cover - deferred papers have a date or none
        return "the next run starts with them"
    age = (day - p.left_since).days
    return (f"the stalest was last measured {p.left_since.isoformat()} "
            f"({age} day{'s' if age != 1 else ''} ago)")


def _metrics_setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", choices=["refresh"],
                        help="refresh: fetch today's values and append them to the history")
    add_papers_options(parser)
    _history_option(parser)
    parser.add_argument("--horizon", type=int, default=DEFAULT_HORIZON_DAYS, metavar="DAYS",
                        help=f"keep this many days of history (default {DEFAULT_HORIZON_DAYS})")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                        help="timeout of one request (default 20)")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_MINUTES,
                        metavar="MINUTES",
                        help="time each service may take (default "
                             f"{DEFAULT_BUDGET_MINUTES:g}, fitted to the publish workflow); "
                             "the papers a service's rate limit cannot cover in it, "
                             "stalest first, wait for the next run")


def cmd_metrics(args: argparse.Namespace) -> int:
    """Fetch popularity signals (citations, upvotes, stars) into the metrics history."""
    from ..sources.signals import default_providers  # network code only when asked for

    if args.horizon < 1:
        print("--horizon must be at least 1 day", file=sys.stderr)
        return 2
    if not 0 < args.budget < float("inf"):
        print("--budget must be a number of minutes above 0", file=sys.stderr)
        return 2
    collection = load_or_explain(args)
    if collection is None:
        return 1
    path = _history_path(args)
    day = today(args)
    try:
        result = refresh(collection, path, day, default_providers(timeout=args.timeout),
                         args.horizon, _ProgressLine(sys.stderr), budget=args.budget * 60)
    except HistoryError as exc:
        print(f"error: {visible(exc)}", file=sys.stderr)
        return 1
    print(format_refresh(result))
    if result.all_failed:
        print(f"every provider failed: {visible(path)} left unchanged", file=sys.stderr)
        return 1
    print(f"history: {visible(path)}", file=sys.stderr)
    return 0


def format_ranking(ranking: Ranking, titles: dict[str, str], width: int = 100) -> str:
    """The ranking as a terminal table (the same rows the trending page shows)."""
    data = ranking.data_date.isoformat() if ranking.data_date else "none"
    lines = [f"Trending ({ranking.window}) on {ranking.today.isoformat()}, data of {data}",
             textwrap.fill(ranking.explanation, width), ""]
    if not ranking.rows:
        lines.append("(no papers)")
        return "\n".join(lines)
    title_width = max(20, width - 24)
    lines.append(f"{'#':>3}  {'move':<7} {'score':>7}  paper")
    for row in ranking.rows:
        # Entry titles may hold escapes (YAML "\x1b" is a valid string): shown, not obeyed;
        # escaped before cutting, so the cut counts the characters the terminal shows.
        title = visible(titles.get(row.paper_id, row.paper_id))
        if len(title) > title_width:
            title = title[:title_width - 1] + "…"
        lines.append(f"{row.rank:>3}  {row.movement:<7} {row.score:>7.2f}  {title}")
        lines.append(f"{'':>20}{visible(row.paper_id)}: {visible(row.summary)}")
    return "\n".join(lines)


def _trending_setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--window", choices=list(WINDOWS), default="week",
                        help="growth window (default week)")
    parser.add_argument("--limit", type=int, default=20, help="rows to show (default 20)")
    add_papers_options(parser)
    _history_option(parser)


def cmd_trending(args: argparse.Namespace) -> int:
    """Print the trending ranking (the trending page's rows) as a table."""
    if args.limit < 1:
        print("--limit must be at least 1", file=sys.stderr)
        return 2
    collection = load_or_explain(args)
    if collection is None:
        return 1
    try:
        history = load_history(_history_path(args))
    except HistoryError as exc:
        print(f"error: {visible(exc)}", file=sys.stderr)
        return 1
    ranking = rank(collection, history, today(args), args.window, args.limit)
    width = shutil.get_terminal_size((100, 24)).columns
    titles = {p.id: p.title for p in collection.papers}
    print(format_ranking(ranking, titles, max(60, min(width, 140))))
    return 0
