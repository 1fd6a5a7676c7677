"""The email digest: content, multipart rendering, delivery to a real local SMTP server
(aiosmtpd on 127.0.0.1), refusals with a non-zero exit, and never sending a day twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from generator.commands import cli
from generator.commands.sentmarker import MarkerError, already_sent, load_marker, record_sent
from generator.core.config import SiteConfig
from generator.core.entries import Collection, load_collection
from generator.core.files import iter_entry_files
from generator.core.trending import Ranking, TrendingRow
from generator.pages.digest import build_message, digest_for, digest_text
from generator.sources.smtp import SettingsError, SmtpSettings

ROOT = Path(__file__).resolve().parent.parent
TODAY = dt.date(2026, 11, 27)
SITE = "https://example.org/list/"
CONFIG = SiteConfig(site_name="Lab list", site_url=SITE, digest_top=3)


@pytest.fixture(scope="module")
def default() -> Collection:
    collection, _ = load_collection(list(iter_entry_files(ROOT / "papers")),
                                    ROOT / "papers" / "taxonomy.yml", TODAY)
    assert collection is not None
    return collection


def ranking(day: dt.date, ids: list[str], fallback: bool = False) -> Ranking:
    rows = tuple(TrendingRow(pid, i, 1.0, ("+5 GitHub stars this week",), "new")
                 for i, pid in enumerate(ids, start=1))
    return Ranking("week", day, day, fallback, "Ranked by growth.", rows)


# ---------------------------------------------------------------------------- content


def test_digest_for_a_day(default: Collection) -> None:
    ids = ["no-such-paper", *[p.id for p in default.papers[:5]]]
    day = digest_for(default, CONFIG, TODAY, [ranking(TODAY, ids),
                                               ranking(TODAY - dt.timedelta(days=1), ids)])
    assert len(day.added) == 200
    assert [p.paper.id for p in day.trending] == ids[1:4]  # unknown id skipped, top 3
    assert day.window == "week" and day.explanation == "Ranked by growth."
    other = digest_for(default, CONFIG, TODAY + dt.timedelta(days=1), [ranking(TODAY, ids)])
    assert other.is_empty  # no additions that day and no ranking for it


def test_message_is_multipart_plain_and_html(default: Collection) -> None:
    day = digest_for(default, CONFIG, TODAY, [ranking(TODAY, [default.papers[0].id])])
    msg = build_message(day, CONFIG, "list@example.org", ["a@example.org", "b@example.org"])
    assert msg.get_content_type() == "multipart/alternative"
    kinds = [p.get_content_type() for p in msg.iter_parts()]
    assert kinds == ["text/plain", "text/html"]
    assert msg["Subject"] == "Lab list digest, 2026-11-27: 200 new papers, top 1 trending"
    assert msg["Message-ID"] == "<digest-2026-11-27@example.org>"
    assert msg["Date"] is None  # the pure renderer has no clock
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"{SITE}papers/{default.papers[0].id}/" in text
    assert f'href="{SITE}papers/{default.papers[0].id}/"' in html
    assert "+5 GitHub stars this week" in text and "+5 GitHub stars this week" in html
    assert max(len(line) for line in text.splitlines()) < 200


def test_hostile_text_is_escaped_in_the_html_part(default: Collection) -> None:
    paper = dataclasses.replace(default.papers[0], title="<script>x</script> & ]]>",
                                abstract="<img src=x onerror=alert(1)>")
    collection = Collection((paper,), default.taxonomy)
    day = digest_for(collection, CONFIG, paper.added)
    html = build_message(day, CONFIG, "l@example.org", ["a@example.org"]) \
        .get_body(("html",)).get_content()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;x&lt;/script&gt; &amp; ]]&gt;" in html
    assert "<script>x</script> & ]]>" in digest_text(day, CONFIG)  # plain text is text


def test_settings_from_env() -> None:
    env = {"SMTP_HOST": "smtp.example.org", "DIGEST_TO": "a@example.org, b@example.org",
           "SMTP_USER": "bot@example.org", "SMTP_PASSWORD": "pw"}
    s = SmtpSettings.from_env(env)
    assert (s.port, s.security, s.sender, s.to) == (587, "starttls", "bot@example.org",
                                                    ("a@example.org", "b@example.org"))
    assert SmtpSettings.from_env({**env, "SMTP_SECURITY": "ssl"}).port == 465
    for bad, message in [({"SMTP_HOST": ""}, "SMTP_HOST is not set"),
                         ({"DIGEST_TO": ""}, "DIGEST_TO is not set"),
                         ({"DIGEST_TO": "nobody"}, "invalid address"),
                         ({"SMTP_PORT": "smtp"}, "SMTP_PORT must be a port"),
                         ({"SMTP_SECURITY": "tls1.0"}, "SMTP_SECURITY must be"),
                         ({"SMTP_PASSWORD": ""}, "SMTP_PASSWORD is not")]:
        with pytest.raises(SettingsError, match=message):
            SmtpSettings.from_env({**env, **bad})


@pytest.mark.parametrize("name", ["DIGEST_TO", "DIGEST_FROM", "SMTP_HOST", "SMTP_USER"])
@pytest.mark.parametrize("bad", ["\r\nBcc: eve@evil.example", "\nX-Injected: 1", "\x00",
                                 "\x1b[2J", "\u2028"])
def test_a_control_character_in_a_setting_is_a_settings_error(name: str, bad: str) -> None:
    env = {"SMTP_HOST": "smtp.example.org", "DIGEST_TO": "a@example.org",
           "DIGEST_FROM": "list@example.org", "SMTP_USER": "bot@example.org",
           "SMTP_PASSWORD": "pw"}
    env[name] = env[name][:4] + bad + env[name][4:]  # inside: around it is only whitespace
    with pytest.raises(SettingsError, match=f"^{name} contains a line break or another "
                                            "control character") as caught:
        SmtpSettings.from_env(env)
    assert "evil" not in str(caught.value)  # the value (maybe a secret) is not quoted
    # Surrounding whitespace is not an error: a secret pasted with its newline still works.
    assert SmtpSettings.from_env({**env, name: f" {env[name].replace(bad, '')}\r\n"})


def test_marker_round_trip_and_corruption(tmp_path: Path) -> None:
    marker = tmp_path / "data" / "digest-sent.json"
    assert already_sent(marker, TODAY) is None
    record_sent(marker, TODAY, "<m@x>", 2, dt.datetime(2026, 11, 27, 7, 0, tzinfo=dt.UTC))
    assert already_sent(marker, TODAY)["recipients"] == 2
    assert already_sent(marker, TODAY + dt.timedelta(days=1)) is None
    assert "@example" not in marker.read_text()  # counts only, never addresses
    record_sent(marker, TODAY + dt.timedelta(days=500), "<n@x>", 1,
                dt.datetime(2028, 4, 10, tzinfo=dt.UTC))
    assert list(load_marker(marker)["sent"]) == ["2028-04-10"]  # old days pruned
    marker.write_text("{not json")
    with pytest.raises(MarkerError, match="not a digest marker file"):
        already_sent(marker, TODAY)


# ---------------------------------------------------------------------------- SMTP


class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses one domain."""

    def __init__(self) -> None:
        self.messages: list[Any] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address.endswith("@refused.example"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(envelope)
        return "250 Message accepted for delivery"


def _authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and \
        (auth_data.login, auth_data.password) == (b"lab", b"secret")
    return AuthResult(success=ok, handled=False)  # handled=False: the server replies 535


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port,
                            authenticator=_authenticate, auth_require_tls=False)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASSWORD", "DIGEST_TO",
                 "DIGEST_FROM", "SMTP_SECURITY", "SOURCE_DATE_EPOCH"):
        monkeypatch.delenv(name, raising=False)
    history = {"version": 1, "days": {
        "2026-11-20": {"trojanstego": {"github_stars": 10}, "adaptguard": {"citations": 1}},
        "2026-11-27": {"trojanstego": {"github_stars": 60}, "adaptguard": {"citations": 4}},
    }}
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "metrics.json").write_text(json.dumps(history))
    return tmp_path


