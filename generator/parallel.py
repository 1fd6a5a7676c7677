"""Render pages on two cores during `mkdocs build` (POSIX only; never during `serve`).

MkDocs renders pages one after another. Once every page is read and the navigation is
built (the ``on_env`` event), the build forks: the child renders half of the paper, category
and tag pages and exits; the parent renders everything else, including the static files,
sitemap and search index (search is indexed in ``on_page_context``, which both processes run
for every page, so the parent's index is complete). A page a process does not render gets
an empty template, which MkDocs skips without writing. The parent waits for the child at
``on_post_build`` and fails the build if the child failed or, in strict mode, warned. The
output is the same as a one-process build (a test compares every byte).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from typing import Any

SKIP_TEMPLATE = "reading-list-skip.html"
SHARED_TEMPLATE = "reading-list-paper.html"  #: pages of this template are split
MIN_PAGES = 400  #: below this, a second process costs more than it saves


class _SkippedPages(logging.Filter):
    """Hide MkDocs' "Page skipped ... empty output" lines for the other process's pages."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Generated empty output" not in record.getMessage()


class Split:
    """One forked build: which process renders which page, and the child's pid."""

    def __init__(self) -> None:
        self.child_pid: int | None = None
        self.is_child = False

    @staticmethod
    def wanted(workers: int | str, pages: int) -> bool:
        """Whether to fork: ``workers: 2``, or ``auto`` on 2+ cores with enough pages."""
        if not hasattr(os, "fork") or workers == 1:
            return False
        if workers == "auto":
            return (os.cpu_count() or 1) >= 2 and pages >= MIN_PAGES
        return True

    def fork(self, files: Any, config: Any, pages: Iterable[Any]) -> None:
        """Fork and give each process its pages (``pages``: every documentation page)."""
        shared = [p for p in pages if p.meta.get("template") == SHARED_TEMPLATE]
        # The parent also indexes every page for search and writes the static files, so
        # the child takes two of every three shared pages.
        mine = {id(p) for i, p in enumerate(shared) if i % 3}
        logging.getLogger("mkdocs.commands.build").addFilter(_SkippedPages())
        pid = os.fork()
        if pid == 0:
            self.is_child = True
            # The parent writes static files, theme templates and everything else.
            files.copy_static_files = lambda *args, **kwargs: None
            config.theme.static_templates.clear()
            config.extra_templates.clear()
            for plugin in config.plugins.values():  # the parent builds the search index
                index = getattr(plugin, "search_index", None)
                if index is not None and hasattr(index, "add_entry_from_context"):
                    index.add_entry_from_context = lambda page: None
            for page in pages:
                if id(page) not in mine:
                    page.meta["template"] = SKIP_TEMPLATE
        else:
            self.child_pid = pid
            for page in shared:
                if id(page) in mine:
                    page.meta["template"] = SKIP_TEMPLATE

    def child_done(self, strict: bool) -> None:
        """In the child, at the end of its pages: exit (0, or 2 if strict and warned)."""
        warned = any(getattr(h, "counts", None) for h in logging.getLogger("mkdocs").handlers)
        logging.shutdown()
        os._exit(2 if strict and warned else 0)

    def child_failed(self) -> None:
        """In the child, on any build error: exit at once (never run the parent's cleanup)."""
        os._exit(1)

    def wait(self) -> str | None:
        """In the parent: wait for the child; a message if it did not succeed."""
        if self.child_pid is None:
            return None
        _, status = os.waitpid(self.child_pid, 0)
        self.child_pid = None
        code = os.waitstatus_to_exitcode(status)
        if code == 0:
            return None
        return ("the second rendering process " +
                ("reported warnings in strict mode" if code == 2 else f"failed (exit {code})"))

    def abandon(self) -> None:
        """In the parent, on a build error: stop and reap the child."""
        if self.child_pid is not None:
            try:
                os.kill(self.child_pid, 15)
                os.waitpid(self.child_pid, 0)
            except OSError:
                pass
            self.child_pid = None
