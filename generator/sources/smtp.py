"""Email delivery over SMTP: the settings from the environment and one send.

Settings come from ``SMTP_HOST``, ``SMTP_PORT``, ``SMTP_USER``, ``SMTP_PASSWORD``,
``DIGEST_TO``, optional ``DIGEST_FROM`` and ``SMTP_SECURITY`` (starttls | ssl | none). Every
value is one line: a line break would add a header to the message or a command to the
session. What is sent is made elsewhere (the digest's email is
:func:`generator.pages.digest.build_message`); this module only delivers an
:class:`~email.message.EmailMessage` and shows one as a reader would see it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr

from ..core.terminal import is_control, visible


class SmtpError(Exception):
    """The message cannot be sent; the message is one line for the user."""


class SettingsError(SmtpError):
    """The ``SMTP_*``/``DIGEST_*`` settings are missing or wrong: nothing was tried (the
    command exits with status 2, as for a wrong option)."""


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
    """Deliver ``msg`` to ``settings.to``; any refusal raises SmtpError with the server's
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
                    raise SmtpError(f"SMTP server {where} does not offer STARTTLS; set "
                                    "SMTP_SECURITY=ssl (port 465) or, only for a local "
                                    "relay, SMTP_SECURITY=none")
                client.starttls(context=context)
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password)
            refused = client.send_message(msg, from_addr=settings.sender,
                                          to_addrs=list(settings.to))
            if refused:
                raise SmtpError(f"SMTP server {where} refused recipient(s): "
                                + ", ".join(sorted(refused)))
    except SmtpError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise SmtpError(f"SMTP server {where} refused the login for {settings.user!r}: "
                        f"{_smtp_reply(exc)}") from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise SmtpError(f"SMTP server {where} refused every recipient: "
                        + ", ".join(sorted(exc.recipients))) from None
    except smtplib.SMTPSenderRefused as exc:
        raise SmtpError(f"SMTP server {where} refused the sender {settings.sender!r}: "
                        f"{_smtp_reply(exc)}") from None
    except smtplib.SMTPNotSupportedError as exc:
        raise SmtpError(f"SMTP server {where} does not support this: {exc}") from None
    except smtplib.SMTPResponseException as exc:
        raise SmtpError(f"SMTP server {where} refused the message: "
                        f"{_smtp_reply(exc)}") from None
    except (smtplib.SMTPException, ssl.SSLError, OSError) as exc:
        raise SmtpError(f"cannot deliver through SMTP server {where}: "
                        f"{exc or type(exc).__name__}") from None


def _smtp_reply(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) \
        else str(exc.smtp_error)
    return f"{exc.smtp_code} {' '.join(text.split())}"
