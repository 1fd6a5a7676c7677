"""Every private MkDocs and Material API the adapter touches, in one place.

The plugin uses MkDocs' public plugin API wherever it can. A few speed-ups need more: the
checked frame renders Material's template the way MkDocs' ``_build_page`` does and computes
page URLs with ``Page``'s own private setters; the papers' search records go into the
search plugin's index (its ``entries``). Nothing here replaces a MkDocs or Material function
or changes their build's flow. Each such use is a function here,
and :func:`problems` checks that every one of them still exists with the shape we rely on:
``tests/test_compat.py`` fails loudly, naming the MkDocs and Material versions, when an
upgrade moves one. Supported: MkDocs 1.6, Material 9.5 and later 9.x (CI runs both ends).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from typing import Any

from mkdocs.commands import build as _build
from mkdocs.structure.pages import Page

# Page's private URL setters: the same canonical/edit URLs MkDocs computes, without a Page.
set_canonical_url: Callable[..., None] = Page._set_canonical_url
set_edit_url: Callable[..., None] = Page._set_edit_url


@contextmanager
def rendering(config: Any, page: Page) -> Iterator[None]:
    """Mark ``page`` as the page being rendered, as MkDocs' ``_build_page`` does (its
    ``config._current_page`` and ``page.active``), for the duration of a render."""
    config._current_page = page
    page.active = True
    try:
        yield
    finally:
        page.active = False
        config._current_page = None


def set_rendered_title(page: Page, title: str) -> None:
    """Give a page that a dirty build did not render the title its last render found (what
    ``Page.title`` returns after ``render``; MkDocs keeps it in ``_title_from_render``)."""
    page._title_from_render = title


def template_context(nav: Any, files: Any, config: Any, page: Page) -> dict[str, Any]:
    """The template context MkDocs gives a page (``mkdocs.commands.build.get_context``)."""
    return _build.get_context(nav, files, config, page)


def search_indexes(config: Any) -> Iterator[tuple[Any, Any]]:
    """(index, previous index or None) of Material's or MkDocs' search plugin, if enabled."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        if isinstance(getattr(index, "entries", None), list):
            yield index, getattr(plugin, "search_index_prev", None)


def versions() -> str:
    """``MkDocs 1.6.1, Material 9.6.x`` (for messages)."""
    found = []
    for name, dist in (("MkDocs", "mkdocs"), ("Material", "mkdocs-material")):
        try:
            found.append(f"{name} {metadata.version(dist)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} not installed")
    return ", ".join(found)


def problems() -> list[str]:
    """What no longer holds of the private APIs above (empty when all is well)."""
    out = []

    def params(func: Any) -> list[str]:
        try:
            return list(inspect.signature(func).parameters)
        except (TypeError, ValueError):
            return []

    if params(set_canonical_url)[:2] != ["self", "base"]:
        out.append("Page._set_canonical_url(self, base) changed")
    if params(set_edit_url)[:4] != ["self", "repo_url", "edit_uri", "edit_uri_template"]:
        out.append("Page._set_edit_url(self, repo_url, edit_uri, edit_uri_template) changed")
    if params(getattr(_build, "get_context", None))[:4] != ["nav", "files", "config", "page"]:
        out.append("mkdocs.commands.build.get_context(nav, files, config, page) changed")
    if "_title_from_render" not in inspect.getsource(Page):
        out.append("Page no longer keeps the rendered title in _title_from_render")
    if "_current_page" not in inspect.getsource(_build):
        out.append("MkDocs no longer sets config._current_page while building a page")
    try:
        from material.plugins.search.plugin import SearchIndex  # type: ignore[import-untyped]
    except ImportError:
        out.append("material.plugins.search.plugin.SearchIndex is gone")
    else:
        source = inspect.getsource(SearchIndex.__init__)
        if "self.entries" not in source:
            out.append("Material's SearchIndex no longer keeps self.entries")
    try:
        from material.plugins.search import plugin as search_plugin
    except ImportError:
        pass
    else:
        if "search_index_prev" not in inspect.getsource(search_plugin):
            out.append("Material's search plugin no longer keeps search_index_prev")
    return out
