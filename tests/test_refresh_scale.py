"""`metrics refresh` at a lab's scale (issue 13.5): the shared rate limiter, bounded
concurrency, GitHub GraphQL batching, and the budget that serves the stalest papers first.

The services are test_signals' loopback stand-ins; rate-limit waits run on a fake clock
that advances only when someone sleeps, so minutes of waiting take no time here.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from test_signals import FakeApis, Handler, Sleeps, paper

from generator.core.entries import Collection, Taxonomy
from generator.core.metrics import (
    DEFAULT_BUDGET_MINUTES,
    History,
    load_history,
    record,
    save_history,
    stalest_first,
)
from generator.sources.http import HttpClient, RateLimiter
from generator.sources.refresh import refresh
from generator.sources.signals import (
    GitHub,
    GitHubGraphQL,
    HuggingFace,
    SemanticScholar,
    default_providers,
)

ROOT = Path(__file__).resolve().parent.parent
D = dt.date(2026, 12, 10)


@pytest.fixture
def apis() -> Iterator[tuple[FakeApis, str]]:
    """test_signals' stand-ins for the three services (they record the most requests they
    were answering at once)."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.apis = FakeApis()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server.apis, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class FakeClock:
    """Seconds that pass only when a thread sleeps: ``sleep(d)`` moves the clock to the
    time that thread last read plus ``d`` (never back), which is what the threads of a real
    limiter see when each sleeps until its reserved start."""

    def __init__(self) -> None:
        self.now = 0.0
        self.lock = threading.Lock()
        self.seen = threading.local()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        with self.lock:
            self.seen.value = self.now
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.sleeps.append(seconds)
            self.now = max(self.now, getattr(self.seen, "value", self.now) + seconds)


def most_in_any_window(times: list[float], per: float) -> int:
    """The largest number of ``times`` inside one window of ``per`` seconds."""
    times = sorted(times)
    return max((sum(1 for u in times[i:] if u < t + per) for i, t in enumerate(times)),
               default=0)


def limited(base: str, clock: FakeClock, requests: int, per: float, spacing: float = 0.0,
            **kw: Any) -> HttpClient:
    kw.setdefault("retries", 2)
    return HttpClient(base, timeout=5.0, backoff=0.01, sleep=Sleeps(),
                      limiter=RateLimiter(requests, per, spacing, clock=clock,
                                          sleep=clock.sleep), **kw)


def arxiv_papers(n: int) -> list:
    return [paper(f"p{i:03d}", arxiv=f"2401.{i:05d}") for i in range(n)]


# --- the limiter ------------------------------------------------------------------------------

def test_limiter_shared_by_threads_keeps_the_window_and_the_spacing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, 10.0, spacing=1.0, clock=clock, sleep=clock.sleep)
    starts: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                starts.append(clock())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(starts) == 20 and limiter.started == 20
    assert most_in_any_window(starts, 10.0) <= 3  # never more than the limit allows
    assert most_in_any_window(starts, 1.0) == 1  # and never two within the spacing
    # 20 requests at 3 per 10 s: the last starts in the seventh window, not before.
    assert 60.0 <= max(starts) <= 62.0
    assert limiter.waited >= 60.0 and clock.sleeps  # waited through the fake clock


def test_limiter_hold_and_capacity() -> None:
    clock = FakeClock()
    limiter = RateLimiter(450, 300.0, spacing=0.1, clock=clock, sleep=clock.sleep)
    assert limiter.capacity(1200) == 1800  # four windows
    assert limiter.capacity(30) == 300  # the spacing binds first
    assert limiter.capacity(0) == 0
    assert RateLimiter(60, 3600.0).capacity(20 * 60) == 60
    limiter.acquire()
    limiter.hold(30.0)  # a Retry-After of 30 s
    assert limiter.next_start() == 30.0
    assert limiter.acquire() == 30.0 and clock() == 30.0
    with pytest.raises(ValueError):
        RateLimiter(0, 1.0)


def test_min_interval_still_spaces_one_thread_without_a_limiter() -> None:
    sleeps = Sleeps()
    client = HttpClient("http://127.0.0.1:9", min_interval=3.0, sleep=sleeps)
    assert client._throttle() == 0.0
    assert 2.9 < client._throttle() <= 3.0 and len(sleeps) == 1


# --- concurrency and the limit, against the stand-in ------------------------------------------

def test_hugging_face_uses_its_threads_and_no_more(apis) -> None:
    fake, base = apis
    fake.delay = 0.1
    fake.hf = {f"2401.{i:05d}": i for i in range(24)}
    result = HuggingFace(HttpClient(base, timeout=5.0), workers=4).fetch(arxiv_papers(24))
    assert len(result.values) == 24 and result.values["p007"] == {"hf_upvotes": 7}
    assert fake.max_in_flight == 4  # used: 4 at once; bounded: never 5


