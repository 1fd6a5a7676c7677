"""``reading-list import``: arXiv Atom (API) and RSS (listing) feeds into papers/inbox/, from a
file and from a local HTTP server that also plays faults. Never touches the internet."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.commands import cli
from generator.core.authoring import known_papers
from generator.core.entries import load_collection
from generator.core.files import iter_entry_files, load_yaml
from generator.sources.arxiv_feeds import (
    PLACEHOLDER_CATEGORY,
    Candidate,
    ImportError_,
    fetch,
    match_words,
    month_of,
    parse_feed,
    plan_import,
    source_url,
)
from generator.sources.http import HttpError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
API = FIXTURES / "arxiv-api.atom"
LISTING = FIXTURES / "arxiv-listing.rss"
TODAY = dt.date(2026, 11, 27)


@pytest.fixture
def papers(tmp_path: Path) -> Path:
    """A copy of the default list, so imports write into a scratch inbox."""
    folder = tmp_path / "papers"
    shutil.copytree(ROOT / "papers", folder)
    # Laid out like this repository, so entries get a $schema header that resolves.
    (tmp_path / "generator").mkdir()
    shutil.copy(ROOT / "generator" / "schema.json", tmp_path / "generator" / "schema.json")
    return folder


def run(papers: Path, *args: str) -> int:
    return cli.main(["import", *args, "--papers", str(papers), "--date", TODAY.isoformat()])


# ---------------------------------------------------------------------------- parsing


def test_parse_api_atom() -> None:
    cands = {c.arxiv: c for c in parse_feed(API.read_bytes())}
    assert sorted(cands) == ["2407.01235", "2511.04321", "2511.09876", "cs/0112017"]
    paper = cands["2511.04321"]
    assert paper.title == ("Watermark Radioactivity in Distilled Language Models: Detecting "
                           "Unauthorized Training on Generated Text")
    assert paper.authors == ("Ada Example", "Björn Müller", "Chen Wei")
    assert paper.published == "2025-11-06"  # the first version's date from <published>
    assert paper.doi == "10.1145/3733102.3733140"
    assert "student model & remain" in paper.abstract and "$p < 0.01$" in paper.abstract
    assert cands["cs/0112017"].published == "2001-12-20"
    # Text, not HTML: the characters stay (the site escapes them), nothing is executed.
    assert "<script>alert(1)</script> is plain text" in cands["2511.09876"].abstract


def test_parse_rss_listing() -> None:
    cands = parse_feed(LISTING.read_bytes())
    assert [c.arxiv for c in cands] == ["2611.01234", "2611.05678", "2409.11111"]
    first, second, third = cands
    assert first.authors == ("Fatima Zahra", "Grace Hopper-Smith", "Hiro Tanaka")
    assert second.authors == ("Ivan Petrov", "Julia Jones")
    assert first.abstract.startswith("Retrieval-augmented generation leaks")  # prefix gone
    assert "Announce Type" not in second.abstract and "& show" in second.abstract
    assert first.published == "2026-11"  # RSS dates are announcements: month from the id
    assert (first.announce, second.announce, third.announce) == ("new", "cross", "replace")


@pytest.mark.parametrize("data", [b"", b"<html><body>Not a feed</body></html>",
                                  b"\x00\x01garbage", b"<rss><channel><title>x</ti"])
def test_not_a_feed_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(ImportError_, match="not an Atom or RSS feed"):
        parse_feed(data)


def test_arxiv_api_error_is_reported() -> None:
    error = b"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>ArXiv Query</title>
<entry><id>http://arxiv.org/api/errors#incorrect_id_format_for_1234</id><title>Error</title>
<summary>incorrect id format for 1234</summary></entry></feed>"""
    with pytest.raises(ImportError_, match="incorrect id format for 1234"):
        parse_feed(error)


def test_month_of_ids() -> None:
    assert month_of("2505.20118") == "2025-05"
    assert month_of("cs/0112017") == "2001-12"
    assert month_of("hep-th/9901001") == "1999-01"


def test_match_words_and_limit(papers: Path) -> None:
    cands = parse_feed(API.read_bytes()) + parse_feed(LISTING.read_bytes())
    known = known_papers([papers])
    plan = plan_import(cands, known, match_words("watermark, side-channel"))
    assert [c.arxiv for _, c in plan.write] == ["2511.04321", "2511.09876"]
    assert [c.arxiv for c in plan.known] == ["2407.01235"]
    assert plan.replacements == 1
    plan = plan_import(cands, known, (), limit=2)
    assert len(plan.write) == 2 and plan.over_limit == 3  # 7 papers: 1 known, 1 replaced
    assert match_words("Model  Stealing") == ["model", "stealing"]


def test_same_paper_twice_in_one_feed_is_written_once(papers: Path) -> None:
    cand = Candidate("2611.99999", "A Paper", "Abstract.")
    plan = plan_import([cand, cand], known_papers([papers]))
    assert len(plan.write) == 1 and len(plan.known) == 1


# ---------------------------------------------------------------------------- command


