"""Use the second core for our own work (POSIX only; never during `serve`).

:class:`Background` computes a function in a forked child while the caller goes on: the
plugin has the category and tag pages and the data files made that way while it makes the
rest of the page set, and its writer (generator/plugin/writer.py) has every other framed
page written that way while MkDocs renders its own pages. The child runs only the function
it was given and exits; MkDocs' build is never forked or patched.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

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