def test_github_rest_asks_one_at_a_time(apis) -> None:
    fake, base = apis
    fake.delay = 0.05
    fake.gh = {f"lab/r{i}": i for i in range(6)}
    papers = [paper(f"p{i}", arxiv=str(i), code=f"https://github.com/lab/r{i}")
              for i in range(6)]
    _, _, gh = default_providers({"GITHUB_API_URL": base})
    gh.client.limiter = RateLimiter(60, 3600.0)  # the real limit, without its 1 s spacing
    result = gh.fetch(papers)
    assert len(result.values) == 6 and fake.max_in_flight == 1


def test_threads_share_the_limit(apis) -> None:
    """12 papers from 4 threads under 5 requests a minute: the starts granted keep at most
    5 in any minute of the (fake) clock, and the whole run takes the 3 windows it must."""
    fake, base = apis
    clock = FakeClock()
    fake.hf = {}
    client = limited(base, clock, 5, 60.0)
    client.limiter.starts = []  # keep every start granted
    result = HuggingFace(client, workers=4).fetch(arxiv_papers(12))
    assert len(result.unknown) == 12  # the stand-in knows none of them: 404s, still asked
    assert len(fake.requests) == 12
    assert client.limiter.starts == [0.0] * 5 + [60.0] * 5 + [120.0] * 2
    assert fake.max_in_flight <= 4


def test_retry_after_holds_every_thread(apis) -> None:
    """A 429 with Retry-After: 30 stops the other threads too, not only the one retrying."""
    fake, base = apis
    clock = FakeClock()
    fake.clock = clock
    fake.hf = {f"2401.{i:05d}": i for i in range(10)}
    fake.faults["/api/papers/2401.00002"] = ["429:30"]
    result = HuggingFace(limited(base, clock, 100, 60.0, spacing=1.0), workers=3).fetch(
        arxiv_papers(10))
    assert len(result.values) == 10 and result.failures == []
    rejected = [t for t, path in fake.arrivals if path.endswith("2401.00002")][0]
    later = [t for t, _ in fake.arrivals if t > rejected]
    # Nobody asked during the 30 s but the (at most two) other threads whose requests had
    # already left; without the hold they would go on at one a second.
    assert sum(t < rejected + 30 for t in later) <= 2
    assert max(later) >= rejected + 30


def test_faults_stay_with_their_paper_under_concurrency(apis) -> None:
    fake, base = apis
    fake.hf = {f"2401.{i:05d}": i for i in range(8)}
    fake.faults["/api/papers/2401.00001"] = ["500"]  # retried, then fine
    fake.faults["/api/papers/2401.00003"] = ["slow", "slow"]  # a timeout, twice
    fake.faults["/api/papers/2401.00005"] = ["truncated"] * 3
    sleeps = Sleeps()
    client = HttpClient(base, timeout=0.3, retries=1, backoff=0.01, sleep=sleeps)
    result = HuggingFace(client, workers=4).fetch(arxiv_papers(8))
    assert sorted(result.values) == ["p000", "p001", "p002", "p004", "p006", "p007"]
    failures = dict(result.failures)
    assert sorted(failures) == ["p003", "p005"]
    assert "timed out" in failures["p003"] and "malformed JSON" in failures["p005"]


# --- GitHub: GraphQL with a token, REST without -----------------------------------------------

def code_papers(n: int) -> list:
    return [paper(f"p{i:03d}", arxiv=f"2401.{i:05d}", code=f"https://github.com/lab/r{i}")
            for i in range(n)]


def test_graphql_with_a_token_asks_100_repositories_a_query(apis) -> None:
    fake, base = apis
    fake.gh = {f"lab/r{i}": i for i in range(250) if i != 7}  # r7 is gone
    _, _, gh = default_providers({"GITHUB_API_URL": base, "GITHUB_TOKEN": "t0ken"})
    assert isinstance(gh, GitHubGraphQL)
    gh.client.limiter = RateLimiter(1000, 3600.0)  # the real limit, without its spacing
    result = gh.fetch(code_papers(250))
    assert fake.graphql_sizes == [100, 100, 50]
    assert [(m, p) for m, p, _, _ in fake.requests] == [("POST", "/graphql")] * 3
    assert all(h["Authorization"] == "Bearer t0ken" for _, _, h, _ in fake.requests)
    # Repositories travel as variables, never inside the query text.
    _, _, _, body = fake.requests[0]
    assert "lab" not in body["query"] and body["variables"]["o0"] == "lab"
    assert len(result.values) == 249 and result.values["p123"] == {"github_stars": 123}
    assert result.unknown == ["p007"] and result.failures == []