def test_import_from_file_writes_inbox_candidates(papers: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert run(papers, str(API)) == 0
    inbox = papers / "inbox"
    written = sorted(p.name for p in inbox.glob("*.yaml"))
    assert len(written) == 3, written  # 2407.01235 is already on the list
    err = capsys.readouterr().err
    assert "wrote 3 candidate(s)" in err and "1 already on the list" in err
    data = load_yaml(inbox / "watermark-radioactivity-in-distilled-language-models.yaml").data
    assert data["arxiv"] == "2511.04321" and data["doi"] == "10.1145/3733102.3733140"
    assert data["added"] == TODAY.isoformat() and data["published"] == "2025-11-06"
    assert data["category"] == PLACEHOLDER_CATEGORY
    text = (inbox / "watermark-radioactivity-in-distilled-language-models.yaml").read_text()
    assert text.startswith("# yaml-language-server: $schema=")
    assert "# CANDIDATE imported on 2026-11-27" in text and "move this file" in text

    # check and build ignore the inbox: the list still loads, with the same papers.
    collection, problems = load_collection(list(iter_entry_files(papers)),
                                           papers / "taxonomy.yml", TODAY)
    assert collection is not None and len(collection.papers) == 200

    # A re-run writes nothing: the candidates are already waiting in the inbox.
    assert run(papers, str(API)) == 0
    assert sorted(p.name for p in inbox.glob("*.yaml")) == written
    assert "wrote 0 candidate(s)" in capsys.readouterr().err


def test_moved_unreviewed_candidate_fails_check(papers: Path) -> None:
    assert run(papers, str(API), "--match", "side-channel") == 0
    (path,) = (papers / "inbox").glob("*.yaml")
    shutil.move(path, papers / path.name)
    collection, problems = load_collection(list(iter_entry_files(papers)),
                                           papers / "taxonomy.yml", TODAY)
    assert collection is None
    messages = [p.message for p in problems if p.severity == "error"]
    assert f"unknown category '{PLACEHOLDER_CATEGORY}'" in messages
    assert "unknown tag 'choose-tags'" in messages
    assert all(p.path.endswith(path.name) for p in problems if p.severity == "error")


def test_missing_file_is_a_clear_error(papers: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(papers, str(papers / "nope.xml")) == 1
    err = capsys.readouterr().err
    assert "no such file" in err and "Traceback" not in err


def test_limit_must_not_be_negative(papers: Path) -> None:
    assert run(papers, str(API), "--limit", "-1") == 2


# ---------------------------------------------------------------------------- over HTTP


class _Handler(http.server.BaseHTTPRequestHandler):
    calls: dict[str, int] = {}

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        n = self.calls[self.path] = self.calls.get(self.path, 0) + 1
        if self.path.startswith("/api/query"):
            self._send(200, API.read_bytes(), "application/atom+xml")
        elif self.path == "/rss/cs.CR":
            self._send(200, LISTING.read_bytes(), "application/rss+xml")
        elif self.path == "/flaky":  # 500, then 429 with Retry-After, then the feed
            if n == 1:
                self._send(500, b"oops")
            elif n == 2:
                self._send(429, b"slow down", headers={"Retry-After": "1"})
            else:
                self._send(200, API.read_bytes(), "application/atom+xml")
        elif self.path == "/slow":
            time.sleep(1.0)
            self._send(200, API.read_bytes())
        elif self.path == "/truncated":
            self._send(200, API.read_bytes()[:300], "application/atom+xml")
        elif self.path == "/html":
            self._send(200, b"<!doctype html><title>Login</title><p>Please sign in</p>",
                       "text/html")
        else:
            self._send(404, b"unknown id")

    def _send(self, status: int, body: bytes, ctype: str = "text/plain",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    _Handler.calls = {}
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_import_from_local_http_server(server: str, papers: Path) -> None:
    url = f"{server}/api/query?search_query=cat:cs.CR&max_results=4"
    assert run(papers, url, "--limit", "1") == 0
    (path,) = (papers / "inbox").glob("*.yaml")
    assert load_yaml(path).data["arxiv"] == "2511.04321"
    assert f"from {url}" in path.read_text()
    assert _Handler.calls == {"/api/query?search_query=cat:cs.CR&max_results=4": 1}


def test_import_arxiv_category_shorthand(server: str, papers: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("READING_LIST_ARXIV_RSS", f"{server}/rss/")
    assert source_url("cs.CR", {"READING_LIST_ARXIV_RSS": f"{server}/rss/"}) == \
        f"{server}/rss/cs.CR"
    assert run(papers, "cs.CR") == 0
    names = sorted(p.name for p in (papers / "inbox").glob("*.yaml"))
    assert names == ["membership-inference-on-retrieval-augmented-generation.yaml",
                     "steganographic-tokens.yaml"]  # the replacement was skipped


def test_fetch_retries_500_and_429_then_succeeds(server: str) -> None:
    waits: list[float] = []
    data = fetch(f"{server}/flaky", sleep=waits.append)
    assert parse_feed(data)[0].arxiv == "2511.04321"
    assert _Handler.calls["/flaky"] == 3
    assert waits[1] >= 1  # honoured Retry-After


def test_fetch_timeout_is_an_http_error(server: str) -> None:
    with pytest.raises(HttpError, match="after 1 attempts"):
        fetch(f"{server}/slow", timeout=0.2, retries=0)


@pytest.mark.parametrize("path, message", [
    ("/missing", "cannot fetch the feed: HTTP 404"),
    ("/truncated", "not an Atom or RSS feed"),
    ("/html", "not an Atom or RSS feed"),
])
def test_http_faults_exit_non_zero(server: str, papers: Path, path: str, message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert run(papers, server + path) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (papers / "inbox").exists()