def digest(*args: str) -> int:
    return cli.main(["digest", "--papers", str(ROOT / "papers"), "--date", TODAY.isoformat(),
                     "--site-url", SITE, "--history", "data/metrics.json", *args])


def use_server(monkeypatch: pytest.MonkeyPatch, port: int, **extra: str) -> None:
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USER": "lab",
           "SMTP_PASSWORD": "secret", "DIGEST_TO": "team@lab.example, pi@lab.example",
           "DIGEST_FROM": "Reading list <list@lab.example>", "SMTP_SECURITY": "none", **extra}
    for key, value in env.items():
        monkeypatch.setenv(key, value)


def test_send_delivers_once_and_rerun_sends_nothing(
        smtp: tuple[Inbox, int], workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port)
    assert digest("--send") == 0
    assert len(inbox.messages) == 1
    envelope = inbox.messages[0]
    assert sorted(envelope.rcpt_tos) == ["pi@lab.example", "team@lab.example"]
    assert envelope.mail_from == "list@lab.example"
    msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert msg["Date"] and msg["Message-ID"] == "<digest-2026-11-27@example.org>"
    text = msg.get_body(("plain",)).get_content()
    assert "Trending this week" in text and "+50 GitHub stars" in text  # from the history
    assert "TrojanStego" in text.split("Added on")[0]
    marker = workdir / "data" / "digest-sent.json"
    assert already_sent(marker, TODAY)["recipients"] == 2
    assert "sent the digest for 2026-11-27 to 2 recipient(s)" in capsys.readouterr().err

    assert digest("--send") == 0  # the workflow is re-run the same day
    assert len(inbox.messages) == 1
    assert "already sent" in capsys.readouterr().err
    assert digest("--send", "--force") == 0
    assert len(inbox.messages) == 2