def test_without_a_token_github_is_asked_through_rest(apis) -> None:
    fake, base = apis
    fake.gh = {"lab/r0": 5, "lab/r1": 6}
    _, _, gh = default_providers({"GITHUB_API_URL": base})
    assert type(gh) is GitHub
    gh.client.limiter = RateLimiter(60, 3600.0)
    result = gh.fetch(code_papers(3))
    assert result.values == {"p000": {"github_stars": 5}, "p001": {"github_stars": 6}}
    assert result.unknown == ["p002"]
    assert [p for _, p, _, _ in fake.requests] == ["/repos/lab/r0", "/repos/lab/r1",
                                                   "/repos/lab/r2"]
    assert all("Authorization" not in h for _, _, h, _ in fake.requests)


@pytest.mark.parametrize(("body", "message"), [
    ('{"data": null, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit '
     'exceeded for installation."}]}',
     "GitHub GraphQL answered without data: RATE_LIMITED: API rate limit exceeded"),
    ('{"errors": [{"message": "Bad credentials"}]}', "without data: Bad credentials"),
    ("[1, 2]", "without data: no data"),
    ('{"data": {"r0": {"stargazerCount": 3}, "r1": null}, "errors": [{"type": "FORBIDDEN", '
     '"path": ["r1"], "message": "Resource protected by organization SAML enforcement."}]}',
     "GitHub GraphQL: FORBIDDEN: Resource protected"),
    ('{"data": {"r0": {"stargazerCount": 3}, "r1": {"stargazerCount": -4}}}',
     "stargazerCount is -4, not a count"),
], ids=["rate-limited", "bad-credentials", "not-an-object", "forbidden-one", "negative"])
def test_graphql_errors_are_failures(apis, body: str, message: str) -> None:
    fake, base = apis
    fake.faults["/graphql"] = [f"body:{body}"]
    gh = GitHubGraphQL(HttpClient(base, retries=0, headers={"Authorization": "Bearer t"}))
    result = gh.fetch(code_papers(2))
    assert result.failures and all(message in m for _, m in result.failures)
    if "r0" in body:
        assert result.values == {"p000": {"github_stars": 3}}
        assert [pid for pid, _ in result.failures] == ["p001"]


def test_graphql_retries_a_500_and_honours_retry_after(apis) -> None:
    fake, base = apis
    fake.gh = {"lab/r0": 9}
    fake.faults["/graphql"] = ["500", "429:4"]
    sleeps = Sleeps()
    gh = GitHubGraphQL(HttpClient(base, backoff=0.01, sleep=sleeps,
                                  headers={"Authorization": "Bearer t"}))
    assert gh.fetch(code_papers(1)).values == {"p000": {"github_stars": 9}}
    assert len(fake.requests) == 3 and max(sleeps) >= 4


# --- the budget: stalest first, the rest next time --------------------------------------------

def collection(papers: list) -> Collection:
    return Collection(tuple(papers), Taxonomy((), ()))


def test_stalest_first_orders_by_last_value_then_id() -> None:
    papers = [paper(n, arxiv="1") for n in ("d", "c", "b", "a", "e")]
    history = History({D - dt.timedelta(days=3): {"c": {"hf_upvotes": 1}, "a": {"hf_upvotes": 1}},
                       D - dt.timedelta(days=1): {"a": {"hf_upvotes": 2},
                                                  "b": {"citations": 4}},
                       D - dt.timedelta(days=2): {"d": {"hf_upvotes": 3}}})
    # b and e never had an upvote value (b's citations are another provider's): first, by
    # id; then c (3 days), d (2 days), a (1 day).
    order = stalest_first(papers, history, ("hf_upvotes",))
    assert [p.id for p in order] == ["b", "e", "c", "d", "a"]
    renamed = paper("new-a", arxiv="1")
    object.__setattr__(renamed, "aliases", ("a",))  # a renamed entry keeps its history
    assert [p.id for p in stalest_first([renamed, papers[4]], history, ("hf_upvotes",))] \
        == ["e", "new-a"]


