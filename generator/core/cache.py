"""What one build keeps for the next: the explicit cache.

Loading the list and making the page set are pure functions of their inputs. Doing all of
it again after every edit would make ``reading-list serve`` slow at thousands of papers, so
they take an optional :class:`Cache`: results of the previous build, looked up by the
*content* they were made from (an entry's text, a paper's fields, the taxonomy), never by an
object's address. The owner decides how long it lives: the MkDocs plugin keeps one for its
lifetime (every rebuild of a ``serve`` session), ``reading-list build`` hands the one its
check used to the plugin, so the list is parsed once. ``None`` means pure: nothing is kept.

The cache never changes what is made, only how fast: a test builds cold, edits an entry,
rebuilds warm and compares every byte with a cold build of the edited list
(``tests/test_cache.py``).

Two kinds of store:

* a *room* (:meth:`Cache.room`) is a plain dict kept as it is across builds, for results
  looked up by full content keys (a file's text -> its parse);
* a *generation* (:meth:`Cache.previous` and :meth:`Cache.keep`) holds what the previous
  build made; the current build reads from it and then replaces it with what it used, so
  the store never grows past one build's worth.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class Cache:
    """Results kept from one build to the next, by content."""

    def __init__(self) -> None:
        self._rooms: dict[str, dict[Any, Any]] = {}
        self._generations: dict[str, Mapping[Any, Any]] = {}
        self._tokens: dict[str, tuple[Any, object]] = {}

    def room(self, name: str) -> dict[Any, Any]:
        """A named dict kept across builds (the caller bounds what it puts in)."""
        return self._rooms.setdefault(name, {})

    def previous(self, name: str) -> Mapping[Any, Any]:
        """What the previous build kept under ``name`` (empty at first)."""
        return self._generations.get(name, {})

    def keep(self, name: str, values: Mapping[Any, Any]) -> None:
        """Replace ``name``'s generation with what this build made and used."""
        self._generations[name] = values

    def token(self, name: str, value: Any) -> object:
        """An object standing for ``value`` in cache keys: the same object while ``value``
        is equal to the last one given under ``name`` (compared by ``==``), a new one when
        it changes. Keys then hash one small object instead of, say, a whole taxonomy for
        each of thousands of entries."""
        held = self._tokens.get(name)
        if held is not None and held[0] == value:
            return held[1]
        token = object()
        self._tokens[name] = (value, token)
        return token


def or_fresh(cache: Cache | None) -> Cache:
    """``cache``, or a new empty one that the caller drops afterwards (``None`` = pure)."""
    return cache if cache is not None else Cache()
