"""Hostile servers against the network layer and the commands built on it (issue 12).

Loopback servers play what a broken or malicious service can send: a redirect to another
port (which must not receive the credentials), a truncated body, a reply that is not HTTP,
a body trickling one byte a second, a 200 MB body, a count of 10^400. For each, the real
``reading-list metrics refresh`` (and ``add``) runs as a subprocess in a copy of the small
fixture list, and the test asserts the exit status, no traceback, bounded time (and, for
the large body, bounded memory), a history that still loads, and that the next day's
``build``, ``trending`` and ``digest`` still succeed.

Exit status of ``metrics refresh``: 0 when at least one provider that had work fetched
something (the failures are listed per provider), 1 when every one of them failed (the
history is then left untouched), as before this module existed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sitekit import SITE_URL, build, make_project
from test_signals import FakeApis, Handler

from generator.commands.cli import main
from generator.core.metrics import History, load_history, record, save_history
from generator.sources.http import HttpClient, HttpError

DAY = "2026-11-30"
TOKEN = "ghp_T0KEN-must-stay-home"
S2_KEY = "s2-KEY-must-stay-home"
ARXIV_IDS = ("2302.00539", "2505.20118", "2507.05578")  # the fixture list's papers
BIG = 200 * 1024 * 1024


# --- servers ------------------------------------------------------------------------------

class Hostile(BaseHTTPRequestHandler):
    """Records each request, then lets ``server.play`` answer however it likes."""

    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _play(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with self.server.lock:
            self.server.seen.append((method, self.path, {k.lower(): v for k, v
                                                         in self.headers.items()}))
        with contextlib.suppress(OSError):  # the client hung up, as it should
            self.server.play(self, body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._play("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._play("POST")


@contextmanager
def serve(handler: type[BaseHTTPRequestHandler], **state: Any) -> Iterator[Any]:
    """A threaded server on a free loopback port; ``state`` becomes attributes of it."""
    server: Any = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.seen, server.sent, server.lock = [], 0, threading.Lock()
    server.stop = threading.Event()
    for name, value in state.items():
        setattr(server, name, value)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server
    finally:
        server.stop.set()  # ends trickling and streaming handlers
        server.shutdown()
        server.server_close()


def redirect_to(location: str, status: int = 302, keep_path: bool = False
                ) -> Callable[[Hostile, bytes], None]:
    """Answer with a redirect to ``location`` (plus the request's path: ``keep_path``)."""
    def play(h: Hostile, body: bytes) -> None:
        h.send_response(status)
        h.send_header("Location", location + h.path if keep_path else location)
        h.send_header("Content-Length", "0")
        h.end_headers()
    return play


def ok(h: Hostile, body: bytes = b"") -> None:
    data = b'{"ok": true}'
    h.send_response(200)
    h.send_header("Content-Length", str(len(data)))
    h.end_headers()
    h.wfile.write(data)


def truncated(h: Hostile, body: bytes) -> None:
    """A Content-Length of 100, then 12 bytes and a closed connection."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100")
    h.end_headers()
    h.wfile.write(b'{"upvotes": ')


def not_http(h: Hostile, body: bytes) -> None:
    """Whatever listens on that port speaks something else."""
    h.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\nInvalid SSH identification string.\r\n")


def trickle(h: Hostile, body: bytes) -> None:
    """A valid start, then one byte a second, for ever (each socket read succeeds)."""
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b"{")
    h.wfile.flush()
    while not h.server.stop.wait(1.0):
        h.wfile.write(b" ")
        h.wfile.flush()


def huge(declare: bool) -> Callable[[Hostile, bytes], None]:
    """A 200 MB body, made lazily as it is sent (with or without a Content-Length)."""
    def play(h: Hostile, body: bytes) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "application/json")
        if declare:
            h.send_header("Content-Length", str(BIG))
        h.end_headers()
        chunk = b" " * 65536
        while h.server.sent < BIG and not h.server.stop.is_set():
            h.wfile.write(chunk)
            with h.server.lock:
                h.server.sent += len(chunk)
    return play


def fixture_apis() -> FakeApis:
    """test_signals' fake services, knowing the fixture list's papers."""
    fake = FakeApis()
    fake.s2 = {f"ARXIV:{a}": {"paperId": a, "citationCount": 10 + i,
                              "influentialCitationCount": i} for i, a in enumerate(ARXIV_IDS)}
    fake.hf = {a: 5 + i for i, a in enumerate(ARXIV_IDS)}
    fake.gh = {"example/trojanstego": 42}
    return fake


# --- running the commands -----------------------------------------------------------------

#: The command as a user runs it, reporting its peak memory. VmHWM, not ru_maxrss: Linux
#: carries the forking parent's peak (a large pytest process) into the child's ru_maxrss.
RUNNER = """\
import re, resource, sys
from generator.commands.cli import main
code = main()
try:
    with open("/proc/self/status") as status:
        peak = int(re.search(r"VmHWM:\\s+(\\d+) kB", status.read()).group(1))
except (OSError, AttributeError):
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"peak-rss-kib={peak}", file=sys.stderr)
sys.exit(code)
"""


@dataclass
class Run:
    code: int
    out: str
    err: str
    seconds: float

    @property
    def output(self) -> str:
        return self.out + self.err

    @property
    def peak_mib(self) -> float:
        match = re.search(r"peak-rss-kib=(\d+)", self.err)
        assert match, self.err
        return int(match.group(1)) / 1024


def run(project: Path, *argv: str, **env: str) -> Run:
    """``reading-list ARGV`` in ``project`` as a subprocess, with ``env`` added."""
    clean = {k: v for k, v in os.environ.items()
             if k not in ("GITHUB_TOKEN", "SEMANTIC_SCHOLAR_API_KEY")
             and not k.startswith("READING_LIST_HTTP_")}
    start = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", RUNNER, *argv], cwd=project,
                          env={**clean, **env}, capture_output=True, text=True, timeout=120)
    result = Run(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start)
    assert "Traceback" not in result.output, result.output
    return result


def refresh(project: Path, s2: str, hf: str, gh: str, **env: str) -> Run:
    return run(project, "metrics", "refresh", "--date", DAY, SEMANTIC_SCHOLAR_API_URL=s2,
               HF_API_URL=hf, GITHUB_API_URL=gh, **env)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the small fixture list (3 papers with arXiv ids, 1 GitHub code link)."""
    return make_project(tmp_path / "list")