def test_budget_serves_the_stalest_and_the_next_runs_serve_the_rest(apis,
                                                                   tmp_path: Path) -> None:
    """10 papers, a limit of 4 requests per 60 s and a budget of 60 s: each run asks the 4
    stalest, says how many are left and how stale, and every paper is refreshed within
    three runs, in a fixed order."""
    fake, base = apis
    fake.hf = {f"2401.{i:05d}": i for i in range(10)}
    path = tmp_path / "metrics.json"
    # p005..p009 were measured before (p009 longest ago), p000..p004 never.
    old = {D - dt.timedelta(days=10 + i): {f"p{i:03d}": {"hf_upvotes": 1}}
           for i in range(5, 10)}
    save_history(path, History(old))
    papers = collection(arxiv_papers(10))
    asked: list[list[str]] = []
    reports = []
    for run in range(3):
        clock = FakeClock()
        hf = HuggingFace(limited(base, clock, 4, 60.0), workers=2)
        fake.requests.clear()
        report = refresh(papers, path, D + dt.timedelta(days=run), [hf], budget=60.0)
        asked.append(sorted(p.rsplit(".", 1)[1] for _, p, _, _ in fake.requests))
        reports.append(report.providers[0])
    assert asked == [["00000", "00001", "00002", "00003"],  # never measured, by id
                     ["00004", "00007", "00008", "00009"],  # p004 (never), the oldest three
                     ["00000", "00001", "00005", "00006"]]  # the last two, then by id
    first, second, third = reports
    assert (first.papers, first.fetched, first.deferred) == (10, 4, 6)
    # Left after run 1: p004 never measured; the stalest measured one, p009, 19 days old.
    assert (first.left_never, first.left_since) == (1, D - dt.timedelta(days=19))
    assert (second.fetched, second.deferred, second.left_never) == (4, 6, 0)
    assert second.left_since == D - dt.timedelta(days=16)  # p006
    assert (third.fetched, third.deferred, third.left_since) == (4, 6, D)  # p002, p003
    history = load_history(path)
    # Every paper has a value from one of the three runs.
    assert all(history.series(f"p{i:03d}", "hf_upvotes")[-1][0] >= D for i in range(10))


def test_budget_order_across_runs_is_the_stalest_first(apis, tmp_path: Path) -> None:
    fake, base = apis
    fake.hf = {f"2401.{i:05d}": i for i in range(10)}
    path = tmp_path / "metrics.json"
    save_history(path, History({D - dt.timedelta(days=10 + i): {f"p{i:03d}": {"hf_upvotes": 1}}
                                for i in range(5, 10)}))
    papers = collection(arxiv_papers(10))
    order = []
    for run in range(3):
        clock = FakeClock()
        fake.requests.clear()
        refresh(papers, path, D + dt.timedelta(days=run),
                [HuggingFace(limited(base, clock, 4, 60.0), workers=1)], budget=60.0)
        order.append([p.rsplit(".", 1)[1][-1] for _, p, _, _ in fake.requests])
    # Run 1: the five never measured come first (by id), four fit. Run 2: p004 (never),
    # then p009, p008, p007 (measured 19, 18, 17 days before). Run 3: p006 and p005 (the
    # last two left: 16 and 15 days), then p000 and p001 (measured by run 1, by id).
    assert order == [list("0123"), list("4987"), list("6501")]


def test_wall_clock_stop_keeps_what_was_fetched(apis, tmp_path: Path) -> None:
    """The estimate said everything fits, but a Retry-After of 30 s pushes the next start
    past the 10 s budget: what was fetched is saved, the rest is left for the next run."""
    fake, base = apis
    fake.hf = {f"2401.{i:05d}": i for i in range(10)}
    fake.faults["/api/papers/2401.00002"] = ["429:30"]
    path = tmp_path / "metrics.json"
    clock = FakeClock()
    hf = HuggingFace(limited(base, clock, 100, 60.0, spacing=1.0), workers=1)
    report = refresh(collection(arxiv_papers(10)), path, D, [hf], budget=10.0)
    (only,) = report.providers
    assert (only.fetched, only.deferred, only.failed, only.left_never) == (3, 7, 0, 7)
    assert sorted(load_history(path).days[D]) == ["p000", "p001", "p002"]


def test_s2_and_graphql_batches_are_deferred_whole(apis, tmp_path: Path) -> None:
    """A budget that covers one request: Semantic Scholar asks for the 500 stalest, GitHub
    for the 100 stalest repositories; the rest waits."""
    fake, base = apis
    papers = [paper(f"p{i:04d}", arxiv=f"2401.{i:05d}", code=f"https://github.com/lab/r{i}")
              for i in range(600)]
    fake.s2 = {f"ARXIV:2401.{i:05d}": {"citationCount": i, "influentialCitationCount": 0}
               for i in range(600)}
    fake.gh = {f"lab/r{i}": i for i in range(600)}
    clock = FakeClock()
    s2 = SemanticScholar(limited(base, clock, 1, 60.0))
    gh = GitHubGraphQL(limited(base, clock, 1, 60.0, headers={"Authorization": "Bearer t"}))
    report = refresh(collection(papers), tmp_path / "m.json", D, [s2, gh], budget=30.0)
    s2_report, gh_report = report.providers
    assert (s2_report.fetched, s2_report.deferred) == (500, 100)
    assert (gh_report.fetched, gh_report.deferred) == (100, 500)
    assert fake.graphql_sizes == [100]


