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
import re
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from slugify import slugify

from ..core.entries import load_schema
from ..core.files import atomic_write
from ..core.terminal import is_control, visible
from .cli import parse_date, today

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"
#: Where the generator's source lives; the new list's workflows install it from here unless
#: ``--from`` names another repository (a lab's fork of the generator).
UPSTREAM = "https://github.com/reading-list/reading-list"
#: A repository pip can install from with ``git+``: https or ssh, no credentials, no ref
#: (``@v1.0``, added from ``--ref``), query or fragment, nothing that could break the line.
REPOSITORY_URL = re.compile(
    r"(?:https://|ssh://(?:[A-Za-z0-9._-]+@)?)[A-Za-z0-9.-]+(?::[0-9]+)?"
    r"(?:/[A-Za-z0-9._~-]+)+/?")
#: The copy of the entry schema a new list keeps at its top, for editors (``$schema``).
SCHEMA_FILE = "schema.json"
UNSAFE_TITLE_CHARS = ("<", ">", '"')
#: A git ref that cannot move: a release tag (``v0.1.0``) or a full commit id (SHA-1 or
#: SHA-256). A branch such as ``main`` is refused: the publish workflow installs the
#: generator in the job that holds the SMTP secrets, so whoever can push to that branch
#: would run code with them.
PINNED_REF = re.compile(r"v[0-9][0-9A-Za-z.+-]*|[0-9a-f]{40}|[0-9a-f]{64}")
#: An exact release from a package index: ``reading-list==0.1.0``.
EXACT_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*===?\s*[0-9][\w.+!-]*")
PIN_HINT = ("pin it to a release tag or a commit, e.g. "
            f"'reading-list @ git+{UPSTREAM}@v0.1.0' or '...@<40-hex commit>', "
            "or to an exact version ('reading-list==0.1.0')")


def release_ref() -> str:
    """The release tag of the installed generator: ``v`` and its version (``v0.1.0``).

    Raises ``LookupError`` when the package's metadata is missing (run from a bare source
    tree): then the caller must name a tag or commit itself."""
    try:
        return "v" + metadata.version("reading-list")
    except metadata.PackageNotFoundError:
        raise LookupError("cannot tell this generator's version (it is not installed): "
                          "pass --ref TAG_OR_COMMIT") from None


def requirement_for(ref: str, repository: str = UPSTREAM) -> str:
    """The pip requirement that installs the generator from ``repository`` at ``ref``."""
    return f"reading-list @ git+{repository}@{ref}"


def check_repository(url: str) -> str:
    """``url`` without a trailing slash when pip can install the generator from it with
    ``git+`` and a ref appended; else ``ValueError`` saying what a good one looks like."""
    url = url.strip()
    if not REPOSITORY_URL.fullmatch(url):
        raise ValueError(f"{url!r} is not a repository address pip can install from: write "
                         "https://HOST/OWNER/REPO (or ssh://git@HOST/OWNER/REPO), without "
                         "a tag or branch (--ref names the tag or commit)")
    return url.rstrip("/")


def schema_text() -> str:
    """The entry schema as the site publishes it (``site/schema.json``), so a list's copy
    can be refreshed from a build byte for byte."""
    return json.dumps(load_schema(), indent=2, ensure_ascii=False) + "\n"


def is_pinned(requirement: str) -> bool:
    """Whether ``requirement`` names one immutable version: a VCS URL ending in a tag or a
    commit (``git+https://...@v0.1.0``), or ``name==version``."""
    requirement = requirement.strip()
    if EXACT_VERSION.fullmatch(requirement):
        return True
    _, vcs, url = requirement.partition("git+")
    if not vcs:
        return False
    url = url.split("#", 1)[0].strip()  # "#egg=..." / "#subdirectory=..." fragments
    path = url.split("://", 1)[-1]
    _, at, ref = path.rpartition("@")
    # "git@github.com:..." has an "@" before the path: a ref never holds "/" or ":".
    return bool(at) and "/" not in ref and ":" not in ref and bool(PINNED_REF.fullmatch(ref))


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


