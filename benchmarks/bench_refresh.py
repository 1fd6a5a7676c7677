"""Metrics refresh benchmark: `reading-list metrics refresh` of N papers against instant
loopback stand-ins for Semantic Scholar, Hugging Face and GitHub.

    python benchmarks/bench_refresh.py                 # 2,500 papers (the issue's size)
    python benchmarks/bench_refresh.py --n 500 --n 2500

The papers are bench.py's seeded corpus (85% with an arXiv id, a fifth with a GitHub code
link); the stand-ins know every paper to Semantic Scholar and GitHub and three in five to
Hugging Face. They answer at once, but each service's published rate limit stays configured
(generator/sources/signals.py, LIMITS) on a clock that moves only when the refresh waits, so
its waits are counted instead of slept, and the budget runs out where it would against the
real services. Three runs per size: without tokens and with them (GITHUB_TOKEN: GraphQL;
SEMANTIC_SCHOLAR_API_KEY), both under the default budget of 20 minutes, and with tokens
under a budget that covers everything. The table shows our own time (loading the list,
asking, checking, saving), the requests, the rate-limit schedule (the time on that clock
when the last request started: what the limits alone cost against the real services, the
providers running side by side) and the papers left for the next run.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import BUILD_DATE, synthetic_corpus, write_our_project  # noqa: E402
from test_signals import FakeApis, Handler  # noqa: E402

from generator.commands import cli  # noqa: E402
from generator.core.metrics import DEFAULT_BUDGET_MINUTES, load_history  # noqa: E402
from generator.sources import signals  # noqa: E402


class SchedulingClock:
    """Seconds that pass only when the refresh waits: ``sleep(d)`` moves the clock to the
    time the sleeping thread last read plus ``d`` (never back). The final reading is when
    the last request could start against the real services."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()
        self.seen = threading.local()

    def __call__(self) -> float:
        with self.lock:
            self.seen.value = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.now = max(self.now, getattr(self.seen, "value", self.now) + seconds)


@contextlib.contextmanager
def stand_ins(papers: list[dict[str, Any]]) -> Iterator[tuple[FakeApis, str]]:
    """test_signals' stand-ins, knowing the corpus."""
    apis = FakeApis()
    apis.s2, apis.hf, apis.gh = {}, {}, {}
    for k, paper in enumerate(papers):
        record = {"paperId": str(k), "citationCount": k % 97,
                  "influentialCitationCount": k % 7}
        if paper.get("arxiv"):
            apis.s2[f"ARXIV:{paper['arxiv']}"] = record
            if k % 5 < 3:
                apis.hf[paper["arxiv"]] = k % 41
        elif paper.get("doi"):
            apis.s2[f"DOI:{paper['doi']}"] = record
        code = (paper.get("links") or {}).get("code")
        if code:
            apis.gh[code.split("github.com/", 1)[1]] = k % 300
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 64
    server.apis = apis
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield apis, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def run(n: int, tokens: bool = False, budget: float = DEFAULT_BUDGET_MINUTES
        ) -> dict[str, Any]:
    """One `metrics refresh` of ``n`` papers; returns the measurements."""
    corpus = synthetic_corpus(n)
    papers = [yaml.safe_load(text) for text in corpus.entries.values()]
    clock = SchedulingClock()
    original = signals.default_providers

    def providers(env: Any = None, sleep: Any = None, timeout: float = 20.0,
                  clock_: Any = None) -> list[signals.Provider]:
        return original(env, sleep=clock.sleep, timeout=timeout, clock=clock)

    old_cwd, old_env = os.getcwd(), dict(os.environ)
    signals.default_providers = providers  # type: ignore[assignment]
    try:
        with tempfile.TemporaryDirectory() as tmp, stand_ins(papers) as (apis, url):
            project = write_our_project(Path(tmp) / "lab", corpus)
            os.chdir(project)
            for name in ("SEMANTIC_SCHOLAR_API_URL", "HF_API_URL", "GITHUB_API_URL"):
                os.environ[name] = url
            for name in ("GITHUB_TOKEN", "SEMANTIC_SCHOLAR_API_KEY"):
                os.environ.pop(name, None)
            if tokens:
                os.environ["GITHUB_TOKEN"] = "bench-token"
                os.environ["SEMANTIC_SCHOLAR_API_KEY"] = "bench-key"
            out, err = io.StringIO(), io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli.main(["metrics", "refresh", "--date", BUILD_DATE,
                                 "--budget", f"{budget:g}"])
            elapsed = time.perf_counter() - started
            if code != 0:
                raise SystemExit(f"refresh failed ({code}):\n{out.getvalue()}"
                                 f"{err.getvalue()[-2000:]}")
            history = load_history(project / "data" / "metrics.json")
            (day,) = history.days.values()
            left = {line.split(":")[0]: int(line.split(": ")[1].split()[0])
                    for line in out.getvalue().splitlines() if "left for the next run" in line}
            return {"n": n, "tokens": tokens, "budget": budget, "seconds": elapsed,
                    "requests": len(apis.requests), "schedule": clock.now,
                    "measured": len(day), "left": left, "summary": out.getvalue()}
    finally:
        signals.default_providers = original  # type: ignore[assignment]
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)


def describe(left: dict[str, int]) -> str:
    return ", ".join(f"{name} {count:,}" for name, count in sorted(left.items())) or "none"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="papers (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print each summary too")
    args = parser.parse_args(argv)
    print(f"{'papers':>7}  {'tokens':<6} {'budget':>7} {'ours s':>7} {'requests':>9} "
          f"{'rate-limit schedule':>20} {'papers measured':>16}  left for the next run")
    for n in args.n or [2500]:
        for tokens, budget in ((False, DEFAULT_BUDGET_MINUTES), (True, DEFAULT_BUDGET_MINUTES),
                               (True, 600.0)):
            r = run(n, tokens, budget)
            schedule = f"{r['schedule']:.0f} s ({r['schedule'] / 60:.1f} min)"
            print(f"{r['n']:>7,}  {'yes' if tokens else 'no':<6} {budget:>5g} m "
                  f"{r['seconds']:>7.1f} {r['requests']:>9,} {schedule:>20} "
                  f"{r['measured']:>16,}  {describe(r['left'])}")
            if args.verbose:
                print(r["summary"])


if __name__ == "__main__":
    main()
