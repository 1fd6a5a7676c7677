"""Use both cores during `mkdocs build` (POSIX only; never during `serve`).

:class:`Background` computes a function in a forked child while the caller goes on (the
plugin has the category and tag pages and the data files made that way while it makes the
rest of the page set).

:class:`Split` renders pages in two processes. MkDocs renders pages one after another. Once
every page is read and the navigation is built (the ``on_env`` event), the build forks: the
child renders every other paper page (files the plugin writes itself, rendering them as
they are written) and two thirds of the category and tag pages, and exits; the parent
renders everything else, including the static files, sitemap and search index (search is
indexed in ``on_page_context``, which both processes run for every page, so the parent's
index is complete). A page a process does not
render gets an empty template, which MkDocs skips without writing; a paper file it does not
write is marked ``skip``. The parent waits for the child at
``on_post_build`` and fails the build if the child failed or, in strict mode, warned. The
output is the same as a one-process build (a test compares every byte).
"""

from __future__ import annotations

import logging
import os
import pickle
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, TypeVar

from . import compat

T = TypeVar("T")

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

    def fork(self, files: Any, config: Any, pages: Iterable[Any],
             papers: Sequence[Any] = ()) -> None:
        """Fork and give each process its pages (``pages``: every documentation page;
        ``papers``: files with ``copy_file(dirty)`` and a ``skip`` flag)."""
        pages = list(pages)
        shared = [p for p in pages if p.meta.get("template") == SHARED_TEMPLATE]
        # The parent also indexes every page for search and writes the static files, so
        # the child takes two of every three shared pages and every other paper file.
        mine = {id(p) for i, p in enumerate(shared) if i % 3}
        my_papers = [f for i, f in enumerate(papers) if i % 2]
        logging.getLogger(compat.BUILD_LOGGER).addFilter(_SkippedPages())
        pid = os.fork()
        if pid == 0:
            self.is_child = True
            # The parent writes static files, theme templates and everything else.

            def copy_my_papers(dirty: bool = False, **_: Any) -> None:
                for file in my_papers:
                    file.copy_file(dirty)

            compat.replace_static_copy(files, copy_my_papers)
            config.theme.static_templates.clear()
            config.extra_templates.clear()
            compat.stop_search_indexing(config)  # the parent builds the search index
            for page in pages:
                if id(page) not in mine:
                    page.meta["template"] = SKIP_TEMPLATE
        else:
            self.child_pid = pid
            for page in shared:
                if id(page) in mine:
                    page.meta["template"] = SKIP_TEMPLATE
            for file in my_papers:
                file.skip = True

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
            _stop(self.child_pid)
            self.child_pid = None


def _stop(pid: int) -> None:
    """Terminate a child and reap it (it may have exited already)."""
    try:
        os.kill(pid, 15)
        os.waitpid(pid, 0)
    except OSError:
        pass


class BackgroundFailed(RuntimeError):
    """The forked child died or could not send its result back."""


class Background(Generic[T]):
    """``fn()`` computed in a forked child while the caller goes on; ``result()`` waits for
    it (its value comes back pickled through a pipe, an exception is raised again here)."""

    def __init__(self, fn: Callable[[], T]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child never returns into the caller's code
            status = 0
            try:
                os.close(read)
                try:
                    outcome: tuple[bool, Any] = (True, fn())
                except Exception as exc:  # noqa: BLE001 - handed to the parent
                    outcome = (False, exc)
                try:
                    data = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # noqa: BLE001 - a value that will not pickle
                    what = outcome[1] if not outcome[0] else exc
                    data = pickle.dumps((False, BackgroundFailed(f"{type(what).__name__}: {what}")))
                with os.fdopen(write, "wb") as out:
                    out.write(data)
            except BaseException:  # noqa: BLE001 - e.g. the parent is gone (broken pipe)
                status = 1
            finally:
                os._exit(status)
        os.close(write)
        self.pid: int | None = pid
        self.read = read

    def result(self) -> T:
        assert self.pid is not None, "result() is read once"
        with os.fdopen(self.read, "rb") as src:
            data = src.read()
        os.waitpid(self.pid, 0)
        self.pid = None
        if not data:
            raise BackgroundFailed("the background process ended without a result")
        ok, value = pickle.loads(data)
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child (the caller failed before it needed the result)."""
        if self.pid is not None:
            _stop(self.pid)
            os.close(self.read)
            self.pid = None
