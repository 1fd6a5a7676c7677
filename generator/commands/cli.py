"""The ``reading-list`` command. Thin: parses arguments, reads the clock, calls the core."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core import clock
from ..core.cache import Cache
from ..core.entries import Collection, Problem, load_collection
from ..core.files import iter_entry_files

Command = Callable[[argparse.Namespace], int]


@dataclass(frozen=True)
class Entry:
    """One subcommand: the module holding it, its argument setup and run functions, and the
    one-line summary ``reading-list --help`` shows (the run function's docstring says the
    same; a test holds them equal)."""

    module: str
    setup: str
    run: str
    summary: str


#: Every subcommand, in the order ``--help`` lists them. A command's module is imported only
#: when that command runs, so `reading-list check` does not pay for MkDocs or the network.
COMMANDS: dict[str, Entry] = {
    "check": Entry("generator.commands.cli", "_check_setup", "cmd_check",
                   "Validate entries and the taxonomy; print every problem; exit 1 on any error."),
    "build": Entry("generator.commands.site", "_setup_build", "cmd_build",
                   "Check the entries, then build the site (strict); the old site stays on any "
                   "failure."),
    "serve": Entry("generator.commands.site", "_setup_serve", "cmd_serve",
                   "Preview the site with live reload; rebuilds when an entry or template "
                   "changes."),
    "add": Entry("generator.commands.add", "_setup", "cmd_add",
                 "Add a paper from an arXiv id or URL (or --doi, or --manual) as "
                 "papers/<id>.yaml."),
    "import": Entry("generator.commands.importing", "_import_setup", "cmd_import",
                    "Bring papers in from a bibliography (BibTeX, CSL-JSON, RIS, CSV, "
                    "awesome-list) or an arXiv feed; entries go to papers/inbox/ for review "
                    "unless --into says otherwise."),
    "enrich": Entry("generator.commands.enrich", "_setup", "cmd_enrich",
                    "Fill in missing abstracts, authors, dates, venues, DOIs and code links from "
                    "the web."),
    "metrics": Entry("generator.commands.metrics", "_metrics_setup", "cmd_metrics",
                     "Fetch popularity signals (citations, upvotes, stars) into the metrics "
                     "history."),
    "trending": Entry("generator.commands.metrics", "_trending_setup", "cmd_trending",
                      "Print the trending ranking (the trending page's rows) as a table."),
    "digest": Entry("generator.commands.digest", "_digest_setup", "cmd_digest",
                    "Render the daily digest email (trending top N and new papers); --send "
                    "delivers it."),
    "new": Entry("generator.commands.new", "_setup", "cmd_new",
                 "Start a new, empty-ish list in DIR: config, taxonomy, one example paper, "
                 "workflows."),
}


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def today(args: argparse.Namespace) -> dt.date:
    """``--date``, else ``SOURCE_DATE_EPOCH``, else the real date (see :mod:`.clock`)."""
    return clock.today(getattr(args, "date", None) or None)


def add_papers_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--papers", type=Path, default=Path("papers"),
                        help="folder of entries (default: papers)")
    parser.add_argument("--taxonomy", type=Path, default=None,
                        help="taxonomy file (default: PAPERS/taxonomy.yml)")
    parser.add_argument("--date", type=parse_date, default=None,
                        help="today's date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH or today)")


def load(args: argparse.Namespace, paths: Sequence[Path] = (), cache: Cache | None = None
         ) -> tuple[Collection | None, list[Problem]]:
    """Load the entries named by ``paths`` (files or folders; default ``--papers``);
    ``cache``: keep the parses for a later load (build's check, then its plugin)."""
    files: list[Path] = []
    missing: list[Problem] = []
    for path in paths or [args.papers]:
        if path.is_dir():
            files.extend(iter_entry_files(path))
        elif path.is_file():
            if path.name not in ("taxonomy.yml", "taxonomy.yaml"):
                files.append(path)
        else:
            missing.append(Problem(str(path), 1, 1, "no such file or folder"))
    taxonomy = args.taxonomy or args.papers / "taxonomy.yml"
    collection, problems = load_collection(sorted(set(files)), taxonomy, today(args),
                                           root=Path.cwd(), cache=cache)
    return (None if missing else collection), missing + problems


def load_or_explain(args: argparse.Namespace, stopped: str = "cannot load the entries",
                    cache: Cache | None = None) -> Collection | None:
    """The collection, or None after printing its errors and what stopped (for commands
    that need a valid list: build, trending, digest, ...)."""
    collection, problems = load(args, cache=cache)
    errors = [p for p in problems if p.severity == "error"]
    if errors or collection is None:
        report(errors, "text")
        print(f"{stopped}: {len(errors)} error(s) in the entries; run `reading-list check`",
              file=sys.stderr)
        return None
    return collection


def report(problems: Sequence[Problem], fmt: str, stream=None) -> None:
    """Print problems in the plain or GitHub-annotation format."""
    stream = stream or sys.stderr
    for problem in problems:
        print(problem.format_github() if fmt == "github" else problem.format(), file=stream)


def _check_setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path,
                        help="entry files or folders (default: the papers folder)")
    add_papers_options(parser)
    parser.add_argument("--format", choices=["text", "github"],
                        default="github" if os.environ.get("GITHUB_ACTIONS") == "true"
                        else "text", help="problem format (github: workflow annotations)")
    parser.add_argument("--quiet", "-q", action="store_true", help="hide warnings")


def cmd_check(args: argparse.Namespace) -> int:
    """Validate entries and the taxonomy; print every problem; exit 1 on any error."""
    collection, problems = load(args, args.paths)
    shown = [p for p in problems if not (args.quiet and p.severity == "warning")]
    report(shown, args.format, sys.stdout if args.format == "github" else sys.stderr)
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if errors or collection is None:
        print(f"check failed: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
        return 1
    print(f"{len(collection.papers)} entries OK ({warnings} warning(s))", file=sys.stderr)
    return 0


def resolve(name: str) -> tuple[Callable[[argparse.ArgumentParser], None], Command]:
    """The setup and run functions of the subcommand ``name`` (imports its module)."""
    import importlib

    entry = COMMANDS[name]
    module = importlib.import_module(entry.module)
    return getattr(module, entry.setup), getattr(module, entry.run)


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argument parser; only the subcommand named in ``argv`` gets its arguments (and
    its module imported): the others are listed with their summaries."""
    parser = argparse.ArgumentParser(
        prog="reading-list",
        description="Build and maintain a curated reading list of research papers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, entry in COMMANDS.items():
        child = sub.add_parser(name, help=entry.summary, description=entry.summary)
        if name == chosen:
            setup, run = resolve(name)
            setup(child)
            child.set_defaults(func=run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reading-list`` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `reading-list check | head`: the reader went away
        sys.stderr.close()
        return 1


if __name__ == "__main__":
    # Run as `python -m generator.commands.cli`, this file is `__main__`: dispatch through the
    # importable `generator.commands.cli`, which the command modules import their helpers from.
    from .cli import main as _main

    sys.exit(_main())
