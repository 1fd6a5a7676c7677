"""Where a build may write, and how it replaces the previous site without losing anything.

A build replaces its output folder as a whole, so a mistyped ``--site-dir`` (``.``,
``papers``, ``docs``) would delete the sources. This module decides, before anything is
written, whether a folder may be replaced:

- never the project, a folder holding it, or a folder that is, holds or sits inside one of
  the sources (entries, docs, the metrics history, templates, ``mkdocs.yml``, ``.git``);
- an existing folder only when it is empty or a previous build wrote it (it carries the
  :data:`MARKER` file; a site written before markers existed is recognised by the files
  every build writes).

Builds into the same folder take a lock, so two at once cannot tangle their renames, and the
temporary folders of a build that was killed are removed by the next one.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

#: The file each build leaves in its output: "this folder was written by reading-list and may
#: be replaced by the next build". Published with the site; it holds no secret.
MARKER = ".reading-list-site"
MARKER_TEXT = ("This folder was written by `reading-list build`; the next build replaces it.\n"
               "Remove this file to keep the next build from replacing the folder.\n")
#: Files every build of this tool has written: a site from before markers existed.
_LEGACY_SIGNATURE = ("index.html", "papers.json", "feed.xml", "sitemap.xml")


class OutputError(Exception):
    """The output folder must not be used; the message says why and what to do."""


def source_paths(root: Path, *others: Path | str | None) -> list[Path]:
    """The project's sources a build must never replace: the given folders and files plus
    ``mkdocs.yml``, ``.git``, ``papers``, ``docs``, ``data`` and ``site_templates``."""
    names = ["mkdocs.yml", ".git", "papers", "docs", "data", "site_templates"]
    found = [root / n for n in names] + [Path(o) for o in others if o]
    return sorted({_real(p) for p in found})


def check_site_dir(site_dir: Path, root: Path, sources: Iterable[Path]) -> None:
    """Raise :class:`OutputError` when replacing ``site_dir`` could lose a source or a
    folder this tool did not write."""
    site, project = _real(site_dir), _real(root)
    shown = str(site_dir)
    if site == project or project.is_relative_to(site):
        raise OutputError(f"--site-dir {shown}: the output folder would hold the project "
                          f"({project}); a build replaces its output folder as a whole "
                          "(use a folder of its own, e.g. site)")
    for source in sources:
        if site == source or source.is_relative_to(site):
            raise OutputError(f"--site-dir {shown}: the output folder would replace "
                              f"{_rel(source, project)}, a source of the list "
                              "(use a folder of its own, e.g. site)")
        if site.is_relative_to(source) and source != project:
            raise OutputError(f"--site-dir {shown}: the output folder is inside "
                              f"{_rel(source, project)}, a source of the list "
                              "(use a folder of its own, e.g. site)")
    if site.exists() and not site.is_dir():
        raise OutputError(f"--site-dir {shown}: is a file, not a folder "
                          "(remove it or choose another folder)")
    if site.is_dir() and not is_replaceable(site):
        raise OutputError(f"--site-dir {shown}: the folder exists and was not written by "
                          f"reading-list build (no {MARKER} file in it); a build replaces "
                          "its output folder as a whole (choose an empty or new folder, or "
                          "empty this one yourself)")


def is_replaceable(folder: Path) -> bool:
    """True for an empty folder or one a build wrote."""
    try:
        entries = os.listdir(folder)
    except FileNotFoundError:
        return True
    if not entries or MARKER in entries:
        return True
    return all(name in entries for name in _LEGACY_SIGNATURE)


def mark(folder: Path) -> None:
    """Leave the marker that lets the next build replace ``folder``."""
    (folder / MARKER).write_text(MARKER_TEXT, encoding="utf-8")


def staging_dir(final: Path) -> Path:
    """A new empty folder beside ``final`` to build into (renamed over it on success)."""
    return Path(tempfile.mkdtemp(prefix=f".{final.name}.staging-", dir=final.parent))


def clean_stale(final: Path) -> list[Path]:
    """Remove what killed builds into ``final`` left beside it (staging and old folders).

    Call only while holding :func:`build_lock` for ``final``: then no other build is using
    them. Only names this module makes are touched."""
    pattern = re.compile(rf"^\.{re.escape(final.name)}\.(staging-[A-Za-z0-9_]{{8}}|old)$")
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for name in sorted(os.listdir(final.parent)):
            path = final.parent / name
            if pattern.match(name) and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


@contextlib.contextmanager
def build_lock(final: Path) -> Iterator[None]:
    """Hold an exclusive lock for builds into ``final`` (on its parent folder, so no lock
    file is left behind); a second build at the same time gets a clear error at once."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; builds there are one at a time anyway
        yield
        return
    fd = os.open(final.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(f"another build is writing into {final.parent} right now "
                              "(wait for it to finish, then build again)") from None
        yield
    finally:
        os.close(fd)  # closing releases the lock


def swap(staging: Path, final: Path) -> None:
    """Replace ``final`` with ``staging``: a rename each, so readers never see half a site."""
    os.chmod(staging, 0o777 & ~_umask())
    old = None
    if final.exists():
        old = final.with_name(f".{final.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        final.rename(old)
    staging.rename(final)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _real(path: Path) -> Path:
    return Path(os.path.realpath(path))


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root)) or "."
    except ValueError:
        return str(path)