# --- the command --------------------------------------------------------------------------------

def test_refresh_command_budget_summary_and_bad_budget(apis, tmp_path: Path, monkeypatch,
                                                       capsys) -> None:
    from generator.commands.cli import main

    fake, base = apis
    for name in ("SEMANTIC_SCHOLAR_API_URL", "HF_API_URL", "GITHUB_API_URL"):
        monkeypatch.setenv(name, base)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("SEMANTIC_SCHOLAR_API_KEY", raising=False)
    folder = tmp_path / "papers"
    folder.mkdir()
    (folder / "taxonomy.yml").write_text(
        "categories:\n  - slug: c\n    title: C\n    description: A category.\n"
        "tags:\n  - slug: t\n    title: T\n    description: A tag.\n")
    for i, arxiv in enumerate(("2505.20118", "2401.00001", "2401.00002")):
        (folder / f"p{i}.yaml").write_text(yaml.safe_dump({
            "title": f"Paper {i}", "authors": ["A. Author"], "arxiv": arxiv,
            "published": "2024-01", "added": "2026-11-01", "category": "c", "tags": ["t"],
            "abstract": "An abstract."}))
    history = tmp_path / "metrics.json"
    save_history(history, record(History(), D - dt.timedelta(days=4),
                                 {"p2": {"hf_upvotes": 1}}))
    argv = ["metrics", "refresh", "--papers", str(folder), "--history", str(history),
            "--date", D.isoformat()]
    assert main([*argv, "--budget", "0"]) == 2
    assert "--budget must be a number of minutes above 0" in capsys.readouterr().err
    # 0.001 min = 0.06 s: Hugging Face's spacing of 0.1 s lets one request start in it.
    code = main([*argv, "--budget", "0.001"])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    assert re.search(r"^Hugging Face\s+3\s+1\s+0\s+0$", out, re.M), out
    assert ("Hugging Face: 2 left for the next run (beyond the budget of 0.001 min at its "
            "rate limit); 1 of them never measured yet") in out
    assert load_history(history).days[D]["p0"]["hf_upvotes"] == 41  # the stalest: asked
    code = main([*argv, "--budget", "0.001"])
    out, _ = capsys.readouterr()
    assert ("Hugging Face: 2 left for the next run (beyond the budget of 0.001 min at its "
            "rate limit); the stalest was last measured 2026-12-06 (4 days ago)") in out


# --- fitted to the publish job ------------------------------------------------------------------

@pytest.mark.parametrize("workflow", [".github/workflows/publish.yml",
                                      "generator/commands/scaffold/.github/workflows/publish.yml"])
def test_default_budget_fits_the_publish_job(workflow: str) -> None:
    """The refresh runs in the build job: the default budget leaves at least 10 minutes of
    its timeout for installing, building, uploading and the requests in flight."""
    jobs = yaml.safe_load((ROOT / workflow).read_text())["jobs"]
    (job,) = [j for j in jobs.values()
              if any("reading-list metrics refresh" in str(s.get("run", ""))
                     for s in j["steps"])]
    (step,) = [s for s in job["steps"]
               if "reading-list metrics refresh" in str(s.get("run", ""))]
    match = re.search(r"--budget\s+([0-9.]+)", step["run"])
    budget = float(match.group(1)) if match else DEFAULT_BUDGET_MINUTES
    assert budget + 10 <= job["timeout-minutes"]
    assert math.isclose(DEFAULT_BUDGET_MINUTES, 20.0)  # the number docs/fork.md states


def test_progress_of_providers_side_by_side_is_announced_once_each() -> None:
    """Interleaved progress of two providers (not a terminal): one "fetching" line and one
    "done" line each, not a line every time the other one reports."""
    import io

    from generator.commands.metrics import _ProgressLine

    stream = io.StringIO()
    line = _ProgressLine(stream)
    for done in range(1, 4):
        line("hugging-face", done, 3)
        line("github", done, 3)
    assert stream.getvalue().splitlines() == [
        "hugging-face: fetching 3 papers", "github: fetching 3 papers",
        "hugging-face: 3/3 done", "github: 3/3 done"]
