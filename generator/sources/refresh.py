"""``metrics refresh``: every provider asked for today's values, side by side, within a
budget, stalest papers first; the values appended to the history (``core.metrics``), which
is saved as each provider finishes, so what was fetched is never lost."""

from __future__ import annotations

import datetime as dt
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.entries import Collection, Paper
from ..core.metrics import (
    COUNT_RANGE,
    DEFAULT_HORIZON_DAYS,
    describe,
    is_count,
    last_refreshed,
    load_history,
    printable,
    prune,
    record,
    save_history,
    stalest_first,
)
from .signals import FetchResult, Provider


@dataclass(frozen=True)
class ProviderReport:
    """What one provider did during a refresh."""

    name: str
    label: str
    papers: int  #: papers it could measure (those with an id it understands)
    fetched: int  #: papers with at least one value fetched
    unknown: int  #: papers the service does not know
    failed: int  #: papers whose values could not be fetched (last known kept)
    error: str = ""  #: the first failure message, for the summary
    deferred: int = 0  #: papers left for the next run: the budget could not cover them
    #: the oldest last value among the deferred papers (None: never measured, or none left)
    left_since: dt.date | None = None
    left_never: int = 0  #: deferred papers this provider has never measured

    @property
    def broken(self) -> bool:
        """True when it had work to do and got nothing back but failures."""
        return self.papers > 0 and self.fetched == 0 and self.failed > 0


@dataclass(frozen=True)
class RefreshReport:
    day: dt.date
    papers: int
    providers: tuple[ProviderReport, ...]
    budget: float | None = None  #: seconds each provider was given (None: no limit)

    @property
    def all_failed(self) -> bool:
        """Every provider that had work failed: the refresh as a whole failed."""
        active = [p for p in self.providers if p.papers]
        return bool(active) and all(p.broken for p in active)


Progress = Callable[[str, int, int], None]  # provider name, done, total


def refresh(collection: Collection, path: Path, day: dt.date, providers: Sequence[Provider],
            horizon_days: int = DEFAULT_HORIZON_DAYS,
            progress: Progress | None = None, budget: float | None = None) -> RefreshReport:
    """Fetch every provider's values for ``day`` and append them to the history at ``path``.

    The providers run at the same time, one thread each. With a ``budget`` (seconds), each
    provider first estimates from its rate limit how many papers it can ask about in that
    time and takes them stalest first (:func:`stalest_first`); the others, and any it has
    not reached when the budget runs out, are reported as deferred, for the next run.

    The file is read first (a corrupt file raises :class:`HistoryError` and is left alone)
    and saved after each provider that fetched something, so an interrupted refresh keeps
    the providers already done; when nothing is fetched the file is not touched at all.
    Failures are reported, never raised.
    """
    history = load_history(path)
    papers = collection.papers
    ordered = [stalest_first(papers, history, provider.signals) for provider in providers]
    lock = threading.Lock()

    def shared_progress(name: str, done: int, total: int) -> None:
        if progress:
            with lock:  # several providers report at once
                progress(name, done, total)

    done: queue.Queue[tuple[int, FetchResult | BaseException]] = queue.Queue()

    def run(index: int) -> None:
        try:
            outcome: FetchResult | BaseException = _fetch(
                providers[index], ordered[index], shared_progress, budget)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, re-raised
            outcome = exc
        done.put((index, outcome))

    # Daemon threads: a Ctrl-C in the main thread ends the command without waiting for
    # requests in flight; what was saved before stays saved.
    for index, provider in enumerate(providers):
        threading.Thread(target=run, args=(index,), name=f"refresh-{provider.name}",
                         daemon=True).start()
    results: dict[int, FetchResult] = {}
    raised: BaseException | None = None
    for _ in providers:
        index, outcome = done.get()
        if isinstance(outcome, BaseException):
            raised = raised or outcome  # saved what the others fetched first
            continue
        results[index] = outcome
        if outcome.values:
            history = prune(record(history, day, outcome.values), day, horizon_days)
            save_history(path, history)
    if raised is not None:
        raise raised
    reports = []
    for index, provider in enumerate(providers):
        result = results[index]
        deferred = set(result.deferred)
        left = [p for p in ordered[index] if p.id in deferred]
        since = [last_refreshed(history, p, provider.signals) for p in left]
        reports.append(ProviderReport(
            name=provider.name, label=provider.label, papers=result.asked,
            fetched=len(result.values), unknown=len(result.unknown),
            failed=len(result.failures),
            error=result.failures[0][1] if result.failures else "",
            deferred=len(result.deferred),
            left_since=min((d for d in since if d is not None), default=None),
            left_never=sum(d is None for d in since)))
    return RefreshReport(day, len(papers), tuple(reports), budget)


def _fetch(provider: Provider, papers: Sequence[Paper], progress: Progress | None,
           budget: float | None = None) -> FetchResult:
    """One provider's answer, with every value checked: a value that is not a count makes
    that paper a failure of this provider (it never reaches the history), and a provider
    that breaks (a bug, an answer its parser did not foresee) fails alone: the others still
    run and their values are still saved. ``papers`` come stalest first; with a
    ``budget``, those its rate limit cannot cover in time are deferred without asking."""
    from ..sources.signals import FetchResult

    try:
        ask, later = provider.split(papers, budget)
        result = provider.fetch(ask, progress, budget=budget)
    except Exception as exc:  # noqa: BLE001 - one provider must not stop the others
        failed = FetchResult(asked=len(papers))
        message = f"{provider.label} failed: {type(exc).__name__}: {printable(str(exc))[:200]}"
        failed.failures.extend((p.id, message) for p in papers)
        return failed
    deferred = list(result.deferred) + [p.id for p in later if provider.key(p)]
    checked = FetchResult(unknown=list(result.unknown), failures=list(result.failures),
                          asked=result.asked + len(deferred) - len(result.deferred),
                          deferred=deferred)
    for paper_id, signals in result.values.items():
        bad = sorted(name for name, value in signals.items() if not is_count(value))
        if bad:
            checked.failures.append((paper_id, "; ".join(
                f"{name}: {describe(signals[name])} is not a count ({COUNT_RANGE})"
                for name in bad)))
        else:
            checked.values[paper_id] = dict(signals)
    return checked
