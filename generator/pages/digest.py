"""The daily digest: what a day brought (trending top N and new additions), as an RSS item
(see :mod:`generator.pages.feeds`) and as a multipart email sent over SMTP at most once a day.

Content is pure (collection, config, day, rankings in; values out). Sending takes its settings
from the environment (``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``,
``DIGEST_TO``, optional ``DIGEST_FROM`` and ``SMTP_SECURITY`` = starttls | ssl | none) and
records each sent day in a small JSON marker file, so a re-run of the daily workflow sends
nothing twice. The marker stores counts, never addresses: it may live in a public repository.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import smtplib
import ssl
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..core.config import SiteConfig
from ..core.entries import Collection, Paper
from ..core.files import YamlError, atomic_write, read_text
from ..core.terminal import is_control, visible

EXCERPT_CHARS = 280
MARKER_KEEP_DAYS = 400  #: marker entries older than this are dropped on write


# XML 1.0 forbids most control characters even when escaped; YAML already refuses them, but a
# feed or an email must stay well-formed whatever reaches it.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text safe to put in XML: characters XML 1.0 cannot carry are dropped."""
    return _INVALID_XML.sub("", text)


def html_fragment(elements: Iterable[ET.Element]) -> str:
    """Serialize HTML elements built with ElementTree (all text escaped) to a string."""
    return "".join(ET.tostring(el, encoding="unicode", method="html") for el in elements)


class DigestError(Exception):
    """The digest cannot be sent; the message is one line for the user."""


class SettingsError(DigestError):
    """The ``SMTP_*``/``DIGEST_*`` settings are missing or wrong: nothing was tried (the
    command exits with status 2, as for a wrong option)."""


# ---------------------------------------------------------------------------- content


@dataclass(frozen=True)
class TrendingPick:
    """One trending paper of a day's digest."""

    rank: int
    paper: Paper
    summary: str = ""  #: why it is trending: "+41 GitHub stars, +6 citations this week"
    movement: str = ""  #: "new", "up 3", "down 1" (empty when unchanged)


@dataclass(frozen=True)
class DigestDay:
    """What one day's digest says."""

    day: dt.date
    added: tuple[Paper, ...] = ()
    trending: tuple[TrendingPick, ...] = ()
    window: str = ""  #: the trending window used ("week", ...), empty without trending
    explanation: str = ""  #: how the ranking was made, from the ranking itself

    @property
    def is_empty(self) -> bool:
        return not self.added and not self.trending

    def title(self, config: SiteConfig) -> str:
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} new paper{'s' if len(self.added) != 1 else ''}")
        if self.trending:
            parts.append(f"top {len(self.trending)} trending")
        summary = ", ".join(parts) or "no news"
        return f"{config.site_name} digest, {self.day.isoformat()}: {summary}"

    def link(self, config: SiteConfig) -> str:
        return config.absolute("trending/" if self.trending else "")

    def guid(self, config: SiteConfig) -> str:
        """Stable per day: rebuilding or re-ranking never makes a reader show it twice."""
        return config.absolute(f"digest/{self.day.isoformat()}/")


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _text_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(v) for v in value if str(v))


def pick_ranking(rankings: Sequence[Any] | None, day: dt.date,
                 config: SiteConfig) -> Any | None:
    """The ranking a day's digest uses: computed for ``day``, in the site's default window
    (``trending_default``), else in the first configured window that has one.

    A fallback ranking (no metrics: ordered by recency) is not used: it would only repeat
    the additions, and calling it "trending" would mislead."""
    if not rankings:
        return None
    same_day = [r for r in rankings if _attr(r, "today") == day
                and not _attr(r, "fallback", False)]
    order = [config.trending_default, *config.trending_windows]
    for window in order:
        for ranking in same_day:
            if _attr(ranking, "window") == window:
                return ranking
    return same_day[0] if same_day else None


def digest_for(collection: Collection, config: SiteConfig, day: dt.date,
               rankings: Sequence[Any] | None = None) -> DigestDay:
    """The digest of ``day``: papers added that day and that day's trending top N.

    ``rankings`` are :class:`generator.core.trending.Ranking` values (fields ``window``, ``today``,
    ``explanation``, ``rows`` of ``paper_id``, ``rank``, ``reasons``, ``movement``).
    """
    added = tuple(p for p in collection.newest if p.added == day)
    ranking = pick_ranking(rankings, day, config)
    picks: list[TrendingPick] = []
    if ranking is not None:
        rows = sorted(_attr(ranking, "rows", ()) or (), key=lambda r: (_attr(r, "rank", 0),
                                                                      _attr(r, "paper_id")))
        for row in rows:
            paper = collection.by_id.get(_attr(row, "paper_id"))
            if paper is None:
                continue
            movement = str(_attr(row, "movement") or "")
            summary = _attr(row, "summary") or "; ".join(_text_list(_attr(row, "reasons")))
            picks.append(TrendingPick(int(_attr(row, "rank", len(picks) + 1)), paper,
                                      str(summary), "" if movement == "same" else movement))
            if len(picks) >= config.digest_top:
                break
    return DigestDay(day, added, tuple(picks),
                     str(_attr(ranking, "window", "")) if picks else "",
                     str(_attr(ranking, "explanation", "") or "") if picks else "")


