"""Untrusted text printed by a command (entry titles, API answers, feed text) shows its control
characters as escapes: a title cannot clear the screen, retitle the terminal window, rewrite
the line it is on or forge a line of its own.

Each command is run end to end with a hostile value where the command prints it, and its whole
output is searched for any control character other than the line breaks it writes itself.
``check`` now refuses such characters in entries, so entry text is injected past the loader:
the escaping on output is the second line of defence, and the only one for API answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.commands import cli
from generator.commands import digest as feeds_cli
from generator.commands import metrics as trending_cli
from generator.commands.metrics import format_refresh
from generator.core.entries import Collection, load_collection
from generator.core.files import iter_entry_files
from generator.core.terminal import is_control, visible, visible_lines
from generator.sources.refresh import ProviderReport, RefreshReport

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2026-11-27"
#: Erase the screen; set the window title (OSC ... BEL); return to the line's start;
#: a C1 "CSI" (erase the screen again, for terminals that read 8-bit controls); a Unicode
#: line separator.
HOSTILE = "Evil \x1b[2J\x1b]0;pwned\x07 title\r\x9b2J\u2028end"
# Any control character but the line feeds and the tab-free layout the commands write.
RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def assert_inert(text: str) -> None:
    """No control character reaches the terminal except the command's own line breaks."""
    found = RAW_CONTROL.search(text)
    assert found is None, f"raw {found.group()!r} in output: {text[found.start() - 40:][:80]!r}"


def hostile_collection(papers: Path = ROOT / "papers") -> Collection:
    """The list in ``papers`` with TrojanStego retitled ``HOSTILE`` and its first author
    given escapes too. ``check`` refuses such entries since issue 12.7, so this is built past
    the loader: it stands for any text that reaches a command some other way (an API
    answer, an old list, a future field), and proves the printing itself is safe."""
    collection, problems = load_collection(list(iter_entry_files(papers)),
                                           papers / "taxonomy.yml", dt.date(2026, 11, 30))
    assert collection is not None, [p.format() for p in problems]
    papers_out = tuple(
        dataclasses.replace(p, title=HOSTILE, authors=("Eve \x1b[31mRed", *p.authors[1:]))
        if p.id == "trojanstego" else p for p in collection.papers)
    return Collection(papers_out, collection.taxonomy)


@pytest.fixture
def hostile_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder with a metrics history, where trending and digest get the
    hostile collection (the commands' own loading is replaced, nothing else)."""
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "metrics.json").write_text(json.dumps({"version": 1, "days": {
        "2026-11-20": {"trojanstego": {"github_stars": 10}, "adaptguard": {"citations": 1}},
        "2026-11-27": {"trojanstego": {"github_stars": 60}, "adaptguard": {"citations": 4}},
    }}))
    monkeypatch.chdir(tmp_path)
    for name in ("DIGEST_TO", "DIGEST_FROM", "SMTP_HOST", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    collection = hostile_collection()
    monkeypatch.setattr(trending_cli, "load_or_explain", lambda args: collection)
    monkeypatch.setattr(feeds_cli, "load_or_explain", lambda args: collection)
    return tmp_path


def test_visible_is_the_escaping_check_uses() -> None:
    assert visible(HOSTILE) == r"Evil \x1b[2J\x1b]0;pwned\x07 title\r\x9b2J\u2028end"
    assert visible_lines("one \x1b[2J\ntwo\r\n") == "one \\x1b[2J\ntwo\\r\n"
    assert is_control("\x1b") and is_control("\x85") and not is_control("é")


def test_trending_shows_the_title_escaped(hostile_list: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["trending", "--date", TODAY, "--history", "data/metrics.json"]) == 0
    out, err = capsys.readouterr()
    assert_inert(out + err)
    assert r"Evil \x1b[2J\x1b]0;pwned\x07 title\r\x9b2J\u2028end" in out


def test_digest_render_and_dry_run_show_titles_escaped(
        hostile_list: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    base = ["digest", "--date", TODAY, "--site-url", "https://example.org/",
            "--history", "data/metrics.json"]
    assert cli.main(base) == 0
    out, err = capsys.readouterr()
    assert_inert(out + err)
    assert r"Evil \x1b[2J" in out and r"Eve \x1b[31mRed" in out
    for key, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": "2525", "SMTP_SECURITY": "none",
                       "DIGEST_TO": "lab@example.org"}.items():
        monkeypatch.setenv(key, value)
    assert cli.main([*base, "--send", "--dry-run"]) == 0
    out, err = capsys.readouterr()
    assert_inert(out + err)
    assert r"Evil \x1b[2J" in out and "dry run: would send to 1 recipient(s)" in err


def test_refresh_summary_shows_a_providers_error_escaped() -> None:
    # A provider's first failure quotes what the service answered.
    report = RefreshReport(dt.date(2026, 11, 27), 2, (
        ProviderReport("github", "GitHub stars", 2, 1, 0, 1,
                       error=f"unexpected answer from GitHub: {HOSTILE}"),))
    text = format_refresh(report)
    assert_inert(text)
    assert r"GitHub stars: unexpected answer from GitHub: Evil \x1b[2J" in text


def test_import_shows_an_arxiv_error_escaped(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    # XML cannot carry ESC, and feedparser reads C1 controls as Windows-1252 punctuation,
    # but DEL comes through.
    feed = tmp_path / "error.atom"
    feed.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom"><title>ArXiv Query</title>\n'
        "<entry><id>http://arxiv.org/api/errors#bad</id><title>Error</title>\n"
        "<summary>bad id\x7f\x7f\x7f here</summary></entry></feed>\n",
        encoding="utf-8")
    papers = tmp_path / "papers"
    shutil.copytree(ROOT / "papers", papers)
    assert cli.main(["import", str(feed), "--papers", str(papers), "--date", TODAY]) == 1
    out, err = capsys.readouterr()
    assert_inert(out + err)
    assert r"the arXiv API answered with an error: bad id\x7f\x7f\x7f here" in err


@pytest.fixture
def raw_server() -> Iterator[str]:
    """A loopback server that answers every connection with one fixed HTTP status line
    whose reason phrase holds terminal escapes."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.0 404 Not \x1b]0;pwned\x07Found\x1b[2J\r\n"
                                 b"Content-Length: 0\r\n\r\n")
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/feed.xml"
    stop.set()
    thread.join(5)
    sock.close()


def test_import_shows_a_servers_reason_phrase_escaped(raw_server: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    papers = tmp_path / "papers"
    shutil.copytree(ROOT / "papers", papers)
    assert cli.main(["import", raw_server, "--papers", str(papers), "--date", TODAY,
                     "--timeout", "5"]) == 1
    out, err = capsys.readouterr()
    assert_inert(out + err)
    assert "import: cannot fetch the feed: HTTP 404" in err and "Traceback" not in err

