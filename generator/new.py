"""``reading-list new DIR``: a fresh list (config, taxonomy, one example paper, workflows,
README) that passes ``check`` and builds as it is, for labs that want none of our papers.

The files live in ``generator/scaffold/`` as they will be written; only a few placeholders
(``__TITLE__`` and friends) are filled in, so the scaffold can be read, linted and tested
as ordinary files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from slugify import slugify

from .cli import command, parse_date, today
from .files import atomic_write

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
#: Where the generator's source lives; the new list's workflows install it from here.
UPSTREAM = "https://github.com/reading-list/reading-list"
DEFAULT_REQUIREMENT = f"reading-list @ git+{UPSTREAM}@main"
UNSAFE_TITLE_CHARS = ("<", ">", '"')


def scaffold_files(root: Path = SCAFFOLD) -> Iterator[tuple[Path, Path]]:
    """(source, relative destination) for every scaffold file, in a stable order."""
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path, path.relative_to(root)


def default_title(folder: Path) -> str:
    """A title from the folder's name: ``ml-security-reading`` -> ``Ml security reading``."""
    words = folder.resolve().name.replace("_", " ").replace("-", " ").split()
    return " ".join(words).capitalize() or "Reading list"


def render(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def make_list(folder: Path, title: str, day: dt.date,
              requirement: str = DEFAULT_REQUIREMENT) -> list[Path]:
    """Write a new list into ``folder`` (missing or empty); return the files written.

    Raises ``FileExistsError`` when ``folder`` is a file or holds anything at all, so
    nobody's work is ever overwritten.
    """
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise FileExistsError(folder)
    title = " ".join(title.split())
    values = {
        # JSON strings are valid YAML double-quoted scalars: any title is safe in mkdocs.yml.
        "__TITLE_YAML__": json.dumps(title, ensure_ascii=False),
        "__TITLE__": title,
        "__SLUG__": slugify(folder.resolve().name) or "reading-list",
        "__DATE__": day.isoformat(),
        "__REQUIREMENT__": requirement,
        "__UPSTREAM__": UPSTREAM,
    }
    written = []
    for source, relative in scaffold_files():
        data = source.read_bytes()
        try:
            content: str | bytes = render(data.decode("utf-8"), values)
        except UnicodeDecodeError:
            content = data
        target = folder / relative
        atomic_write(target, content)
        written.append(target)
    return written


def _setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder for the new list (missing or empty)")
    parser.add_argument("--title", help="the site's name (default: from the folder's name)")
    parser.add_argument("--requirement", default=DEFAULT_REQUIREMENT,
                        help="pip requirement the workflows install the generator from "
                             f"(written to requirements.txt; default: {DEFAULT_REQUIREMENT})")
    parser.add_argument("--date", type=parse_date, default=None,
                        help="the example paper's 'added' date, YYYY-MM-DD (default: today)")


@command("new", _setup)
def cmd_new(args: argparse.Namespace) -> int:
    """Start a new, empty-ish list in DIR: config, taxonomy, one example paper, workflows."""
    title = args.title if args.title is not None else default_title(args.dir)
    if not title.strip():
        print("--title: the title is empty", file=sys.stderr)
        return 2
    if any(ch in title for ch in UNSAFE_TITLE_CHARS):
        # Material writes site_name into HTML attributes unescaped: a quote breaks the header.
        print(f"--title: {title!r} contains one of {' '.join(UNSAFE_TITLE_CHARS)}; the theme "
              "would print it as HTML (write the title without them)", file=sys.stderr)
        return 2
    if "\n" in args.requirement or not args.requirement.strip():
        print("--requirement: one pip requirement on one line, e.g. "
              f"'{DEFAULT_REQUIREMENT}'", file=sys.stderr)
        return 2
    try:
        written = make_list(args.dir, title, today(args), args.requirement.strip())
    except FileExistsError:
        print(f"{args.dir}: not empty; `reading-list new` only writes into a new or empty "
              "folder", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{args.dir}: cannot write the new list: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"created {len(written)} files in {args.dir}", file=sys.stderr)
    print(f"next: cd {args.dir} && reading-list check && reading-list serve\n"
          "then push it to GitHub and set Settings > Pages > Source: GitHub Actions "
          "(README.md has the steps)", file=sys.stderr)
    return 0
