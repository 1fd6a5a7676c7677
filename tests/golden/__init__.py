"""The golden fixture site: a small list whose whole built site is committed, so that any
change in the built output shows up in review as a diff (issue 14).

- ``tests/golden/list/``: the list (``mkdocs.yml``, ``papers/``, ``docs/``, a metrics history
  in ``data/metrics.json``), built for the fixed date :data:`DATE`.
- ``tests/golden/expected/site/``: every file of the built site we generate (pages, feeds,
  JSON, BibTeX, OPML, our own scripts and styles), stored in full.
- ``tests/golden/expected/MANIFEST``: ``path sha256 size`` for the files copied verbatim
  (Material's and MkDocs' javascripts, stylesheets, images and lunr files, our vendored
  KaTeX, MkDocs' ``sitemap.xml.gz``), to keep the committed tree small.
- ``tests/golden/expected/VERSIONS``: the MkDocs, Material, Python-Markdown and
  pymdown-extensions versions the theme-rendered files were made with.

``tests/test_golden.py`` builds the list in a subprocess and compares every file. After an
intended change to the output, regenerate the expected tree and review its diff::

    python -m tests.golden --update     # rebuild, print added/removed/changed paths, write
    python -m tests.golden              # only compare and print the differences

The update builds twice and writes nothing if the two builds differ.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
LIST = HERE / "list"
EXPECTED = HERE / "expected"
DATE = "2026-12-01"  #: "today" of the golden build (``reading-list build --date``)

#: The packages whose versions decide the bytes of the theme-rendered files.
ENGINE_PACKAGES = ("mkdocs", "mkdocs-material", "markdown", "pymdown-extensions")

#: Copied verbatim from Material (its bundle, search worker, lunr, stylesheets, favicon).
THEME_ASSETS = ("assets/javascripts/", "assets/stylesheets/", "assets/images/",
                "assets/fonts/")
#: Copied verbatim from our own vendored third-party files (KaTeX): ours, but not ours to
#: review line by line.
VENDORED = ("assets/reading-list/katex/",)
#: Written by MkDocs itself (its sitemap templates and the search plugin's index).
ENGINE_FILES = frozenset({"sitemap.xml", "sitemap.xml.gz", "search/search_index.json"})
#: Material's base template stamps every page it renders with this (redirect pages for
#: renamed ids and slugs are ours and do not carry it).
RENDERED_MARK = b'<meta name="generator" content="mkdocs-'


def hashed(path: str) -> bool:
    """Whether ``path`` is recorded in MANIFEST (sha256 and size) rather than stored."""
    return path.startswith(THEME_ASSETS + VENDORED) or path == "sitemap.xml.gz"


def from_theme(path: str, data: bytes | None) -> bool:
    """Whether the file's bytes depend on the MkDocs/Material version: their assets, their
    sitemap and search index, and every page rendered through Material's templates."""
    if path.startswith(THEME_ASSETS) or path in ENGINE_FILES:
        return True
    return path.endswith(".html") and data is not None and RENDERED_MARK in data


@dataclass(frozen=True)
class Record:
    """One expected file: its bytes (stored in full) or its sha256 and size (MANIFEST)."""

    data: bytes | None = None
    sha256: str = ""
    size: int = 0

    def matches(self, data: bytes) -> bool:
        if self.data is not None:
            return self.data == data
        return len(data) == self.size and hashlib.sha256(data).hexdigest() == self.sha256


@dataclass(repr=False)
class Differences:
    """What differs between a built site and the expected tree (paths relative to the site)."""

    added: list[str] = field(default_factory=list)  #: built, not expected
    removed: list[str] = field(default_factory=list)  #: expected, not built
    changed: list[str] = field(default_factory=list)
    diffs: dict[str, str] = field(default_factory=dict)  #: path -> unified diff (first few)

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def __repr__(self) -> str:  # short: pytest prints it after the report
        return (f"Differences({len(self.added)} added, {len(self.removed)} removed, "
                f"{len(self.changed)} changed)")

    def paths(self) -> set[str]:
        return set(self.added) | set(self.removed) | set(self.changed)

    def summary(self) -> str:
        """One line per differing path: ``+`` added, ``-`` removed, ``~`` changed."""
        lines = [f"+ {p}" for p in self.added] + [f"- {p}" for p in self.removed]
        lines += [f"~ {p}" for p in self.changed]
        return "\n".join(lines)

    def report(self) -> str:
        """The summary, then the unified diffs of the first few changed text files."""
        parts = [f"{len(self.added)} added, {len(self.removed)} removed, "
                 f"{len(self.changed)} changed:", self.summary()]
        parts += [self.diffs[p] for p in self.changed if p in self.diffs]
        return "\n".join(parts)


