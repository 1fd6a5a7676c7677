"""Signal providers against a local server that plays each API's real shape and faults."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from generator.core.entries import Paper
from generator.sources.http import HttpClient
from generator.sources.signals import (
    GITHUB_DEFAULT_URL,
    HF_DEFAULT_URL,
    MAX_CONSECUTIVE_FAILURES,
    S2_DEFAULT_URL,
    GitHub,
    GitHubGraphQL,
    HuggingFace,
    SemanticScholar,
    default_providers,
    github_repo,
)


def paper(pid: str, arxiv: str | None = None, doi: str | None = None,
          code: str | None = None) -> Paper:
    return Paper(id=pid, source=f"papers/{pid}.yaml", title=pid, abstract="", category="c",
                 tags=(), added=dt.date(2026, 11, 1), arxiv=arxiv, doi=doi,
                 url=None if arxiv or doi else "https://example.org",
                 links=(("code", code),) if code else ())


class FakeApis:
    """State of the fake services: known records, queued faults, and every request seen."""

    def __init__(self) -> None:
        # Shapes as the services answer (trimmed to the fields we read plus a neighbour).
        self.s2 = {
            "ARXIV:2505.20118": {"paperId": "a1", "citationCount": 12,
                                 "influentialCitationCount": 2},
            "ARXIV:2401.00001": {"paperId": "b2", "citationCount": 0,
                                 "influentialCitationCount": 0},
            "DOI:10.1000/known": {"paperId": "c3", "citationCount": 40,
                                  "influentialCitationCount": 5},
        }
        self.hf = {"2505.20118": 41, "2401.00001": 3}
        self.gh = {"org/tool": 1234, "lab/code": 7}
        self.faults: dict[str, list[str]] = {}  # path prefix -> faults to play, in order
        self.requests: list[tuple[str, str, Any, Any]] = []
        self.graphql_sizes: list[int] = []  # repositories per GraphQL query
        self.lock = threading.Lock()
        # For the concurrency tests: how long each answer takes, how many requests are
        # being answered at once (and the most ever), and the arrival times on a clock the
        # test shares with the client's rate limiter.
        self.delay = 0.0
        self.in_flight = self.max_in_flight = 0
        self.clock: Any = None
        self.arrivals: list[tuple[float, str]] = []

    def fault_for(self, path: str) -> str | None:
        with self.lock:
            for prefix, queue in self.faults.items():
                if path.startswith(prefix) and queue:
                    return queue.pop(0)
        return None


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None,
              raw: bytes | None = None) -> None:
        data = raw if raw is not None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        apis: FakeApis = self.server.apis
        with apis.lock:
            apis.in_flight += 1
            apis.max_in_flight = max(apis.max_in_flight, apis.in_flight)
            if apis.clock is not None:
                apis.arrivals.append((apis.clock(), self.path))
        try:
            if apis.delay:
                time.sleep(apis.delay)
        finally:
            # Counted out before the answer is sent: once the client has its answer it may
            # start its next request while this thread is still finishing, which would count
            # one request twice.
            with apis.lock:
                apis.in_flight -= 1
        self._answer(method)

    def _answer(self, method: str) -> None:
        apis: FakeApis = self.server.apis
        url = urllib.parse.urlsplit(self.path)
        body = None
        if method == "POST":
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        apis.requests.append((method, self.path, self.headers, body))  # case-insensitive
        fault = apis.fault_for(url.path)
        if fault == "500":
            return self._send(500, {"message": "Internal Server Error"})
        if fault and fault.startswith("429"):
            return self._send(429, {"message": "Too Many Requests"},
                              {"Retry-After": fault.split(":")[1]})
        if fault == "slow":
            time.sleep(0.6)
        if fault and fault.startswith("body:"):  # a scripted answer, byte for byte
            return self._send(200, None, raw=fault[len("body:"):].encode())
        if url.path == "/graph/v1/paper/batch":
            answer: Any = [apis.s2.get(i) for i in body["ids"]]
        elif url.path.startswith("/api/papers/"):
            arxiv = url.path.rsplit("/", 1)[1]
            if arxiv not in apis.hf:
                return self._send(404, {"error": "Paper not found"})
            answer = {"id": arxiv, "title": "A paper", "upvotes": apis.hf[arxiv],
                      "authors": [], "publishedAt": "2025-05-26T00:00:00.000Z"}
        elif url.path == "/graphql" and method == "POST":  # GitHub's GraphQL API
            answer = graphql_answer(apis, body)
        elif url.path.startswith("/repos/"):
            repo = url.path[len("/repos/"):]
            if repo not in apis.gh:
                return self._send(404, {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest"})
            answer = {"full_name": repo, "stargazers_count": apis.gh[repo],
                      "forks_count": 1}
        else:
            return self._send(404, {"error": "no route"})
        data = json.dumps(answer).encode()
        if fault == "truncated":
            return self._send(200, None, raw=data[: len(data) // 2])
        if fault == "notjson":
            return self._send(200, None, raw=b"<html>maintenance</html>")
        return self._send(200, answer)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._handle("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._handle("POST")


GRAPHQL_FIELD = re.compile(r"(r\d+): repository\(owner: \$(o\d+), name: \$(n\d+)\) "
                           r"\{ stargazerCount \}")


def graphql_answer(apis: FakeApis, body: Any) -> dict[str, Any]:
    """What GitHub answers a query of aliased ``repository`` fields: the stars of those it
    knows, null plus a NOT_FOUND error (with the alias as path) for the others."""
    with apis.lock:
        apis.graphql_sizes.append(len(GRAPHQL_FIELD.findall(body["query"])))
    data: dict[str, Any] = {}
    errors = []
    for alias, owner, name in GRAPHQL_FIELD.findall(body["query"]):
        repo = f"{body['variables'][owner]}/{body['variables'][name]}"
        if repo in apis.gh:
            data[alias] = {"stargazerCount": apis.gh[repo]}
        else:
            data[alias] = None
            errors.append({"type": "NOT_FOUND", "path": [alias],
                           "locations": [{"line": 1, "column": 10}],
                           "message": f"Could not resolve to a Repository with the name "
                                      f"'{repo}'."})
    return {"data": data, **({"errors": errors} if errors else {})}


@pytest.fixture
def apis() -> Iterator[tuple[FakeApis, str]]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.apis = FakeApis()  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.apis, f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore
    finally:
        server.shutdown()
        server.server_close()


class Sleeps(list):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(base: str, sleeps: Sleeps | None = None, **kw: Any) -> HttpClient:
    kw.setdefault("retries", 2)
    kw.setdefault("timeout", 5.0)
    return HttpClient(base, backoff=0.01, sleep=sleeps if sleeps is not None else Sleeps(),
                      **kw)


PAPERS = [paper("known", arxiv="2505.20118v2"), paper("zero", arxiv="2401.00001"),
          paper("by-doi", doi="10.1000/known"), paper("stranger", arxiv="2999.99999"),
          paper("rescued", arxiv="2999.99998", doi="10.1000/known"),
          paper("no-id")]


# --- Semantic Scholar -------------------------------------------------------------------

def test_semantic_scholar_batch_shape_ids_fields_and_unknown(apis) -> None:
    fake, base = apis
    result = SemanticScholar(client(base, headers={"x-api-key": "k"})).fetch(PAPERS)
    assert result.values == {
        "known": {"citations": 12, "influential_citations": 2},
        "zero": {"citations": 0, "influential_citations": 0},
        "by-doi": {"citations": 40, "influential_citations": 5},
        "rescued": {"citations": 40, "influential_citations": 5},  # found by its DOI
    }
    assert result.unknown == ["stranger"]
    assert result.failures == [] and result.asked == 5
    method, path, headers, body = fake.requests[0]
    assert method == "POST" and path.startswith("/graph/v1/paper/batch?")
    assert "fields=citationCount%2CinfluentialCitationCount" in path
    # In the order given (refresh gives the stalest first, ties by id); arXiv preferred,
    # version suffix dropped.
    assert body == {"ids": ["ARXIV:2505.20118", "ARXIV:2401.00001", "DOI:10.1000/known",
                            "ARXIV:2999.99999", "ARXIV:2999.99998"]}
    assert headers["x-api-key"] == "k"
    assert fake.requests[1][3] == {"ids": ["DOI:10.1000/known"]}  # the DOI second chance
    assert len(fake.requests) == 2  # one batch for all, not one request per paper


def test_semantic_scholar_retries_500_and_honours_retry_after(apis) -> None:
    fake, base = apis
    fake.faults["/graph"] = ["500", "429:7"]
    sleeps = Sleeps()
    result = SemanticScholar(client(base, sleeps)).fetch(PAPERS[:1])
    assert result.values == {"known": {"citations": 12, "influential_citations": 2}}
    assert len(fake.requests) == 3
    assert max(sleeps) >= 7  # waited as long as the server asked


def test_semantic_scholar_failure_is_reported_not_raised(apis) -> None:
    fake, base = apis
    fake.faults["/graph"] = ["500"] * 10
    result = SemanticScholar(client(base)).fetch(PAPERS)
    assert result.values == {}
    assert sorted(pid for pid, _ in result.failures) == ["by-doi", "known", "rescued",
                                                         "stranger", "zero"]
    assert "HTTP 500" in result.failures[0][1] and "after 3 attempts" in result.failures[0][1]


@pytest.mark.parametrize("fault", ["truncated", "notjson"])
def test_semantic_scholar_malformed_body(apis, fault: str) -> None:
    fake, base = apis
    fake.faults["/graph"] = [fault]
    result = SemanticScholar(client(base)).fetch(PAPERS[:2])
    assert result.values == {}
    assert "malformed JSON" in result.failures[0][1]


def test_semantic_scholar_wrong_shape_is_a_failure(apis) -> None:
    fake, base = apis
    fake.s2["ARXIV:2505.20118"] = {"paperId": "a1", "citationCount": "many"}
    result = SemanticScholar(client(base)).fetch(PAPERS[:2])
    assert result.values == {"zero": {"citations": 0, "influential_citations": 0}}
    assert result.failures[0][0] == "known" and "citationCount" in result.failures[0][1]


def test_timeout_is_a_failure(apis) -> None:
    fake, base = apis
    fake.faults["/graph"] = ["slow"]
    result = SemanticScholar(client(base, timeout=0.2, retries=0)).fetch(PAPERS[:1])
    assert result.values == {}
    assert "network error" in result.failures[0][1]


# --- Hugging Face -----------------------------------------------------------------------

def test_hugging_face_upvotes_unknown_and_faults(apis) -> None:
    fake, base = apis
    fake.faults["/api/papers/2401.00001"] = ["truncated"]
    fake.faults["/api/papers/2505.20118"] = ["429:2", "500"]
    sleeps = Sleeps()
    result = HuggingFace(client(base, sleeps)).fetch(PAPERS)
    assert result.values == {"known": {"hf_upvotes": 41}}  # recovered after 429 and 500
    assert sorted(result.unknown) == ["rescued", "stranger"]  # 404: not on the Hub
    assert [pid for pid, _ in result.failures] == ["zero"]  # only the truncated one
    assert "malformed JSON" in result.failures[0][1]
    assert 2 in [round(s) for s in sleeps]
    paths = {p for _, p, _, _ in fake.requests}
    assert "/api/papers/2505.20118" in paths  # version suffix dropped


def test_circuit_breaker_stops_asking_a_dead_service(apis) -> None:
    fake, base = apis
    fake.faults["/api/papers/"] = ["500"] * 100
    many = [paper(f"p{i:02d}", arxiv=f"2401.{i:05d}") for i in range(10)]
    progress: list[tuple[str, int, int]] = []
    result = HuggingFace(client(base, retries=1)).fetch(
        many, lambda *a: progress.append(a))
    assert result.values == {} and len(result.failures) == 10
    assert len(fake.requests) == MAX_CONSECUTIVE_FAILURES * 2  # 2 attempts each, then stop
    assert "not asked after 3 failures in a row" in result.failures[-1][1]
    assert progress[-1] == ("hugging-face", 10, 10)


# --- GitHub -----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "repo"), [
    ("https://github.com/org/tool", "org/tool"),
    ("https://github.com/org/tool/", "org/tool"),
    ("https://github.com/org/tool.git", "org/tool"),
    ("https://www.github.com/org/tool/tree/main/src", "org/tool"),
    ("http://github.com/Org-1/my.tool#readme", "Org-1/my.tool"),
    ("https://github.com/org", None),
    ("https://gitlab.com/org/tool", None),
    ("https://github.com.evil.example/org/tool", None),
])
def test_github_repo_from_code_link(url: str, repo: str | None) -> None:
    assert github_repo(url) == repo


def test_github_stars_token_shared_repo_and_unknown(apis) -> None:
    fake, base = apis
    fake.faults["/repos/lab/code"] = ["429:3"]
    papers = [paper("a", arxiv="1", code="https://github.com/org/tool"),
              paper("b", arxiv="2", code="https://github.com/org/tool/tree/main"),
              paper("c", arxiv="3", code="https://github.com/lab/code"),
              paper("d", arxiv="4", code="https://github.com/gone/away"),
              paper("e", arxiv="5", code="https://gitlab.com/x/y"),
              paper("f", arxiv="6")]
    sleeps = Sleeps()
    gh = GitHub(client(base, sleeps, headers={"Authorization": "Bearer t0ken"}))
    result = gh.fetch(papers)
    assert result.values == {"a": {"github_stars": 1234}, "b": {"github_stars": 1234},
                             "c": {"github_stars": 7}}
    assert result.unknown == ["d"] and result.failures == [] and result.asked == 4
    repo_requests = [p for _, p, _, _ in fake.requests]
    assert repo_requests.count("/repos/org/tool") == 1  # fetched once for both papers
    assert all(h["Authorization"] == "Bearer t0ken" for _, _, h, _ in fake.requests)
    assert max(sleeps) >= 3


@pytest.mark.parametrize(("count", "shown"), [
    ("1e400", "inf"), ("1" + "0" * 400, "a 401-digit number"), ("-1", "-1"),
    ("9007199254740992", "9007199254740992"), ("12.0", "12.0"), ('"12"', "'12'"),
    ("true", "true"), ("null", "null"), ("NaN", "nan"), ("[1]", "a JSON array"),
], ids=["1e400", "10^400", "negative", "2^53", "float", "string", "bool", "null", "nan",
        "array"])
def test_counts_outside_the_range_are_failures_of_that_paper(apis, count: str,
                                                            shown: str) -> None:
    """A count is an int in 0 <= n < 2**53: anything else fails that paper, not the run."""
    fake, base = apis
    fake.faults["/repos/org/tool"] = [f'body:{{"stargazers_count": {count}}}']
    papers = [paper("a", code="https://github.com/org/tool", arxiv="1"),
              paper("b", code="https://github.com/lab/code", arxiv="2")]
    result = GitHub(client(base)).fetch(papers)
    assert result.values == {"b": {"github_stars": 7}}
    assert result.failures == [("a", "unexpected answer from GitHub: stargazers_count is "
                                     f"{shown}, not a count (a whole number from 0 to "
                                     "2^53 - 1)")]


@pytest.mark.parametrize(("body", "reason"), [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ('{"upvotes": ' + "9" * 5000 + "}", "a number too long to read"),
    ('{"upvotes": 1', "Expecting"),
], ids=["nested", "5000-digits", "cut"])
def test_json_no_parser_can_take_is_a_failure_of_that_paper(apis, body: str,
                                                           reason: str) -> None:
    fake, base = apis
    fake.faults["/api/papers/2505.20118"] = [f"body:{body}"] * 3
    result = HuggingFace(client(base)).fetch(PAPERS[:2])
    assert result.values == {"zero": {"hf_upvotes": 3}}
    ((pid, message),) = result.failures
    assert pid == "known" and message.startswith("malformed JSON from ")
    assert reason in message and len(message) < 300


def test_default_providers_read_the_environment() -> None:
    env = {"SEMANTIC_SCHOLAR_API_URL": "http://127.0.0.1:1/s2", "HF_API_URL": "http://h",
           "GITHUB_API_URL": "http://g", "SEMANTIC_SCHOLAR_API_KEY": "key",
           "GITHUB_TOKEN": "tok"}
    s2, hf, gh = default_providers(env)
    assert s2.client.base_url == "http://127.0.0.1:1/s2"
    assert s2.client.url("graph/v1/paper/batch") == "http://127.0.0.1:1/s2/graph/v1/paper/batch"
    assert hf.client.base_url == "http://h" and gh.client.base_url == "http://g"
    assert s2.client.headers["x-api-key"] == "key"
    assert gh.client.headers["Authorization"] == "Bearer tok"
    assert isinstance(gh, GitHubGraphQL)  # a token: 100 repositories a query
    assert (s2.client.limiter.requests, s2.client.limiter.per) == (1, 1.0)  # key: 1/s
    assert (gh.client.limiter.requests, gh.client.limiter.per) == (1000, 3600.0)
    s2, hf, gh = default_providers({})
    assert (s2.client.base_url, hf.client.base_url, gh.client.base_url) == (
        S2_DEFAULT_URL, HF_DEFAULT_URL, GITHUB_DEFAULT_URL)
    assert "x-api-key" not in s2.client.headers and "Authorization" not in gh.client.headers
    assert type(gh) is GitHub  # no token: REST, GraphQL needs one
    # The published anonymous limits: S2's shared pool (1 per 3 s), Hugging Face's 500 Hub
    # API requests per 5 minutes (90% used, from 4 threads), GitHub's 60 an hour.
    assert (s2.client.limiter.requests, s2.client.limiter.per) == (1, 3.0)
    assert (hf.client.limiter.requests, hf.client.limiter.per, hf.workers) == (450, 300.0, 4)
    assert (gh.client.limiter.requests, gh.client.limiter.per, gh.workers) == (60, 3600.0, 1)
