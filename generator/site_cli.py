"""``reading-list build`` and ``serve``: check first, then MkDocs (the only CLI glue that
imports it). A build goes to a temporary folder that replaces the output only on success."""

from __future__ import annotations

import argparse
import calendar
import logging
import os
import shutil
import sys
from pathlib import Path

from .cli import add_papers_options, command, load, load_or_explain, report, today
from .outputs import (
    OutputError,
    build_lock,
    check_site_dir,
    clean_stale,
    source_paths,
    staging_dir,
    swap,
)


def _setup_build(parser: argparse.ArgumentParser) -> None:
    add_papers_options(parser)
    parser.add_argument("--config-file", "-f", type=Path, default=Path("mkdocs.yml"),
                        help="MkDocs config (default: mkdocs.yml)")
    parser.add_argument("--site-dir", type=Path, default=None,
                        help="output folder (default: site_dir of mkdocs.yml, i.e. site/)")
    parser.add_argument("--site-url", default=None,
                        help="override site_url (e.g. the URL GitHub Pages reports)")
    parser.add_argument("--no-strict", dest="strict", action="store_false",
                        help="do not turn MkDocs warnings into errors")


def _epoch(day) -> str:
    return str(calendar.timegm(day.timetuple()))


def _mkdocs_config(args: argparse.Namespace, **overrides):
    from mkdocs.config import load_config

    options = {"config_file": str(args.config_file), **overrides}
    if args.site_url:
        options["site_url"] = args.site_url
    return load_config(**options)


@command("build", _setup_build)
def cmd_build(args: argparse.Namespace) -> int:
    """Check the entries, then build the site (strict); the old site stays on any failure."""
    from mkdocs.exceptions import MkDocsException

    if not args.config_file.is_file():
        print(f"{args.config_file}: no such file (run in the list's folder, or use -f)",
              file=sys.stderr)
        return 2
    collection = load_or_explain(args, "build stopped, nothing was written")
    if collection is None:
        return 1
    day = today(args)
    os.environ["SOURCE_DATE_EPOCH"] = _epoch(day)  # fixes "today" and sitemap dates
    logging.basicConfig(format="%(levelname)-7s -  %(message)s", level=logging.INFO)
    try:
        config = _mkdocs_config(args, strict=args.strict)
    except MkDocsException as exc:
        print(f"{args.config_file}: {exc}", file=sys.stderr)
        return 1
    final = Path(os.path.realpath(args.site_dir or Path(config["site_dir"])))
    root = Path(os.path.realpath(args.config_file)).parent
    sources = source_paths(root, args.papers, config["docs_dir"],
                           config["theme"].custom_dir, args.taxonomy)
    try:
        check_site_dir(args.site_dir or final, root, sources)
        final.parent.mkdir(parents=True, exist_ok=True)
        with build_lock(final):
            clean_stale(final)
            if not _build_into(config, final):
                return 1
    except OutputError as exc:
        print(f"build stopped, nothing was written: {exc}", file=sys.stderr)
        return 1
    pages = sum(1 for _ in final.rglob("index.html"))
    print(f"built {len(collection.papers)} papers into {final} ({pages} pages, date {day})",
          file=sys.stderr)
    return 0


def _build_into(config, final: Path) -> bool:
    """Build into a staging folder beside ``final`` and swap it in; False on a build error
    (reported; the previous site untouched). Call while holding the build lock."""
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    check_site_dir(final, Path(config.config_file_path).parent, ())  # again, under the lock
    staging = staging_dir(final)
    parent = os.getpid()
    try:
        try:
            config["site_dir"] = str(staging)
            build(config)
        except BaseException:
            if os.getpid() != parent:  # the plugin's second rendering process (fork):
                os._exit(1)  # only the parent may touch the staging folder
            raise
    except (MkDocsException, SystemExit) as exc:
        shutil.rmtree(staging, ignore_errors=True)
        message = str(exc) if str(exc) not in ("", "1") else "MkDocs reported errors"
        print(f"build failed: {message}; the previous site was left untouched",
              file=sys.stderr)
        return False
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap(staging, final)
    return True


def _setup_serve(parser: argparse.ArgumentParser) -> None:
    add_papers_options(parser)
    parser.add_argument("--config-file", "-f", type=Path, default=Path("mkdocs.yml"))
    parser.add_argument("--dev-addr", "-a", default="127.0.0.1:8000",
                        help="address to serve on (default: 127.0.0.1:8000)")
    parser.add_argument("--site-url", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--full", action="store_true",
                        help="render every page on each rebuild (slower; exact navigation "
                        "and search index)")


@command("serve", _setup_serve)
def cmd_serve(args: argparse.Namespace) -> int:
    """Preview the site with live reload; rebuilds when an entry or template changes."""
    from mkdocs.commands.serve import serve
    from mkdocs.exceptions import MkDocsException

    collection, problems = load(args)
    report([p for p in problems if p.severity == "error"], "text")
    if args.date:
        os.environ["SOURCE_DATE_EPOCH"] = _epoch(args.date)
    logging.basicConfig(format="%(levelname)-7s -  %(message)s", level=logging.INFO)
    try:
        # Dirty rebuilds: after an edit only the pages whose content changed are rendered
        # again (the plugin tells MkDocs which); the first build is always complete.
        serve(config_file=str(args.config_file), dev_addr=args.dev_addr, livereload=True,
              build_type=None if args.full else "dirty")
    except MkDocsException as exc:
        print(f"serve failed: {exc}", file=sys.stderr)
        return 1
    return 0
