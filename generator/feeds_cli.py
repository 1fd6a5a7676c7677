"""``reading-list digest`` and ``reading-list import``: thin glue over digest.py and
importer.py (argument parsing, the clock, the environment, messages and exit codes)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from .authoring import known_papers
from .cli import add_papers_options, load_or_explain, today
from .config import SiteConfig, load_site_config
from .digest import (
    DigestError,
    SettingsError,
    SmtpSettings,
    addresses_from_env,
    already_sent,
    build_message,
    digest_for,
    message_id,
    readable,
    record_sent,
    send,
)
from .feeds import FeedError, require_site_url
from .importer import (
    ImportError_,
    fetch,
    match_words,
    parse_feed,
    plan_import,
    read_source,
    source_url,
    write_plan,
)
from .sources.http import HttpError
from .terminal import visible, visible_lines


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
    except (DigestError, FeedError) as exc:  # may quote a server's answer
        print(f"digest: {visible(exc)}", file=sys.stderr)
        return 1


def _digest(args: argparse.Namespace) -> int:
    from .metrics import HistoryError, load_history
    from .trending import WINDOWS, rank

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


# ---------------------------------------------------------------------------- import


def _import_setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("sources", metavar="SOURCE", nargs="+",
                        help="bibliography files (BibTeX .bib, CSL-JSON .json, RIS .ris, CSV "
                             ".csv, a Markdown awesome-list .md), or one arXiv RSS/Atom URL, "
                             "saved feed file or arXiv category such as cs.CR")
    parser.add_argument("--into", type=Path, default=None, metavar="DIR",
                        help="where entries go (default: PAPERS/inbox, for review; "
                             "--into papers puts them straight on the list)")
    parser.add_argument("--category", default=None, metavar="SLUG",
                        help="bibliographies: file every paper in this category (default: "
                             "the source's headings or CSV column, else the file's name)")
    parser.add_argument("--tags", default=None, metavar="A,B",
                        help="bibliographies: tags added to every paper")
    parser.add_argument("--enrich", action="store_true",
                        help="bibliographies: then fill missing abstracts, authors, dates "
                             "and venues from arXiv, Semantic Scholar and Crossref")
    parser.add_argument("--dry-run", action="store_true",
                        help="bibliographies: say what would be written; write nothing")
    parser.add_argument("--match", default=None, metavar="WORDS",
                        help="feeds: keep papers whose title or abstract contains any of these "
                             "words (commas separate phrases: 'model stealing, watermark')")
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="feeds: write at most N candidates")
    parser.add_argument("--inbox", type=Path, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--include-replacements", action="store_true",
                        help="feeds: also import arXiv 'replace' announcements (new versions "
                             "of older papers)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="feeds: seconds to wait for the server (default: 30)")
    add_papers_options(parser)


def cmd_import(args: argparse.Namespace) -> int:
    """Bring papers in from a bibliography (BibTeX, CSL-JSON, RIS, CSV, awesome-list) or an
    arXiv feed; entries go to papers/inbox/ for review unless --into says otherwise."""
    from . import import_cli

    if import_cli.bibliography_sources(args.sources):
        return import_cli.run(args, today(args))
    if len(args.sources) > 1:
        print("import: give one arXiv feed at a time (bibliography files can be combined)",
              file=sys.stderr)
        return 2
    args.source = args.sources[0]
    if args.limit is not None and args.limit < 0:
        print("import: --limit must be 0 or more", file=sys.stderr)
        return 2
    try:
        url = source_url(args.source, dict(os.environ))
        data = fetch(url, timeout=args.timeout) if url else read_source(Path(args.source))
        candidates = parse_feed(data)
    except HttpError as exc:  # messages quote the server's answer and the URL
        print(f"import: cannot fetch the feed: {visible(exc)}", file=sys.stderr)
        return 1
    except ImportError_ as exc:
        print(f"import: {visible(args.source)}: {visible(exc)}", file=sys.stderr)
        return 1
    inbox = args.into or args.inbox or args.papers / "inbox"
    known = known_papers([args.papers, inbox])
    plan = plan_import(candidates, known, match_words(args.match), args.limit,
                       args.include_replacements)
    written = write_plan(plan, inbox, today(args), url or args.source)
    for path in written:
        print(visible(path.as_posix()))
    skipped = [f"{len(plan.known)} already on the list or in the inbox"]
    if plan.unmatched:
        skipped.append(f"{plan.unmatched} not matching --match")
    if plan.replacements:
        skipped.append(f"{plan.replacements} arXiv replacements")
    if plan.over_limit:
        skipped.append(f"{plan.over_limit} over --limit")
    print(f"{len(candidates)} paper(s) in the feed: wrote {len(written)} candidate(s) to "
          f"{visible(inbox.as_posix())}/; skipped " + ", ".join(skipped), file=sys.stderr)
    if written:
        print("review each one (category, tags, note), then move it to "
              f"{visible(args.papers.as_posix())}/ and run `reading-list check`",
              file=sys.stderr)
    return 0
