"""The adapter's own writer: the pages made through the checked frame, on both cores.

Paper, author, category and tag pages (``Page.framed``) are thousands of pages alike. MkDocs
knows them as files (so hand-written pages link to them and the sitemap lists them) but does
not render them: :class:`generator.plugin.fastpages.PaperPages` fills the checked frame for
each, and this module writes them. MkDocs' own build is never patched or forked: once the
frame is ready (``on_env``), a forked child of ours (:class:`~.parallel.Background`) writes
every other framed page while MkDocs renders its own pages in this process; this process
writes the rest at ``on_post_build`` and then collects the child's result. The output is the
same in one process or two (a test compares every byte).

``serve`` writes in one process and skips a page whose page object (reused while its inputs
are unchanged, generator/core/cache.py) and frame are those it was written from last time.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..pages import Page
from .fastpages import PaperPages
from .parallel import Background

MIN_PAGES = 400  #: below this, a second process costs more than it saves


@dataclass(frozen=True)
class Job:
    """One framed page to write: where, and the page it is made from."""

    src_uri: str
    dest: str  #: absolute path of the HTML file
    page: Page


def two_processes(workers: int | str, pages: int) -> bool:
    """Whether to write in two processes: ``workers: 2``, or ``auto`` on 2+ cores with
    enough pages (never without ``os.fork``)."""
    if not hasattr(os, "fork") or workers == 1:
        return False
    if workers == "auto":
        return (os.cpu_count() or 1) >= 2 and pages >= MIN_PAGES
    return True


def write(renderer: PaperPages, jobs: Sequence[Job], written: dict[str, Page] | None = None
          ) -> list[str]:
    """Write ``jobs``' pages; with ``written`` (``serve``: the page each file was last
    written from, with this frame), skip pages already on disk as they would be written.
    Returns the source URIs written."""
    done = []
    made_dirs: set[str] = set()
    for job in jobs:
        if written is not None and written.get(job.src_uri) is job.page \
                and os.path.isfile(job.dest):
            continue
        data = renderer.render(job.page)
        folder = os.path.dirname(job.dest)
        if folder not in made_dirs:
            os.makedirs(folder, exist_ok=True)
            made_dirs.add(folder)
        with open(job.dest, "wb") as out:
            out.write(data)
        done.append(job.src_uri)
    return done


class Writer:
    """The framed pages of one build: started at ``on_env``, finished at ``on_post_build``."""

    def __init__(self, renderer: PaperPages, jobs: Sequence[Job], *, parallel: bool,
                 written: dict[str, Page], same_frame: bool,
                 background: Callable[[Callable[[], Any]], Any] | None = None) -> None:
        self.renderer, self.written = renderer, written
        self.pages = {job.src_uri: job.page for job in jobs}
        # A file's last page only tells it is up to date if the frame is the same as then.
        self.reuse = same_frame
        if not same_frame:
            written.clear()
        self.child: Any = None
        self.mine = list(jobs)
        if parallel and len(jobs) > 1:
            theirs, self.mine = self.mine[1::2], self.mine[0::2]
            self.child = (background or Background)(lambda: write(renderer, theirs))

    def finish(self) -> None:
        """Write this process's share and wait for the child's (its error is raised here)."""
        done = write(self.renderer, self.mine, self.written if self.reuse else None)
        if self.child is not None:
            child, self.child = self.child, None
            done += child.result()
        for uri in done:
            self.written[uri] = self.pages[uri]

    def cancel(self) -> None:
        """Stop the child (the build failed)."""
        if self.child is not None:
            self.child.cancel()
            self.child = None