def make_list(folder: Path, title: str, day: dt.date, requirement: str | None = None,
              repository: str = UPSTREAM) -> list[Path]:
    """Write a new list into ``folder`` (missing or empty); return the files written.

    ``requirement`` is the line of ``requirements.txt`` the workflows install the generator
    from (default: this release's tag in ``repository``); it must be pinned
    (:func:`is_pinned`), else ``ValueError``. ``repository`` is also where the list's
    comments send readers for the documentation. Raises ``FileExistsError`` when
    ``folder`` is a file or holds anything at all, so nobody's work is ever overwritten.
    """
    repository = check_repository(repository)
    if requirement is None:
        requirement = requirement_for(release_ref(), repository)
    if not is_pinned(requirement) or any(is_control(c) for c in requirement):
        raise ValueError(f"the requirement {requirement!r} can change under you: {PIN_HINT}")
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
        "__UPSTREAM__": repository,
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
    # Entries name it in their first line (`$schema=../schema.json`): a list made here has
    # no generator/ folder, and an editor should validate offline, before anything is built.
    atomic_write(folder / SCHEMA_FILE, schema_text())
    written.append(folder / SCHEMA_FILE)
    return sorted(written)


def _setup(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dir", type=Path, help="folder for the new list (missing or empty)")
    parser.add_argument("--title", help="the site's name (default: from the folder's name)")
    parser.add_argument("--ref", default=None, metavar="TAG_OR_COMMIT",
                        help="the generator's release tag or commit id the workflows install "
                             "(default: this version's tag, e.g. v0.1.0; never a branch)")
    parser.add_argument("--from", dest="repository", default=UPSTREAM, metavar="REPO_URL",
                        help="the generator's repository the workflows install from, e.g. "
                             "your lab's fork https://github.com/our-lab/reading-list "
                             f"(default: {UPSTREAM})")
    parser.add_argument("--requirement", default=None,
                        help="instead of --ref: the whole pip requirement, pinned to a tag, "
                             "a commit or an exact version (written to requirements.txt)")
    parser.add_argument("--date", type=parse_date, default=None,
                        help="the example paper's 'added' date, YYYY-MM-DD (default: today)")


def cmd_new(args: argparse.Namespace) -> int:
    """Start a new, empty-ish list in DIR: config, taxonomy, one example paper, workflows."""
    title = args.title if args.title is not None else default_title(args.dir)
    folder = visible(args.dir)
    if not title.strip():
        print("--title: the title is empty", file=sys.stderr)
        return 2
    if any(ch in title for ch in UNSAFE_TITLE_CHARS):
        # Material writes site_name into HTML attributes unescaped: a quote breaks the header.
        print(f"--title: {title!r} contains one of {' '.join(UNSAFE_TITLE_CHARS)}; the theme "
              "would print it as HTML (write the title without them)", file=sys.stderr)
        return 2
    if any(is_control(ch) for ch in " ".join(title.split())):  # line breaks become spaces
        print(f"--title: {title!r} contains a control character (write it as plain text)",
              file=sys.stderr)
        return 2
    if args.requirement is not None and args.ref is not None:
        print("--ref and --requirement: give one of them", file=sys.stderr)
        return 2
    if args.requirement is not None and args.repository != UPSTREAM:
        print("--from and --requirement: give one of them (the requirement names the "
              "repository itself)", file=sys.stderr)
        return 2
    try:
        repository = check_repository(args.repository)
    except ValueError as exc:
        print(f"--from: {visible(exc)}", file=sys.stderr)
        return 2
    try:
        if args.requirement is not None:
            requirement = args.requirement.strip()
            if not requirement or any(is_control(ch) for ch in requirement):
                raise ValueError(f"one pip requirement on one line: {PIN_HINT}")
        else:
            ref = args.ref.strip() if args.ref is not None else release_ref()
            if not PINNED_REF.fullmatch(ref):
                raise ValueError(f"{ref!r} is not a release tag (v0.1.0) or a full commit id; "
                                 "a branch moves, and the workflows would install whatever "
                                 "it holds next")
            requirement = requirement_for(ref, repository)
        written = make_list(args.dir, title, today(args), requirement, repository)
    except (ValueError, LookupError) as exc:
        option = "--requirement" if args.requirement is not None else "--ref"
        print(f"{option}: {visible(exc)}", file=sys.stderr)
        return 2
    except FileExistsError:
        print(f"{folder}: not empty; `reading-list new` only writes into a new or empty "
              "folder", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{folder}: cannot write the new list: {exc.strerror or exc}", file=sys.stderr)
        return 1
    print(f"created {len(written)} files in {folder}; the workflows install "
          f"{visible(requirement)}", file=sys.stderr)
    print(f"next: cd {folder} && reading-list check && reading-list serve\n"
          "then push it to GitHub and set Settings > Pages > Source: GitHub Actions "
          "(README.md has the steps)", file=sys.stderr)
    return 0
