"""The plugin's options: one MkDocs config class, with bounds, read by the plugin and by every
command that needs the site's settings (digest, metrics, trending).

``mkdocs.yml`` is read once, the same way everywhere: the plugin gets its options validated by
MkDocs; the commands that run without building read the file with MkDocs' own YAML loader
(``!ENV`` and friends work) and validate the ``reading-list`` options with the same class, so a
typo or an out-of-range value is the same clear error in ``build`` and in ``digest``, never a
silent fallback to defaults. :func:`generator.core.config.from_options` turns the validated values
into the core's :class:`~generator.core.config.SiteConfig`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as c

from ..core.config import SiteConfig, from_options

WINDOWS = ("day", "week", "month")


class Bounded(c.Type):
    """A whole number within ``[low, high]`` (bool is not a number here)."""

    def __init__(self, low: int, high: int, default: int) -> None:
        super().__init__(int, default=default)
        self.low, self.high = low, high

    def run_validation(self, value: object) -> int:
        if isinstance(value, bool):
            raise base.ValidationError(f"Expected a whole number, not {value!r}.")
        number = super().run_validation(value)
        if not self.low <= number <= self.high:
            raise base.ValidationError(
                f"Expected a whole number from {self.low} to {self.high}, got {number}.")
        return number


class ReadingListConfig(base.Config):
    """Options of the ``reading-list`` plugin in ``mkdocs.yml`` (documented in docs/fork.md)."""

    papers_dir = c.Type(str, default="papers")
    taxonomy = c.Type(str, default="papers/taxonomy.yml")
    metrics_file = c.Type(str, default="data/metrics.json")
    #: the branch "Edit this entry" links open (repo_url's default branch is usually main)
    edit_branch = c.Type(str, default="main")
    trending_windows = c.ListOfItems(c.Choice(WINDOWS), default=list(WINDOWS))
    trending_default = c.Choice(WINDOWS, default="week")
    trending_limit = Bounded(1, 1000, 50)
    home_trending = Bounded(0, 100, 5)
    home_newest = Bounded(0, 100, 10)
    feed_items = Bounded(1, 1000, 50)
    digest_top = Bounded(1, 100, 10)
    digest_days = Bounded(1, 365, 14)
    page_size = Bounded(5, 1000, 50)
    #: "auto" renders pages on two cores for large builds (POSIX, not during serve); 1 never.
    workers = c.Choice(("auto", 1, 2), default="auto")
    search = c.Choice(("material", "pagefind"), default="material")
    #: "fast": paper pages are the page template rendered once and filled in per paper
    #: (checked against a real render every build); "mkdocs": each goes through MkDocs,
    #: for forks whose other plugins must see every paper page.
    paper_pages = c.Choice(("fast", "mkdocs"), default="fast")
    #: "all": a page for every author; "shared": only for authors of two or more papers on
    #: the list (a large list's authors mostly appear once: thousands of one-card pages);
    #: "none": no author pages, names are plain text.
    author_pages = c.Choice(("all", "shared", "none"), default="all")

    def validate(self) -> tuple[list[Any], list[Any]]:
        failed, warnings = super().validate()
        windows = self.get("trending_windows") or []
        if not failed and not windows:
            failed.append(("trending_windows", base.ValidationError(
                "Expected at least one of day, week, month.")))
        elif not failed and self.get("trending_default") not in windows:
            failed.append(("trending_default", base.ValidationError(
                f"Expected one of trending_windows ({', '.join(windows)}), got "
                f"{self.get('trending_default')!r}.")))
        return failed, warnings


class SettingsError(ValueError):
    """``mkdocs.yml`` cannot be read or its reading-list options are invalid."""


def read_mkdocs_yml(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """``mkdocs.yml``'s top-level values and the plugin's validated options.

    Raises :class:`SettingsError` naming the file and every invalid option."""
    from mkdocs import utils

    from ..core.files import YamlError, read_text

    try:
        text = read_text(path, 1024 * 1024)
    except FileNotFoundError:
        raise SettingsError(f"{path}: no such file (run in the list's folder)") from None
    except (OSError, YamlError) as exc:
        raise SettingsError(f"{path}: cannot read: {getattr(exc, 'message', exc)}") from None
    try:
        data = utils.yaml_load(text) or {}
    except Exception as exc:  # MkDocs' loader raises yaml errors and its own for !ENV
        message = " ".join(str(exc).split())
        raise SettingsError(f"{path}: not valid YAML: {message}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of settings at the top")
    options = _plugin_options(data.get("plugins"), path)
    config = ReadingListConfig(config_file_path=str(path))
    config.load_dict(options)
    failed, warnings = config.validate()
    # An unknown option is a warning to MkDocs (and an error under `build --strict`, the
    # default): here too, rather than a setting silently ignored.
    failed = failed + warnings
    if failed:
        problems = "; ".join(f"{name}: {error}" for name, error in failed)
        raise SettingsError(f"{path}: invalid reading-list option(s): {problems}")
    return data, dict(config)


def _plugin_options(plugins: Any, path: Path) -> dict[str, Any]:
    """The ``reading-list`` entry of ``plugins``, as a list or a mapping (MkDocs takes both)."""
    entries: list[tuple[str, Any]] = []
    if isinstance(plugins, dict):
        entries = list(plugins.items())
    elif isinstance(plugins, list):
        for item in plugins:
            if isinstance(item, str):
                entries.append((item, None))
            elif isinstance(item, dict):
                entries.extend(item.items())
    for name, value in entries:
        if name == "reading-list":
            if value is None:
                return {}
            if not isinstance(value, dict):
                raise SettingsError(f"{path}: the reading-list plugin's options must be a "
                                    "mapping")
            return dict(value)
    return {}


def load_site_config(mkdocs_yml: Path = Path("mkdocs.yml"),
                     site_url: str | None = None) -> SiteConfig:
    """Read ``mkdocs.yml`` for commands that do not build the site, validating the plugin's
    options with the plugin's own config class (:mod:`generator.plugin.settings`): an invalid file
    or option raises :class:`~generator.plugin.settings.SettingsError` (a ValueError) naming it."""
    from ..plugin.settings import read_mkdocs_yml

    data, options = read_mkdocs_yml(mkdocs_yml)
    if site_url is not None:
        data["site_url"] = site_url
    return from_options(mkdocs_yml.parent, data, options)
