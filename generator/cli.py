"""The ``reading-list`` command. Thin: parses arguments, reads the clock, calls the core."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .entries import Collection, Problem, load_collection
from .files import iter_entry_files

Command = Callable[[argparse.Namespace], int]
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Command]] = {}


def command(name: str, setup: Callable[[argparse.ArgumentParser], None]):
    """Register a subcommand: ``setup`` adds its arguments, the function runs it."""

    def register(func: Command) -> Command:
        COMMANDS[name] = (setup, func)
        return func

    return register


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)") from None


def today(args: argparse.Namespace) -> dt.date:
    """``--date``, else ``SOURCE_DATE_EPOCH``, else the real date (the only clock read)."""
    if getattr(args, "date", None):
        return args.date
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date.today()


def add_papers_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--papers", type=Path, default=Path("papers"),
                        help="folder of entries (default: papers)")
    parser.add_argument("--taxonomy", type=Path, default=None,
                        help="taxonomy file (default: PAPERS/taxonomy.yml)")
    parser.add_argument("--date", type=parse_date, default=None,
                        help="today's date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH or today)")


def load(args: argparse.Namespace, paths: Sequence[Path] = ()) -> tuple[Collection | None,
                                                                          list[Problem]]:
    """Load the entries named by ``paths`` (files or folders; default ``--papers``)."""
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
                                           root=Path.cwd())
    return (None if missing else collection), missing + problems


def load_or_explain(args: argparse.Namespace,
                    stopped: str = "cannot load the entries") -> Collection | None:
    """The collection, or None after printing its errors and what stopped (for commands
    that need a valid list: build, trending, digest, ...)."""
    collection, problems = load(args)
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


@command("check", _check_setup)
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="reading-list",
        description="Build and maintain a curated reading list of research papers.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, (setup, func) in COMMANDS.items():
        doc = (func.__doc__ or "").strip().splitlines()[0]
        child = sub.add_parser(name, help=doc, description=doc)
        setup(child)
        child.set_defaults(func=func)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``reading-list`` console script."""
    _load_commands()
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `reading-list check | head`: the reader went away
        sys.stderr.close()
        return 1


# Modules that register further subcommands with @command (imported lazily, so that
# `reading-list check` does not pay for MkDocs or network clients).
COMMAND_MODULES: tuple[str, ...] = ("generator.site_cli", "generator.trending_cli",
                                     "generator.feeds_cli", "generator.new", "generator.add",
                                     "generator.enrich")


def _load_commands() -> None:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module)


if __name__ == "__main__":
    # Run as `python -m generator.cli`, this file is `__main__`; the subcommands register in
    # the importable `generator.cli`, so dispatch through that module.
    from generator.cli import main as _main

    sys.exit(_main())