def digest_rankings(collection: Collection, history: Any, config: SiteConfig,
                    today: dt.date) -> list[Any]:
    """Trending rankings (window ``trending_default``, top ``digest_top``) for each day the
    digest feed covers, so past days keep their own top N on every rebuild."""
    from ..core import trending  # pure, but keeps this module importable on its own

    window = config.trending_default if config.trending_default in trending.WINDOWS \
        else "week"
    if history is None or not getattr(history, "days", None):
        return []  # no popularity data: every day would be a recency fallback, never shown
    return [trending.rank(collection, history, today - dt.timedelta(days=back), window,
                          limit=config.digest_top)
            for back in range(max(config.digest_days, 0))]


def digest_days(collection: Collection, config: SiteConfig, today: dt.date,
                rankings: Sequence[Any] | None = None) -> list[DigestDay]:
    """The digests of the last ``config.digest_days`` days up to ``today`` that have news,
    newest first."""
    out = []
    for back in range(max(config.digest_days, 0)):
        day = digest_for(collection, config, today - dt.timedelta(days=back), rankings)
        if not day.is_empty:
            out.append(day)
    return out


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """The start of ``text``, cut at a word boundary, with an ellipsis when cut."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def short_authors(paper: Paper, limit: int = 3) -> str:
    if not paper.authors:
        return ""
    names = list(paper.authors[:limit])
    more = len(paper.authors) > limit or paper.authors_incomplete
    return ", ".join(names) + (" et al." if more else "")


def _max_added(config: SiteConfig) -> int:
    """A day that added a whole list at once shows the newest ``feed_items`` of them."""
    return max(config.feed_items, 1)


def _window_label(window: str) -> str:
    return {"day": "today", "week": "this week", "month": "this month"}.get(window, window)


def digest_html(day: DigestDay, config: SiteConfig) -> str:
    """The digest as an HTML fragment; all entry text is escaped by ElementTree."""
    return html_fragment(digest_elements(day, config))


def digest_elements(day: DigestDay, config: SiteConfig) -> list[ET.Element]:
    """The digest as HTML elements (headings and lists)."""

    parts: list[ET.Element] = []

    def el(parent: ET.Element | None, tag: str, text: str | None = None,
           **attrib: str) -> ET.Element:
        node = ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)
        if text is not None:
            node.text = clean(text)
        return node

    def paper_link(parent: ET.Element, paper: Paper) -> None:
        el(parent, "a", paper.title, href=config.absolute(f"papers/{paper.id}/"))

    if day.trending:
        parts.append(el(None, "h2", f"Trending {_window_label(day.window)}".strip()))
        if day.explanation:
            parts.append(el(None, "p", day.explanation))
        ol = el(None, "ol")
        for pick in day.trending:
            li = el(ol, "li")
            paper_link(li, pick.paper)
            details = [d for d in (short_authors(pick.paper), pick.summary, pick.movement)
                       if d]
            if details:
                li[-1].tail = clean(" — " + " · ".join(details))
        parts.append(ol)
    if day.added:
        parts.append(el(None, "h2", f"Added on {day.day.isoformat()}"))
        ul = el(None, "ul")
        for paper in day.added[:_max_added(config)]:
            li = el(ul, "li")
            paper_link(li, paper)
            if paper.authors:
                li[-1].tail = clean(" — " + short_authors(paper))
            el(li, "br")
            el(li, "small", excerpt(paper.abstract))
        parts.append(ul)
        more = len(day.added) - _max_added(config)
        if more > 0:
            p = el(None, "p", f"… and {more} more: ")
            el(p, "a", "the newest papers", href=config.absolute(""))
            parts.append(p)
    return parts


def digest_text(day: DigestDay, config: SiteConfig) -> str:
    """The digest as plain text (the email's text part)."""
    lines = [day.title(config), ""]
    if day.trending:
        lines.append(f"Trending {_window_label(day.window)}".strip())
        if day.explanation:
            lines.append(day.explanation)
        lines.append("")
        for pick in day.trending:
            lines.append(f"{pick.rank}. {pick.paper.title}")
            details = [d for d in (short_authors(pick.paper), pick.summary, pick.movement)
                       if d]
            if details:
                lines.append("   " + " · ".join(details))
            lines.append("   " + config.absolute(f"papers/{pick.paper.id}/"))
        lines.append("")
    if day.added:
        lines.append(f"Added on {day.day.isoformat()}")
        lines.append("")
        for paper in day.added[:_max_added(config)]:
            lines.append(f"- {paper.title}")
            if paper.authors:
                lines.append(f"  {short_authors(paper)}")
            lines.append(textwrap.fill(excerpt(paper.abstract), 76, initial_indent="  ",
                                       subsequent_indent="  "))
            lines.append(f"  {config.absolute(f'papers/{paper.id}/')}")
        more = len(day.added) - _max_added(config)
        if more > 0:
            lines.append(f"... and {more} more: {config.absolute('')}")
        lines.append("")
    lines.append(f"All feeds and how to subscribe: {config.absolute('subscribe/')}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- email


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send; read from the environment by :meth:`from_env`."""

    host: str
    port: int
    to: tuple[str, ...]
    sender: str
    user: str = ""
    password: str = ""
    security: str = "starttls"  #: "starttls" (default), "ssl" (implicit TLS) or "none"
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings:
        """Read ``SMTP_*`` and ``DIGEST_*`` variables; raises SettingsError naming what is
        missing or wrong."""
        host = setting(env, "SMTP_HOST")
        if not host:
            raise SettingsError("SMTP_HOST is not set: export SMTP_HOST=smtp.example.org "
                                "(and SMTP_PORT, SMTP_USER, SMTP_PASSWORD, DIGEST_TO)")
        security = setting(env, "SMTP_SECURITY", "starttls").lower()
        if security not in ("starttls", "ssl", "none"):
            raise SettingsError(f"SMTP_SECURITY must be starttls, ssl or none, "
                                f"not {security!r}")
        default_port = {"starttls": 587, "ssl": 465, "none": 25}[security]
        raw_port = setting(env, "SMTP_PORT", str(default_port))
        if not raw_port.isdigit() or not 0 < int(raw_port) < 65536:
            raise SettingsError(f"SMTP_PORT must be a port number such as 587, "
                                f"not {raw_port!r}")
        sender, to = addresses_from_env(env)
        if not to:
            raise SettingsError("DIGEST_TO is not set: export DIGEST_TO=lab@example.org "
                                "(several addresses separated by commas)")
        user = setting(env, "SMTP_USER")
        # The password is sent base64-encoded, never inside a command line: left as it is.
        password = env.get("SMTP_PASSWORD", "")
        if user and not password:
            raise SettingsError("SMTP_USER is set but SMTP_PASSWORD is not")
        sender = sender or (user if "@" in user else "") or f"reading-list@{host}"
        return cls(host, int(raw_port), to, sender, user, password, security)


def setting(env: Mapping[str, str], name: str, default: str = "") -> str:
    """One setting, without surrounding whitespace (a secret pasted with a trailing newline
    still works). A line break or other control character inside it is a SettingsError:
    in a header it would add headers (``Bcc:``), in an SMTP command it would add commands.
    The value is not quoted: it may be a secret."""
    value = (env.get(name) or "").strip() or default
    for position, char in enumerate(value, start=1):
        if is_control(char):
            hint = ", addresses separated by commas" if name == "DIGEST_TO" else ""
            raise SettingsError(f"{name} contains a line break or another control character "
                                f"({visible(char)} at character {position}): set it on one "
                                f"line{hint}")
    return value


def addresses_from_env(env: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    """``DIGEST_FROM`` (empty when unset) and the ``DIGEST_TO`` addresses, each checked to be
    one line holding an address; raises SettingsError otherwise."""
    sender = setting(env, "DIGEST_FROM")
    if sender and "@" not in parseaddr(sender)[1]:
        raise SettingsError("DIGEST_FROM is not an address: export DIGEST_FROM=list@example.org "
                            "(or 'Reading list <list@example.org>')")
    to = tuple(a.strip() for a in setting(env, "DIGEST_TO").split(",") if a.strip())
    for address in to:
        if "@" not in parseaddr(address)[1]:
            raise SettingsError(f"DIGEST_TO has an invalid address: {address!r}")
    return sender, to


def message_id(day: dt.date, config: SiteConfig) -> str:
    """A deterministic Message-ID per day and site (mail servers drop exact repeats)."""
    domain = urlsplit(config.site_url).hostname or "reading-list.invalid"
    return f"<digest-{day.isoformat()}@{domain}>"


def build_message(day: DigestDay, config: SiteConfig, sender: str, to: Sequence[str],
                  sent_at: dt.datetime | None = None) -> EmailMessage:
    """The digest as a multipart/alternative email: plain text first, then HTML."""
    msg = EmailMessage()
    # A header is one line: a line break in site_name must not become a traceback (or a
    # header of its own).
    msg["Subject"] = " ".join("".join(" " if is_control(c) else c
                                      for c in day.title(config)).split())
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = message_id(day.day, config)
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    msg.set_content(digest_text(day, config))
    page = ET.Element("html", {"lang": "en"})
    head = ET.SubElement(page, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = day.title(config)
    body = ET.SubElement(page, "body")
    body.extend(digest_elements(day, config))
    footer = ET.SubElement(body, "p")
    ET.SubElement(footer, "a", {"href": config.absolute("subscribe/")}).text = \
        "All feeds and how to subscribe"
    document = ET.tostring(page, encoding="unicode", method="html")
    msg.add_alternative("<!DOCTYPE html>\n" + document + "\n", subtype="html")
    return msg


def readable(msg: EmailMessage) -> str:
    """The message as a person reads it in a terminal: headers, then each part decoded."""
    lines = [f"{k}: {v}" for k, v in msg.items() if k.lower() not in
             ("content-type", "mime-version", "content-transfer-encoding")]
    for part in msg.walk():
        if part.get_content_maintype() == "multipart":
            continue
        lines += ["", f"----- {part.get_content_type()} -----", part.get_content().rstrip()]
    return "\n".join(lines) + "\n"


SmtpFactory = Callable[..., smtplib.SMTP]


def send(msg: EmailMessage, settings: SmtpSettings,
         smtp: SmtpFactory | None = None, smtp_ssl: SmtpFactory | None = None) -> None:
    """Deliver ``msg`` to ``settings.to``; any refusal raises DigestError with the server's
    answer. ``smtp``/``smtp_ssl`` are injectable for tests."""
    where = f"{settings.host}:{settings.port}"
    context = ssl.create_default_context()
    try:
        if settings.security == "ssl":
            client = (smtp_ssl or smtplib.SMTP_SSL)(settings.host, settings.port,
                                                    timeout=settings.timeout, context=context)
        else:
            client = (smtp or smtplib.SMTP)(settings.host, settings.port,
                                            timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security == "starttls":
                if not client.has_extn("starttls"):
                    raise DigestError(f"SMTP server {where} does not offer STARTTLS; set "
                                      "SMTP_SECURITY=ssl (port 465) or, only for a local "
                                      "relay, SMTP_SECURITY=none")
                client.starttls(context=context)
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password)
            refused = client.send_message(msg, from_addr=settings.sender,
                                          to_addrs=list(settings.to))
            if refused:
                raise DigestError(f"SMTP server {where} refused recipient(s): "
                                  + ", ".join(sorted(refused)))
    except DigestError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DigestError(f"SMTP server {where} refused the login for {settings.user!r}: "
                          f"{_smtp_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DigestError(f"SMTP server {where} refused every recipient: "
                          + ", ".join(sorted(exc.recipients))) from None
    except smtplib.SMTPSenderRefused as exc:
        raise DigestError(f"SMTP server {where} refused the sender {settings.sender!r}: "
                          f"{_smtp_reply(exc)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise DigestError(f"SMTP server {where} does not support this: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise DigestError(f"SMTP server {where} refused the message: "
                          f"{_smtp_reply(exc)}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise DigestError(f"cannot deliver through SMTP server {where}: "
                          f"{exc or type(exc).__name__}") from None


def _smtp_reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"


# ---------------------------------------------------------------------------- sent marker


def load_marker(path: Path) -> dict[str, Any]:
    """The sent-marker file's ``{"sent": {day: {...}}}`` (empty when the file is missing)."""
    try:
        data = json.loads(read_text(path, 1024 * 1024))
    except FileNotFoundError:
        return {"sent": {}}
    except (YamlError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DigestError(f"{path}: not a digest marker file ({exc}); fix or delete it") \
            from None
    if not isinstance(data, dict) or not isinstance(data.get("sent", {}), dict):
        raise DigestError(f"{path}: not a digest marker file; fix or delete it")
    data.setdefault("sent", {})
    return data


def already_sent(path: Path, day: dt.date) -> dict[str, Any] | None:
    """The record of ``day``'s digest when it was sent already, else None."""
    return load_marker(path)["sent"].get(day.isoformat())


def record_sent(path: Path, day: dt.date, msg_id: str, recipients: int,
                sent_at: dt.datetime) -> None:
    """Mark ``day`` as sent (atomically; old entries pruned). No addresses are stored."""
    data = load_marker(path)
    data["sent"][day.isoformat()] = {"message_id": msg_id, "recipients": recipients,
                                     "sent_at": sent_at.isoformat(timespec="seconds")}
    oldest = (day - dt.timedelta(days=MARKER_KEEP_DAYS)).isoformat()
    data["sent"] = {k: v for k, v in sorted(data["sent"].items()) if k >= oldest}
    atomic_write(path, json.dumps(data, indent=1, sort_keys=True) + "\n")
