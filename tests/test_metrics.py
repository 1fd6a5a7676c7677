"""The metrics history: format, append, prune, atomicity, and refresh with failing providers."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from generator.core import files
from generator.core.entries import Collection, Paper, Taxonomy
from generator.core.metrics import (
    DEFAULT_HORIZON_DAYS,
    History,
    HistoryError,
    dump_history,
    load_history,
    parse_history,
    prune,
    record,
    save_history,
)
from generator.sources.http import HttpClient
from generator.sources.refresh import refresh
from generator.sources.signals import FetchResult, Provider

ROOT = Path(__file__).resolve().parent.parent
D = dt.date(2026, 12, 10)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


def paper(pid: str) -> Paper:
    return Paper(id=pid, source=f"papers/{pid}.yaml", title=pid, abstract="", category="c",
                 tags=(), added=dt.date(2026, 11, 1), arxiv="2401.00001")


COLLECTION = Collection((paper("alpha"), paper("beta")), Taxonomy((), ()))


# --- the file format ----------------------------------------------------------------------

def test_dump_is_sorted_one_line_per_paper_and_round_trips() -> None:
    history = record(record(History(), day(1), {"beta": {"hf_upvotes": 2, "citations": 1},
                                                 "alpha": {"citations": 5}}),
                     day(0), {"alpha": {"citations": 4}})
    text = dump_history(history)
    assert text.splitlines() == [
        "{",
        ' "days": {',
        '  "2026-12-10": {',
        '   "alpha": {"citations": 4}',
        "  },",
        '  "2026-12-11": {',
        '   "alpha": {"citations": 5},',
        '   "beta": {"citations": 1, "hf_upvotes": 2}',
        "  }",
        " },",
        ' "version": 1',
        "}",
    ]
    assert json.loads(text) == json.loads(json.dumps(json.loads(text), sort_keys=True))
    assert dump_history(parse_history(text)) == text


def test_record_merges_the_same_day() -> None:
    h = record(History(), D, {"alpha": {"citations": 1, "hf_upvotes": 3}})
    h = record(h, D, {"alpha": {"citations": 2}, "beta": {}})
    assert h.days == {D: {"alpha": {"citations": 2, "hf_upvotes": 3}}}


def test_prune_keeps_the_horizon() -> None:
    h = History({day(-200): {"a": {"c": 1}}, day(-121): {"a": {"c": 2}},
                 day(-120): {"a": {"c": 3}}, day(0): {"a": {"c": 4}}, day(1): {}})
    assert DEFAULT_HORIZON_DAYS == 120
    assert prune(h, D).dates == (day(-120), day(0))
    assert prune(h, D, horizon_days=7).dates == (day(0),)


def test_series_reads_aliases_and_skips_gaps() -> None:
    h = History({day(0): {"old-id": {"citations": 1}}, day(1): {"new-id": {"citations": 2}},
                 day(2): {"new-id": {"hf_upvotes": 5}}, day(3): {"new-id": {"citations": 4},
                                                            "old-id": {"citations": 99}}})
    assert h.series("new-id", "citations", ("old-id",)) == (
        (day(0), 1), (day(1), 2), (day(3), 4))
    assert h.newest(day(2)) == day(2) and h.newest(day(-1)) is None


def test_missing_file_is_an_empty_history(tmp_path: Path) -> None:
    assert load_history(tmp_path / "nope.json").days == {}


@pytest.mark.parametrize(("text", "message"), [
    ('{"days": {"2026-12-01": {"a": {"citations": 1}', "not valid JSON (line 1"),
    ("[]", 'expected an object with "version" and "days"'),
    ('{"days": {}, "version": 9}', "unsupported version 9"),
    ('{"days": {}, "version": ' + "9" * 5000 + "}", "number too long to read"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
], ids=["not-json", "not-an-object", "version", "long-version", "nested"])
def test_corrupt_history_is_a_clear_error(tmp_path: Path, text: str, message: str) -> None:
    """A file that is not a history at all is an error (refresh will not overwrite it)."""
    path = tmp_path / "metrics.json"
    path.write_text(text)
    with pytest.raises(HistoryError) as err:
        load_history(path)
    assert str(err.value).startswith(f"{path}: ") and message in str(err.value)


BAD_VALUES = {"negative": -1, "huge": 10 ** 400, "at-limit": 2 ** 53, "float": 1.5,
              "string": "3", "null": None, "bool": True, "inf": float("inf"), "list": [1]}


def test_bad_values_in_the_history_are_skipped_with_a_warning(tmp_path: Path,
                                                              caplog) -> None:
    """One bad value (written by hand or by an older tool) costs that value, never the
    build, the ranking or the digest: it is skipped and named in a warning."""
    days = {"2026-12-01": {"a": {"citations": 1, **BAD_VALUES},
                           "b": [1], "c": {"citations": 2 ** 53 - 1}},
            "2026-12-02": {"a": {"citations": 4}},
            "yesterday": {"a": {"citations": 2}},
            "2026-12-03": "not an object"}
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps({"days": days, "version": 1}))  # 1e400 is written Infinity
    history = load_history(path)
    assert history.days == {dt.date(2026, 12, 1): {"a": {"citations": 1},
                                                   "c": {"citations": 2 ** 53 - 1}},
                            dt.date(2026, 12, 2): {"a": {"citations": 4}}}
    assert len(history.warnings) == 10 + 1  # ten named, then counted
    assert history.warnings[0] == (f"{path}: 2026-12-01/a/negative: -1 is not a count "
                                   "(a whole number from 0 to 2^53 - 1); value skipped")
    assert "2026-12-01/a/huge: a 401-digit number is not a count" in history.warnings[1]
    assert "/at-limit: 9007199254740992 is not a count" in history.warnings[2]
    assert "/bool: true is not a count" in "".join(history.warnings)
    assert history.warnings[-1].endswith("... and 2 more skipped")
    assert [r.levelname for r in caplog.records] == ["WARNING"] * 11
    assert caplog.records[0].name == "generator.core.metrics"  # not MkDocs': strict builds pass
    # What the history feeds on later days works: the ranking and a refresh that repairs.
    from generator.core.trending import rank
    assert rank(COLLECTION, history, dt.date(2026, 12, 3), "week").rows is not None
    refresh(COLLECTION, path, dt.date(2026, 12, 4), [FakeProvider("s2", {"alpha": {"c": 1}})])
    assert "Infinity" not in path.read_text() and load_history(path).warnings == ()


def test_crash_during_write_keeps_the_old_file(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "metrics.json"
    old = record(History(), D, {"alpha": {"citations": 1}})
    save_history(path, old)
    before = path.read_bytes()

    def crash(fd: int) -> None:  # the data is half on disk when the process dies
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, "fsync", crash)
    with pytest.raises(KeyboardInterrupt):
        save_history(path, record(old, day(1), {"alpha": {"citations": 2}}))
    assert path.read_bytes() == before
    assert load_history(path).days == old.days
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]  # no temp file left


# --- refresh --------------------------------------------------------------------------------

class FakeProvider(Provider):
    """A provider that answers from a table, or fails every paper."""

    def __init__(self, name: str, values: dict[str, dict[str, int]] | None,
                 interrupt: bool = False) -> None:
        super().__init__(HttpClient("http://127.0.0.1:9"))  # never asked: no limiter
        self.name = self.label = name
        self.values = values
        self.interrupt = interrupt

    def key(self, paper: Paper) -> str | None:
        return paper.id

    def fetch(self, papers: Sequence[Paper], progress=None, budget=None) -> FetchResult:
        if self.interrupt:
            raise KeyboardInterrupt
        result = FetchResult(asked=len(papers))
        for p in papers:
            if self.values is None:
                result.failures.append((p.id, "HTTP 503 from fake"))
            elif p.id in self.values:
                result.values[p.id] = self.values[p.id]
            else:
                result.unknown.append(p.id)
        if progress:
            progress(self.name, len(papers), len(papers))
        return result


def test_refresh_appends_and_a_failing_provider_keeps_last_known_values(tmp_path: Path) -> None:
    path = tmp_path / "data" / "metrics.json"
    s2 = FakeProvider("s2", {"alpha": {"citations": 10}, "beta": {"citations": 3}})
    hf = FakeProvider("hf", {"alpha": {"hf_upvotes": 7}})
    refresh(COLLECTION, path, day(0), [s2, hf])
    s2.values = {"alpha": {"citations": 12}, "beta": {"citations": 3}}
    report = refresh(COLLECTION, path, day(1), [s2, FakeProvider("hf", None)])
    history = load_history(path)
    assert history.days[day(1)] == {"alpha": {"citations": 12}, "beta": {"citations": 3}}
    assert history.series("alpha", "hf_upvotes") == ((day(0), 7),)  # last known kept
    s2_report, hf_report = report.providers
    assert (s2_report.papers, s2_report.fetched, s2_report.failed) == (2, 2, 0)
    assert (hf_report.fetched, hf_report.failed, hf_report.broken) == (0, 2, True)
    assert hf_report.error == "HTTP 503 from fake"
    assert not report.all_failed


def test_refresh_with_every_provider_failing_leaves_the_file_untouched(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    save_history(path, record(History(), day(-200), {"alpha": {"citations": 1}}))
    before = path.read_bytes()
    report = refresh(COLLECTION, path, day(0), [FakeProvider("a", None),
                                                FakeProvider("b", None)])
    assert report.all_failed
    assert path.read_bytes() == before  # not even pruned


def test_refresh_prunes_and_unknown_is_not_failure(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    save_history(path, record(History(), day(-121), {"alpha": {"citations": 1}}))
    report = refresh(COLLECTION, path, day(0), [FakeProvider("s2", {"beta": {"citations": 2}})])
    assert load_history(path).dates == (day(0),)
    (only,) = report.providers
    assert (only.fetched, only.unknown, only.failed, only.broken) == (1, 1, 0, False)


def test_refresh_refuses_a_corrupt_history(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    path.write_text('{"days": {')
    with pytest.raises(HistoryError):
        refresh(COLLECTION, path, day(0), [FakeProvider("s2", {"alpha": {"citations": 2}})])
    assert path.read_text() == '{"days": {'


def test_interrupted_refresh_keeps_the_providers_already_done(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    with pytest.raises(KeyboardInterrupt):
        refresh(COLLECTION, path, day(0), [FakeProvider("s2", {"alpha": {"citations": 2}}),
                                           FakeProvider("hf", {}, interrupt=True)])
    assert load_history(path).days == {day(0): {"alpha": {"citations": 2}}}


@pytest.mark.parametrize("bad", [-1, 2 ** 53, 10 ** 400, 1.0, float("nan"), float("inf"),
                                 "12", None, True, [3]],
                         ids=["negative", "2^53", "10^400", "float", "nan", "inf", "string",
                              "null", "bool", "list"])
def test_refresh_rejects_values_that_are_not_counts(tmp_path: Path, bad: Any) -> None:
    """Whatever a provider hands back, only counts reach the history; a bad value makes
    that paper a failure of that provider."""
    path = tmp_path / "metrics.json"
    report = refresh(COLLECTION, path, day(0), [FakeProvider(
        "s2", {"alpha": {"citations": 3, "influential_citations": bad},
               "beta": {"citations": 2 ** 53 - 1}})])
    assert load_history(path).days == {day(0): {"beta": {"citations": 2 ** 53 - 1}}}
    (only,) = report.providers
    assert (only.fetched, only.failed) == (1, 1)
    assert only.error.startswith("influential_citations: ") and "is not a count" in only.error
    assert len(only.error) < 200  # 10**400 is not quoted whole


class BrokenProvider(FakeProvider):
    def fetch(self, papers: Sequence[Paper], progress=None, budget=None) -> FetchResult:
        raise RecursionError("maximum recursion depth exceeded")


def test_a_provider_that_breaks_does_not_stop_the_others(tmp_path: Path) -> None:
    path = tmp_path / "metrics.json"
    report = refresh(COLLECTION, path, day(0), [
        BrokenProvider("s2", None), FakeProvider("hf", {"alpha": {"hf_upvotes": 2}})])
    assert load_history(path).days == {day(0): {"alpha": {"hf_upvotes": 2}}}
    broken, hf = report.providers
    assert broken.broken and broken.error == (
        "s2 failed: RecursionError: maximum recursion depth exceeded")
    assert not hf.broken and not report.all_failed


# --- the command, killed midway ---------------------------------------------------------------

class SlowHandler(BaseHTTPRequestHandler):
    """Semantic Scholar answers at once; Hugging Face answers slowly (the kill lands there)."""

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:  # noqa: N802
        ids = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["ids"]
        self._json([{"paperId": i, "citationCount": 5, "influentialCitationCount": 1}
                    for i in ids])

    def do_GET(self) -> None:  # noqa: N802
        time.sleep(0.2)
        self._json({"id": "x", "upvotes": 1})


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), SlowHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL])
def test_killing_a_refresh_leaves_a_loadable_history(tmp_path: Path, slow_server: str,
                                                     how: signal.Signals) -> None:
    path = tmp_path / "metrics.json"
    save_history(path, record(History(), day(-1), {"old-paper": {"citations": 1}}))
    before = path.stat().st_mtime_ns
    env = {**os.environ, "SEMANTIC_SCHOLAR_API_URL": slow_server, "HF_API_URL": slow_server,
           "GITHUB_API_URL": slow_server}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator",
         "metrics", "refresh", "--papers", str(ROOT / "papers"), "--history", str(path),
         "--date", day(0).isoformat()],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while path.stat().st_mtime_ns == before and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until Semantic Scholar's values are saved
        time.sleep(0.5)  # now deep in the slow Hugging Face requests
        assert proc.poll() is None, "the refresh ended before it could be killed"
        proc.send_signal(how)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    history = load_history(path)  # loads: never a half-written file
    assert history.days[day(-1)] == {"old-paper": {"citations": 1}}
    assert len(history.days[day(0)]) == 200  # Semantic Scholar's values were kept
    assert all("hf_upvotes" not in v for v in history.days[day(0)].values())
    if how == signal.SIGINT:
        assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err


def test_refresh_command_reports_unreachable_network(tmp_path: Path, monkeypatch,
                                                    capsys) -> None:
    """Network down: failures are reported, the history is kept, exit code 1."""
    from generator.commands.cli import main

    path = tmp_path / "metrics.json"
    save_history(path, record(History(), day(-1), {"alpha": {"citations": 1}}))
    before = path.read_bytes()
    dead = "http://127.0.0.1:9"  # the discard port: connection refused
    for name in ("SEMANTIC_SCHOLAR_API_URL", "HF_API_URL", "GITHUB_API_URL"):
        monkeypatch.setenv(name, dead)
    sleeps: list[float] = []
    monkeypatch.setattr(time, "sleep", sleeps.append)  # backoff without waiting
    code = main(["metrics", "refresh", "--papers", str(ROOT / "papers"),
                 "--history", str(path), "--date", day(0).isoformat()])
    out, err = capsys.readouterr()
    assert code == 1
    assert "Semantic Scholar     200        0        0     200" in out
    assert "Connection refused" in out
    assert "every provider failed" in err
    assert path.read_bytes() == before
    assert sleeps  # it did retry with backoff before giving up