def test_refused_login_exits_non_zero(smtp: tuple[Inbox, int], workdir: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port, SMTP_PASSWORD="wrong")
    assert digest("--send") == 1
    err = capsys.readouterr().err
    assert "refused the login for 'lab': 535" in err and "Traceback" not in err
    assert inbox.messages == []
    assert not (workdir / "data" / "digest-sent.json").exists()  # a later run will retry


def test_refused_recipient_exits_non_zero(smtp: tuple[Inbox, int], workdir: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port, DIGEST_TO="ghost@refused.example")
    assert digest("--send") == 1
    assert "refused every recipient: ghost@refused.example" in capsys.readouterr().err
    assert not (workdir / "data" / "digest-sent.json").exists()


def test_starttls_is_the_default_and_required(smtp: tuple[Inbox, int], workdir: Path,
                                              monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port)
    monkeypatch.delenv("SMTP_SECURITY")
    assert digest("--send") == 1  # this test server offers no STARTTLS: never send in clear
    assert "does not offer STARTTLS" in capsys.readouterr().err
    assert inbox.messages == []


def test_unreachable_server_and_missing_settings(workdir: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert digest("--send") == 2  # a settings error, like a wrong option
    assert "SMTP_HOST is not set" in capsys.readouterr().err
    use_server(monkeypatch, _free_port())  # nothing listens there
    assert digest("--send") == 1
    err = capsys.readouterr().err
    assert "cannot deliver through SMTP server 127.0.0.1" in err and "Traceback" not in err


def test_dry_run_prints_and_sends_nothing(smtp: tuple[Inbox, int], workdir: Path,
                                          monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port)
    assert digest("--send", "--dry-run") == 0
    out, err = capsys.readouterr()
    assert "----- text/plain -----" in out and "----- text/html -----" in out
    assert "dry run: would send to 2 recipient(s)" in err
    assert inbox.messages == [] and not (workdir / "data" / "digest-sent.json").exists()


def test_render_without_send_is_deterministic(workdir: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert digest() == 0
    first = capsys.readouterr().out
    assert digest() == 0
    assert capsys.readouterr().out == first
    assert "Subject: Reading list digest, 2026-11-27: 200 new papers, top 10 trending" in first


def test_digest_needs_a_site_url(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["digest", "--papers", str(ROOT / "papers"), "--date", "2026-11-27"])
    assert code == 1
    assert "site_url" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["DIGEST_TO", "DIGEST_FROM"])
def test_header_injection_through_the_environment_is_refused(
        smtp: tuple[Inbox, int], workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], name: str) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port)
    monkeypatch.setenv(name, "list@lab.example\r\nBcc: eve@evil.example")
    for args in (("--send",), ("--send", "--dry-run"), ()):  # sending, checking, rendering
        assert digest(*args) == 2, args
        out, err = capsys.readouterr()
        assert f"digest: {name} contains a line break" in err
        assert "Traceback" not in err and "Bcc" not in out + err
    assert inbox.messages == []
    assert not (workdir / "data" / "digest-sent.json").exists()


def test_other_settings_errors_exit_2_and_a_line_break_in_the_site_name_is_a_space(
        smtp: tuple[Inbox, int], workdir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    inbox, port = smtp
    use_server(monkeypatch, port, DIGEST_FROM="not an address")
    assert digest("--send") == 2
    assert "DIGEST_FROM is not an address" in capsys.readouterr().err
    use_server(monkeypatch, port, SMTP_PORT="smtp")
    assert digest("--send") == 2
    use_server(monkeypatch, port, SMTP_HOST="127.0.0.1\r\nRCPT TO:<eve@evil.example>")
    assert digest("--send") == 2
    assert inbox.messages == []
    use_server(monkeypatch, port)
    capsys.readouterr()
    # site_name comes from mkdocs.yml: a line break in it must not break the Subject header.
    (workdir / "mkdocs.yml").write_text('site_name: "Lab\\nlist"\nsite_url: ' + SITE + "\n")
    assert digest("--send") == 0
    msg = email.message_from_bytes(inbox.messages[0].original_content,
                                   policy=email.policy.default)
    assert msg["Subject"].startswith("Lab list digest, 2026-11-27")
    assert not [k for k in msg if k.lower() not in
                ("subject", "from", "to", "message-id", "date", "content-type",
                 "mime-version", "x-peer", "x-mailfrom", "x-rcptto")]
