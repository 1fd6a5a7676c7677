"""``reading-list build`` and ``serve``: check first, then MkDocs (the only CLI glue that
imports it). A build goes to a temporary folder that replaces the output only on success."""

from __future__ import annotations

import argparse
import calendar
import errno
import ipaddress
import logging
import os
import shutil
import socket
import sys
from pathlib import Path

from ..core.cache import Cache
from ..core.terminal import visible
from ..plugin import engine
from ..plugin.outputs import (
    OutputError,
    build_lock,
    check_site_dir,
    clean_stale,
    source_paths,
    staging_dir,
    swap,
)
from .cli import add_papers_options, load, load_or_explain, report, today


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
    if args.site_url:
        overrides["site_url"] = args.site_url
    return engine.load(str(args.config_file), **overrides)


def cmd_build(args: argparse.Namespace) -> int:
    """Check the entries, then build the site (strict); the old site stays on any failure."""
    MkDocsException = engine.engine_error()  # noqa: N806 - an exception class

    if not args.config_file.is_file():
        print(f"{args.config_file}: no such file (run in the list's folder, or use -f)",
              file=sys.stderr)
        return 2
    # The plugin reuses what the check parsed: the list is read once.
    cache = Cache()
    collection = load_or_explain(args, "build stopped, nothing was written", cache)
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
            if not _build_into(config, final, cache):
                return 1
    except OutputError as exc:
        print(f"build stopped, nothing was written: {exc}", file=sys.stderr)
        return 1
    pages = sum(1 for _ in final.rglob("index.html"))
    print(f"built {len(collection.papers)} papers into {final} ({pages} pages, date {day})",
          file=sys.stderr)
    return 0


def _build_into(config, final: Path, cache: Cache | None = None) -> bool:
    """Build into a staging folder beside ``final`` and swap it in; False on a build error
    (reported; the previous site untouched). Call while holding the build lock."""
    MkDocsException = engine.engine_error()  # noqa: N806 - an exception class

    check_site_dir(final, Path(config.config_file_path).parent, ())  # again, under the lock
    staging = staging_dir(final)
    try:
        config["site_dir"] = str(staging)
        engine.build(config, cache)
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


def _split_addr(dev_addr: str) -> tuple[str, int] | None:
    """``(host, port)`` of a ``--dev-addr`` as MkDocs reads it (``HOST:PORT``, an IPv6
    host in brackets), or ``None`` when MkDocs would refuse it (it then says why)."""
    host, sep, port = dev_addr.rpartition(":")
    if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
        return None
    host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if host != "localhost":
        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            return None
    return host, int(port)


def _show_addr(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _bind_error(host: str, port: int) -> OSError | None:
    """Why MkDocs' server could not listen on ``host:port`` now, or ``None`` if it can.

    Binds the way its server does (``SO_REUSEADDR``, the host's address family) and lets
    go at once: a few milliseconds, against a whole build before MkDocs finds out."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_STREAM) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as exc:
        return exc
    return None


def _address_message(dev_addr: str, error: OSError) -> str:
    """One line saying why ``serve`` cannot listen there and what to run instead."""
    parsed = _split_addr(dev_addr)
    if error.errno == errno.EADDRINUSE and parsed is not None:
        host, port = parsed
        # Offer a port that is free now, not just the next number.
        free = next((p for p in range(port + 1, min(port + 50, 65535) + 1)
                     if _bind_error(host, p) is None), port + 1)
        return (f"serve: {_show_addr(host, port)} is in use; stop the other server or pass "
                f"--dev-addr {_show_addr(host, free)}")
    reason = error.strerror or str(error)
    return (f"serve: cannot listen on {visible(dev_addr)}: {reason} (pass --dev-addr "
            "127.0.0.1:PORT with a free port)")


def cmd_serve(args: argparse.Namespace) -> int:
    """Preview the site with live reload; rebuilds when an entry or template changes."""
    MkDocsException = engine.engine_error()  # noqa: N806 - an exception class

    parsed = _split_addr(args.dev_addr)
    error = _bind_error(*parsed) if parsed is not None else None
    if error is not None:
        print(_address_message(args.dev_addr, error), file=sys.stderr)
        return 1
    collection, problems = load(args)
    report([p for p in problems if p.severity == "error"], "text")
    if args.date:
        os.environ["SOURCE_DATE_EPOCH"] = _epoch(args.date)
    logging.basicConfig(format="%(levelname)-7s -  %(message)s", level=logging.INFO)
    try:
        # Dirty rebuilds: after an edit only the pages whose content changed are rendered
        # again (the plugin tells MkDocs which); the first build is always complete.
        engine.serve(str(args.config_file), args.dev_addr, dirty=not args.full)
    except MkDocsException as exc:
        print(f"serve failed: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:  # only the bind: other errors keep their trace
            raise
        # Taken between the check above and MkDocs' own bind, after the first build.
        print(_address_message(args.dev_addr, exc), file=sys.stderr)
        return 1
    return 0