@pytest.fixture
def apis() -> Iterator[tuple[FakeApis, str]]:
    """The well-behaved services (for the providers a test does not attack)."""
    fake = fixture_apis()
    with serve(Handler, apis=fake) as server:
        yield fake, server.url


def history_of(project: Path) -> History:
    history = load_history(project / "data" / "metrics.json")  # raises if it cannot load
    assert history.warnings == ()
    return history


def later_days_work(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The next build (into a temp site dir), the trending table and the digest succeed."""
    assert build(project, project.parent / "site", DAY) == 0
    old = Path.cwd()
    os.chdir(project)
    try:
        assert main(["trending", "--date", DAY]) == 0
        assert main(["digest", "--date", DAY, "--site-url", SITE_URL]) == 0
    finally:
        os.chdir(old)
    assert "Traceback" not in "".join(capsys.readouterr())


def table(result: Run) -> dict[str, tuple[int, ...]]:
    """The refresh summary: provider -> (papers, fetched, unknown, failed)."""
    rows = {}
    for line in result.out.splitlines():
        match = re.match(r"^(Semantic Scholar|Hugging Face|GitHub)\s+(\d+)\s+(\d+)\s+(\d+)"
                         r"\s+(\d+)$", line)
        if match:
            rows[match.group(1)] = tuple(int(n) for n in match.groups()[1:])
    return rows


# --- metrics refresh against each hostile server ----------------------------------------------

def test_redirect_to_another_port_does_not_carry_the_credentials(
        project: Path, apis: tuple[FakeApis, str], capsys: pytest.CaptureFixture[str]) -> None:
    """Semantic Scholar (POST, 307) and GitHub (GraphQL with the token: POST, 308) redirect
    to another port: the answers are fetched there, without x-api-key and Authorization."""
    elsewhere, other = apis
    with serve(Hostile, play=redirect_to(other, 307, keep_path=True)) as s2, \
            serve(Hostile, play=redirect_to(other, 308, keep_path=True)) as gh:
        result = refresh(project, s2.url, other, gh.url, GITHUB_TOKEN=TOKEN,
                         SEMANTIC_SCHOLAR_API_KEY=S2_KEY)
    assert result.code == 0, result.output
    assert table(result) == {"Semantic Scholar": (3, 3, 0, 0), "Hugging Face": (3, 3, 0, 0),
                             "GitHub": (1, 1, 0, 0)}
    # The credentials went to their own origin, and nowhere else.
    assert [h["x-api-key"] for _, _, h in s2.seen] == [S2_KEY]
    assert [h["authorization"] for _, _, h in gh.seen] == [f"Bearer {TOKEN}"]
    assert sorted(m for m, _, _, _ in elsewhere.requests) == ["GET"] * 3 + ["POST"] * 2
    for _, _, headers, _ in elsewhere.requests:
        assert "x-api-key" not in headers and "authorization" not in headers
    assert TOKEN not in result.output and S2_KEY not in result.output
    (values,) = history_of(project).days.values()
    assert values["trojanstego"] == {"citations": 11, "influential_citations": 1,
                                     "hf_upvotes": 6, "github_stars": 42}
    later_days_work(project, capsys)


def test_truncated_body_fails_that_provider_only(project: Path, apis: tuple[FakeApis, str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    _, good = apis
    with serve(Hostile, play=truncated) as hf:
        result = refresh(project, good, hf.url, good, READING_LIST_HTTP_DEADLINE="2")
    assert result.code == 0, result.output
    assert table(result)["Hugging Face"] == (3, 0, 0, 3)
    assert "Hugging Face: network error: the answer was cut short (12 bytes read, 88 more " \
           "expected)" in result.out
    assert result.seconds < 30
    days = history_of(project).days
    assert all("hf_upvotes" not in v and "citations" in v for d in days.values()
               for v in d.values())
    later_days_work(project, capsys)


def test_a_reply_that_is_not_http_fails_that_provider_only(
        project: Path, apis: tuple[FakeApis, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, good = apis
    with serve(Hostile, play=not_http) as s2:
        result = refresh(project, s2.url, good, good, READING_LIST_HTTP_DEADLINE="2")
    assert result.code == 0, result.output
    assert table(result)["Semantic Scholar"] == (3, 0, 0, 3)
    assert "network error: the reply is not HTTP (it starts 'SSH-2.0-OpenSSH_9.6" in result.out
    assert result.seconds < 30
    assert len(history_of(project).days) == 1
    later_days_work(project, capsys)


def test_a_body_trickling_one_byte_a_second_ends_at_the_deadline(
        project: Path, apis: tuple[FakeApis, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, good = apis
    with serve(Hostile, play=trickle) as gh:
        result = refresh(project, good, good, gh.url, READING_LIST_HTTP_DEADLINE="2")
    assert result.code == 0, result.output
    assert table(result)["GitHub"] == (1, 0, 0, 1)
    assert "GitHub: answer not complete within the deadline of 2 s" in result.out
    assert result.seconds < 15  # one request of 2 s, not the 100,000 s the body would take
    assert len(gh.seen) == 1  # a spent deadline is not retried
    history_of(project)
    later_days_work(project, capsys)


@pytest.mark.parametrize(("declare", "env", "message"), [
    (True, {}, "answer of 209,715,200 bytes is larger than the limit of 33,554,432 bytes"),
    (False, {"READING_LIST_HTTP_MAX_BYTES": "1000000"},
     "answer larger than the limit of 1,000,000 bytes"),
], ids=["content-length", "streamed"])
def test_a_200_mb_body_fails_early_in_bounded_memory(
        project: Path, apis: tuple[FakeApis, str], capsys: pytest.CaptureFixture[str],
        declare: bool, env: dict[str, str], message: str) -> None:
    _, good = apis
    with serve(Hostile, play=huge(declare)) as hf:
        result = refresh(project, good, hf.url, good, **env)
    assert result.code == 0, result.output
    assert table(result)["Hugging Face"] == (3, 0, 0, 3)
    assert f"Hugging Face: {message}" in result.out
    assert hf.sent < BIG // 4  # the client stopped reading long before the end
    assert result.peak_mib < 150, f"{result.peak_mib:.0f} MiB"  # never the whole body
    assert result.seconds < 30
    history_of(project)
    later_days_work(project, capsys)


def test_a_count_of_10_to_the_400_never_reaches_the_history(
        project: Path, apis: tuple[FakeApis, str], capsys: pytest.CaptureFixture[str]) -> None:
    fake, good = apis
    fake.gh["example/trojanstego"] = 10 ** 400  # json.dumps writes all 401 digits
    fake.s2["ARXIV:2507.05578"]["citationCount"] = 10 ** 400
    fake.hf["2505.20118"] = float("inf")  # written as Infinity
    result = refresh(project, good, good, good)
    assert result.code == 0, result.output
    assert table(result) == {"Semantic Scholar": (3, 2, 0, 1), "Hugging Face": (3, 2, 0, 1),
                             "GitHub": (1, 0, 0, 1)}
    assert "GitHub: unexpected answer from GitHub: stargazers_count is a 401-digit number, " \
           "not a count (a whole number from 0 to 2^53 - 1)" in result.out
    assert "Hugging Face: unexpected answer from Hugging Face: upvotes is inf" in result.out
    (values,) = history_of(project).days.values()
    assert values["memorization-landscape"] == {"hf_upvotes": 7}  # its S2 values refused
    assert values["trojanstego"] == {"citations": 11, "influential_citations": 1}
    assert "0" * 100 not in (project / "data" / "metrics.json").read_text()
    later_days_work(project, capsys)


def test_every_provider_hostile_exits_1_and_keeps_the_history(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = project / "data" / "metrics.json"
    save_history(path, record(History(), dt.date(2026, 11, 29),
                              {"trojanstego": {"citations": 3}}))
    before = path.read_bytes()
    with serve(Hostile, play=not_http) as s2, serve(Hostile, play=truncated) as hf, \
            serve(Hostile, play=trickle) as gh:
        result = refresh(project, s2.url, hf.url, gh.url, READING_LIST_HTTP_DEADLINE="1.5")
    assert result.code == 1
    assert "every provider failed" in result.err
    assert {name: row[3] for name, row in table(result).items()} == {
        "Semantic Scholar": 3, "Hugging Face": 3, "GitHub": 1}
    assert result.seconds < 30
    assert path.read_bytes() == before
    later_days_work(project, capsys)


def test_bad_values_already_in_the_history_do_not_stop_later_days(
        project: Path, capsys: pytest.CaptureFixture[str], apis: tuple[FakeApis, str]) -> None:
    """A history written by hand or an older tool, holding every kind of bad value."""
    path = project / "data" / "metrics.json"
    path.parent.mkdir()
    bad = {"negative": -5, "huge": "1" + "0" * 400, "float": "2.5", "string": '"7"',
           "null": "null", "bool": "true", "inf": "1e400"}
    signals = ", ".join(f'"{k}": {v}' for k, v in bad.items())
    path.write_text('{"days": {"2026-11-28": {"trojanstego": {"citations": 1, ' + signals +
                    '}}, "2026-11-29": {"trojanstego": {"citations": -2}}}, "version": 1}')
    later_days_work(project, capsys)  # build, trending and digest: each warns, none fails
    _, good = apis
    result = refresh(project, good, good, good)
    assert result.code == 0
    assert "2026-11-28/trojanstego/huge: a 401-digit number is not a count" in result.err
    history = history_of(project)  # the refresh wrote the repaired file
    assert json.loads(path.read_text())["days"]["2026-11-28"] == {"trojanstego":
                                                                  {"citations": 1}}
    assert len(history.days) == 2


# --- reading-list add against the same servers --------------------------------------------

@pytest.mark.parametrize("play", [truncated, not_http, trickle, huge(False),
                                  redirect_to("file:///etc/passwd")],
                         ids=["truncated", "not-http", "trickle", "200-mb", "to-file"])
def test_add_against_a_hostile_arxiv_writes_nothing(project: Path, play: Any) -> None:
    before = sorted(p.name for p in (project / "papers").iterdir())
    with serve(Hostile, play=play) as server:
        result = run(project, "add", "2401.01234", "--date", DAY,
                     ARXIV_API_URL=server.url + "/api/query", READING_LIST_HTTP_DEADLINE="2",
                     READING_LIST_HTTP_MAX_BYTES="1000000")
    assert result.code == 1, result.output
    assert result.err.splitlines()[-2].endswith("; nothing written. Check your connection, "
                                                "or use --manual")
    assert result.seconds < 20
    assert sorted(p.name for p in (project / "papers").iterdir()) == before


def test_add_by_doi_with_a_hostile_crossref_answer(project: Path) -> None:
    """JSON nested 100,000 deep, then an abstract crafted to make regexes backtrack."""
    nested = ("[" * 100_000 + "]" * 100_000).encode()
    bomb = json.dumps({"message": {"title": ["T"], "author": [{"family": "F"}],
                                   "issued": {"date-parts": [[2024, 1, 2]]},
                                   "abstract": "<jats:title>" * 200_000}}).encode()

    def play(h: Hostile, body: bytes) -> None:
        data = nested if "nested" in h.path else bomb
        h.send_response(200)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)

    with serve(Hostile, play=play) as server:
        first = run(project, "add", "--doi", "10.1234/nested", "--date", DAY,
                    CROSSREF_API_URL=server.url)
        second = run(project, "add", "--doi", "10.1234/bomb", "--date", DAY,
                     "--category", "privacy", "--tags", "memorization",
                     "--abstract", "An abstract.", CROSSREF_API_URL=server.url)
    assert first.code == 1, first.output
    assert "Crossref answered something that is not JSON for 10.1234/nested" in first.err
    assert "; nothing written" in first.err
    assert second.seconds < 20  # the old cleaning took hours on this abstract
    assert (second.code, second.out) == (0, "wrote papers/t.yaml\n"), second.output
    assert "abstract: >-\n  An abstract.\n" in (project / "papers" / "t.yaml").read_text()


# --- the client on its own ------------------------------------------------------------------

def client(base: str, **options: Any) -> HttpClient:
    options.setdefault("retries", 0)
    return HttpClient(base, timeout=5.0, backoff=0.01, sleep=lambda s: None, **options)


SECRETS = {"Authorization": "Bearer t", "Cookie": "session=s", "x-api-key": "k",
           "X-Auth-Token": "a", "Private-Key": "p", "X-Special": "x"}


def test_credentials_follow_only_same_origin_redirects() -> None:
    """home /start -> home /again (same origin: secrets kept) -> other /away (dropped) ->
    home /back (still dropped: the chain left home once)."""
    with serve(Hostile) as home, serve(Hostile) as other:
        def home_play(h: Hostile, body: bytes) -> None:
            if h.path == "/start":
                return redirect_to(home.url + "/again", 301)(h, body)
            if h.path == "/again":
                return redirect_to(other.url + "/away", 302)(h, body)
            return ok(h)

        home.play = home_play
        other.play = redirect_to(home.url + "/back", 307)
        answer = client(home.url, headers={**SECRETS, "Accept": "application/json"},
                        secret_headers=frozenset({"x-special"})).get_json("start")
    assert answer == {"ok": True}
    assert [p for _, p, _ in home.seen] == ["/start", "/again", "/back"]
    (start, again, back) = [h for _, _, h in home.seen]
    (away,) = [h for _, _, h in other.seen]
    for name, value in SECRETS.items():
        assert start[name.lower()] == again[name.lower()] == value
        assert name.lower() not in away  # another port: another origin
        assert name.lower() not in back  # not even once the chain comes home
    assert away["accept"] == back["accept"] == "application/json"  # ordinary headers go


def test_a_path_that_is_a_url_of_its_own_gets_no_credentials() -> None:
    with serve(Hostile, play=ok) as home, serve(Hostile, play=ok) as other:
        client(home.url, headers=SECRETS, secret_headers=frozenset({"X-Special"})).get(
            other.url + "/x")
    assert not set(map(str.lower, SECRETS)) & set(other.seen[0][2])


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://127.0.0.1/x",
                                      "data:,hello", "javascript:alert(1)", "gopher://x/"])
def test_redirects_to_other_schemes_are_refused(location: str) -> None:
    with serve(Hostile, play=redirect_to(location)) as server, \
            pytest.raises(HttpError) as err:
        client(server.url, retries=3).get("x")
    scheme = location.split(":")[0]
    assert f"redirected to a {scheme}: URL, which is not followed" in str(err.value)
    assert len(server.seen) == 1  # not retried


def test_redirects_are_bounded() -> None:
    with serve(Hostile) as server:
        server.play = redirect_to(server.url + "/loop", 302)
        with pytest.raises(HttpError, match="more than 5 redirects"):
            client(server.url).get("loop")
    assert len(server.seen) == 6


def test_only_http_base_urls_are_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    with pytest.raises(HttpError, match="only http and https URLs are fetched"):
        client(secret.as_uri()).get("")


def test_secrets_in_urls_are_masked_in_messages() -> None:
    with serve(Hostile, play=lambda h, b: h.send_error(403)) as server:
        base = server.url.replace("http://", "http://user:pa55@")
        with pytest.raises(HttpError) as err:
            client(base).get("x", {"api_key": "K3Y", "q": "visible"})
    message = str(err.value)
    assert "pa55" not in message and "K3Y" not in message
    assert "***@127.0.0.1" in message and "api_key=***" in message and "q=visible" in message


def test_the_deadline_covers_retries_and_waits() -> None:
    def unavailable(h: Hostile, body: bytes) -> None:
        h.send_error(503)

    with serve(Hostile, play=unavailable) as server:
        slow = HttpClient(server.url, retries=10, backoff=0.3, deadline=1.0)
        start = time.monotonic()
        with pytest.raises(HttpError, match="deadline of 1 s would pass") as err:
            slow.get("x")
    assert time.monotonic() - start < 1.5 and err.value.status == 503


@pytest.mark.parametrize(("name", "value"), [("READING_LIST_HTTP_DEADLINE", "soon"),
                                             ("READING_LIST_HTTP_MAX_BYTES", "-1"),
                                             ("READING_LIST_HTTP_DEADLINE", "nan")])
def test_bad_limits_in_the_environment_are_clear_errors(monkeypatch: pytest.MonkeyPatch,
                                                        name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(HttpError, match=f"{name}='{value}' is not a positive number"):
        client("http://127.0.0.1:9").get("")


def test_a_declared_length_over_the_cap_fails_before_reading() -> None:
    with serve(Hostile, play=huge(True)) as server:
        with pytest.raises(HttpError, match="is larger than the limit of 1,000 bytes"):
            client(server.url, max_bytes=1000).get("x")
        time.sleep(0.2)  # let the server notice the closed connection
        assert server.sent < 64 * 1024 * 1024
