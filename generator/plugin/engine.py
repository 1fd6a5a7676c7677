"""The MkDocs calls behind ``reading-list build`` and ``serve``: loading the config, one
build, a serve session. The commands call these and never import MkDocs themselves."""

from __future__ import annotations

from typing import Any

from ..core.cache import Cache


def engine_error() -> type[Exception]:
    """The exception MkDocs raises for a config or build error (``MkDocsException``)."""
    from mkdocs.exceptions import MkDocsException

    return MkDocsException


def load(config_file: str, **overrides: Any) -> Any:
    """mkdocs.yml loaded and validated by MkDocs (plugins included)."""
    from mkdocs.config import load_config

    return load_config(config_file=config_file, **overrides)


def build(config: Any, cache: Cache | None = None) -> None:
    """One build into ``config.site_dir``. As `mkdocs build` does, the plugins are told it
    is a build: MkDocs keeps plugin instances for the whole process (for serve's
    rebuilds), so a build after a serve session in the same process would otherwise carry
    on in serve mode. ``cache`` (a :class:`generator.core.cache.Cache`, e.g. the one the
    command's check loaded the list with) becomes the reading-list plugin's cache."""
    from mkdocs.commands.build import build as mkdocs_build

    from . import ReadingListPlugin

    if cache is not None:
        for plugin in config.plugins.values():
            if isinstance(plugin, ReadingListPlugin):
                plugin.cache = cache

    config.plugins.on_startup(command="build", dirty=False)
    try:
        mkdocs_build(config)
    finally:
        config.plugins.on_shutdown()


def serve(config_file: str, dev_addr: str, dirty: bool) -> None:
    """A live-reloading preview; with ``dirty`` only changed pages are rendered again."""
    from mkdocs.commands.serve import serve as mkdocs_serve

    mkdocs_serve(config_file=config_file, dev_addr=dev_addr, livereload=True,
                 build_type="dirty" if dirty else None)