def read_expected(expected: Path = EXPECTED) -> dict[str, Record]:
    """Every expected file: ``site/`` in full plus the MANIFEST lines."""
    records: dict[str, Record] = {}
    site = expected / "site"
    for path in sorted(site.rglob("*")):
        if path.is_file():
            records[path.relative_to(site).as_posix()] = Record(data=path.read_bytes())
    manifest = expected / "MANIFEST"
    if manifest.is_file():
        for line in manifest.read_text("utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                name, sha256, size = line.rsplit(" ", 2)
                records[name] = Record(sha256=sha256, size=int(size))
    return records


def read_site(site: Path) -> dict[str, bytes]:
    """Every file of a built site, by its path relative to the site."""
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


def _diff(path: str, old: Record, new: bytes, lines: int = 80) -> str:
    """A unified diff of a changed file, cut to ``lines`` lines; one line for binary or
    hashed files."""
    if old.data is None:
        return (f"--- {path}: expected sha256 {old.sha256} ({old.size} bytes), built "
                f"{hashlib.sha256(new).hexdigest()} ({len(new)} bytes)")
    try:
        a, b = old.data.decode("utf-8"), new.decode("utf-8")
    except UnicodeDecodeError:
        return f"--- {path}: binary, {len(old.data)} -> {len(new)} bytes"
    out = list(difflib.unified_diff(a.splitlines(), b.splitlines(), f"expected/{path}",
                                    f"built/{path}", lineterm="", n=2))
    if len(out) > lines:
        out = out[:lines] + [f"... ({len(out) - lines} more diff lines)"]
    return "\n".join(out)


def compare(built: dict[str, bytes], expected: dict[str, Record],
            select: Callable[[str, bytes | None], bool] = lambda path, data: True,
            show: int = 3) -> Differences:
    """Compare the files ``select`` picks (it sees each path with its built or expected
    bytes; a path counts if either side is picked). ``show``: how many text diffs to keep."""

    def picked(path: str) -> bool:
        record = expected.get(path)
        return (path in built and select(path, built[path])) or \
            (record is not None and select(path, record.data))

    result = Differences()
    for path in sorted(set(built) | set(expected)):
        if not picked(path):
            continue
        if path not in expected:
            result.added.append(path)
        elif path not in built:
            result.removed.append(path)
        elif (expected[path].data is None) != hashed(path) or \
                not expected[path].matches(built[path]):
            result.changed.append(path)
            if len(result.diffs) < show:
                result.diffs[path] = _diff(path, expected[path], built[path])
    return result


def ours(path: str, data: bytes | None) -> bool:
    """Files that do not come from the theme's templates: compared on any version."""
    return not from_theme(path, data)


def installed_versions() -> dict[str, str]:
    return {name: metadata.version(name) for name in ENGINE_PACKAGES}


def recorded_versions(expected: Path = EXPECTED) -> dict[str, str]:
    path = expected / "VERSIONS"
    if not path.is_file():
        return {}
    pairs = (line.split() for line in path.read_text("utf-8").splitlines())
    return {p[0]: p[1] for p in pairs if len(p) == 2 and not p[0].startswith("#")}


def version_mismatch(expected: Path = EXPECTED) -> str | None:
    """Why the theme-rendered files cannot be compared here (naming the recorded and the
    installed versions), or None when the versions are the ones recorded."""
    recorded, installed = recorded_versions(expected), installed_versions()
    wrong = [f"{name} {recorded.get(name, '(none)')}, installed {installed[name]}"
             for name in ENGINE_PACKAGES if recorded.get(name) != installed[name]]
    if not wrong:
        return None
    return ("the golden theme-rendered files were recorded with " + "; ".join(wrong) +
            " (our own files are still compared by test_golden_our_files)")


class BuildFailed(RuntimeError):
    """``reading-list build`` of the golden list exited with an error."""


def build(site: Path) -> Path:
    """Build the golden list into ``site`` in a subprocess (``python -m generator build``)
    with the code of this checkout; returns ``site``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in (env.get("PYTHONPATH"),) if p])
    env.pop("SOURCE_DATE_EPOCH", None)  # --date decides the day, not the caller's shell
    env.pop("GITHUB_ACTIONS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "build", "--date", DATE, "--site-dir", str(site)],
        cwd=LIST, env=env, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise BuildFailed(f"golden build failed (exit {proc.returncode}):\n{proc.stderr}")
    return site


def _write_expected(built: dict[str, bytes], expected: Path) -> None:
    site = expected / "site"
    if site.exists():
        shutil.rmtree(site)
    manifest = ["# path sha256 size: files copied verbatim from MkDocs, Material and our "
                "vendored KaTeX (see tests/golden/__init__.py)"]
    for path, data in sorted(built.items()):
        if hashed(path):
            manifest.append(f"{path} {hashlib.sha256(data).hexdigest()} {len(data)}")
        else:
            target = site / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    (expected / "MANIFEST").write_text("\n".join(manifest) + "\n", "utf-8")
    versions = installed_versions()
    (expected / "VERSIONS").write_text(
        "# versions the theme-rendered files were built with\n" +
        "".join(f"{name} {versions[name]}\n" for name in ENGINE_PACKAGES), "utf-8")


def _differing(first: dict[str, bytes], second: dict[str, bytes]) -> list[str]:
    return sorted(p for p in set(first) | set(second) if first.get(p) != second.get(p))


def main(argv: Iterable[str] | None = None) -> int:
    """``python -m tests.golden [--update]``: compare (or regenerate) the golden site."""
    parser = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--update", action="store_true",
                        help="rewrite tests/golden/expected/ from a fresh build")
    args = parser.parse_args(None if argv is None else list(argv))
    with tempfile.TemporaryDirectory(prefix="golden-") as tmp:
        built = read_site(build(Path(tmp) / "site"))
        if args.update:
            again = read_site(build(Path(tmp) / "again"))
            unstable = _differing(built, again)
            if unstable:
                print("two builds differ, nothing written (the output is not deterministic):",
                      *unstable, sep="\n  ", file=sys.stderr)
                return 1
    differences = compare(built, read_expected())
    if not differences:
        print("golden site: no differences")
    else:  # an update prints the paths (git diff shows the rest), a check the diffs too
        print(differences.summary() if args.update else differences.report())
    mismatch = version_mismatch()
    if mismatch:
        print(f"note: {mismatch}", file=sys.stderr)
    if args.update and (differences or mismatch or not (EXPECTED / "VERSIONS").is_file()):
        _write_expected(built, EXPECTED)
        print(f"wrote {EXPECTED.relative_to(ROOT)}: review the diff (git diff --stat "
              f"{EXPECTED.relative_to(ROOT)}) before committing it")
    return 1 if differences and not args.update else 0
