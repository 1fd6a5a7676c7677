"""``reading-list digest``: thin glue over the digest's content (:mod:`generator.pages.digest`),
its delivery (:mod:`generator.sources.smtp`) and the sent marker (:mod:`.sentmarker`):
argument parsing, the clock, the environment, messages and exit codes."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from ..core.config import SiteConfig
from ..core.terminal import visible, visible_lines
from ..pages.digest import build_message, digest_for, message_id
from ..pages.feeds import FeedError, require_site_url
from ..plugin.settings import load_site_config
from ..sources.smtp import (
    SettingsError,
    SmtpError,
    SmtpSettings,
    addresses_from_env,
    readable,
    send,
)
from .cli import add_papers_options, load_or_explain, today
from .sentmarker import MarkerError, already_sent, record_sent


class DigestError(Exception):
    """The digest cannot be made (settings file, metrics history); one line for the user."""


def _config(args: argparse.Namespace) -> SiteConfig:
    """The site's settings from ``--config`` (default mkdocs.yml, optional)."""
    path: Path = args.config
    if path.is_file():
        try:
            config = load_site_config(path, site_url=args.site_url)
        except ValueError as exc:  # SettingsError: the file and every invalid option
            raise DigestError(str(exc)) from None
        return config
    if args.config != Path("mkdocs.yml"):
        raise DigestError(f"{path}: no such file")
    site_url = args.site_url or ""
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    return SiteConfig(site_url=site_url)


# ---------------------------------------------------------------------------- digest


def _digest_setup(parser: argparse.ArgumentParser) -> None:
    add_papers_options(parser)
    parser.add_argument("--config", type=Path, default=Path("mkdocs.yml"),
                        help="site settings (default: mkdocs.yml)")
    parser.add_argument("--site-url", default=None,
                        help="absolute site URL for links (default: site_url in mkdocs.yml)")
    parser.add_argument("--history", type=Path, default=None,
                        help="metrics history for the trending part (default: the site's "
                             "metrics_file, data/metrics.json)")
    parser.add_argument("--marker", type=Path, default=None,
                        help="file recording the days already sent (default: "
                             "digest-sent.json next to the metrics history)")
    parser.add_argument("--send", action="store_true",
                        help="deliver over SMTP (settings from SMTP_HOST, SMTP_PORT, "
                             "SMTP_USER, SMTP_PASSWORD, DIGEST_TO, DIGEST_FROM, "
                             "SMTP_SECURITY=starttls|ssl|none)")
    parser.add_argument("--dry-run", action="store_true",
                        help="with --send: check the settings and print the email, send "
                             "nothing")
    parser.add_argument("--force", action="store_true",
                        help="send even if this day's digest was sent already")


def cmd_digest(args: argparse.Namespace) -> int:
    """Render the daily digest email (trending top N and new papers); --send delivers it."""
    try:
        return _digest(args)
    except SettingsError as exc:  # the environment is wrong: like a wrong option
        print(f"digest: {visible(exc)}", file=sys.stderr)
        return 2
    except (DigestError, SmtpError, MarkerError, FeedError) as exc:  # may quote a server's answer
        print(f"digest: {visible(exc)}", file=sys.stderr)
        return 1


def _digest(args: argparse.Namespace) -> int:
    from ..core.metrics import HistoryError, load_history
    from ..core.trending import WINDOWS, rank

    config = _config(args)
    require_site_url(config)  # emails link to the site: links must be absolute
    day = today(args)
    collection = load_or_explain(args)
    if collection is None:
        return 1
    history_path = args.history or config.metrics_path
    try:
        history = load_history(history_path)
    except HistoryError as exc:
        raise DigestError(str(exc)) from None
    window = config.trending_default if config.trending_default in WINDOWS else "week"
    ranking = rank(collection, history, day, window, limit=config.digest_top)
    digest = digest_for(collection, config, day, [ranking])
    marker = args.marker or history_path.parent / "digest-sent.json"

    if not args.send:
        sender, to = addresses_from_env(os.environ)
        msg = build_message(digest, config, sender or "reading-list@localhost",
                            to or ("you@localhost",))
        # Titles and authors are entry text: their control characters are shown, not obeyed.
        print(visible_lines(readable(msg)), end="")
        if digest.is_empty:
            print(f"(nothing new on {day}: --send would send nothing)", file=sys.stderr)
        return 0

    settings = SmtpSettings.from_env(os.environ)
    done = already_sent(marker, day)
    if done and not args.force:
        # The marker file lives in a repository: what it says is shown, not obeyed.
        print(f"digest for {day} was already sent ({visible(done.get('sent_at', '?'))}, "
              f"recorded in {visible(marker)}); nothing sent", file=sys.stderr)
        return 0
    if digest.is_empty:
        print(f"nothing new on {day} (no additions, no trending papers); nothing sent",
              file=sys.stderr)
        return 0
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)  # the CLI reads the clock
    msg = build_message(digest, config, settings.sender, settings.to, sent_at=now)
    where = f"{settings.host}:{settings.port}"
    if args.dry_run:
        print(visible_lines(readable(msg)), end="")
        print(f"dry run: would send to {len(settings.to)} recipient(s) via {where} "
              f"({settings.security}); nothing sent, {visible(marker)} unchanged",
              file=sys.stderr)
        return 0
    send(msg, settings)
    record_sent(marker, day, message_id(day, config), len(settings.to), now)
    print(f"sent the digest for {day} to {len(settings.to)} recipient(s) via {where}; "
          f"recorded in {visible(marker)}", file=sys.stderr)
    return 0
