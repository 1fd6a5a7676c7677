"""Site settings, read from ``mkdocs.yml`` (the one file a fork edits).

The MkDocs plugin and the CLI commands that run without MkDocs (digest, metrics, trending)
both build a :class:`SiteConfig`, so they agree on folders, URLs and sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SiteConfig:
    """Everything the core needs to know about the site (no MkDocs objects)."""

    site_name: str = "Reading list"
    site_url: str = ""  #: absolute base URL, ending in "/"; required for feeds
    site_description: str = ""
    site_author: str = ""
    repo_url: str = ""  #: e.g. https://github.com/org/list, for edit and issue links
    edit_branch: str = "main"
    root: Path = Path(".")  #: the project folder (where mkdocs.yml is)
    papers_dir: str = "papers"
    taxonomy: str = "papers/taxonomy.yml"
    metrics_file: str = "data/metrics.json"
    trending_windows: tuple[str, ...] = ("day", "week", "month")
    trending_default: str = "week"
    trending_limit: int = 50
    home_trending: int = 5
    home_newest: int = 10
    feed_items: int = 50
    digest_top: int = 10
    digest_days: int = 14
    page_size: int = 50  #: papers per category/tag page before paginating
    search: str = "material"  #: "material" (one JSON index) or "pagefind" (chunked, large lists)
    #: which authors get a page at /authors/<slug>/: "all", "shared" (authors of two or more
    #: papers on the list: most authors of a large list appear once) or "none"
    author_pages: str = "all"

    @property
    def papers_path(self) -> Path:
        return self.root / self.papers_dir

    @property
    def taxonomy_path(self) -> Path:
        return self.root / self.taxonomy

    @property
    def metrics_path(self) -> Path:
        return self.root / self.metrics_file

    def absolute(self, path: str) -> str:
        """An absolute URL for a site path such as ``papers/x/`` (needs ``site_url``)."""
        return self.site_url.rstrip("/") + "/" + path.lstrip("/")

    def edit_url(self, source: str) -> str | None:
        """The repository URL that edits a source file (None without ``repo_url``)."""
        if not self.repo_url:
            return None
        return f"{self.repo_url.rstrip('/')}/edit/{self.edit_branch}/{source}"


PLUGIN_KEYS = {f.name for f in fields(SiteConfig)} - {
    "site_name", "site_url", "site_description", "site_author", "repo_url", "root"}


def from_options(root: Path, mkdocs: dict[str, Any], options: dict[str, Any]) -> SiteConfig:
    """Build a config from mkdocs.yml's top-level values and the plugin's options."""
    site_url = str(mkdocs.get("site_url") or "")
    if site_url and not site_url.endswith("/"):
        site_url += "/"
    values: dict[str, Any] = {k: v for k, v in options.items() if k in PLUGIN_KEYS}
    if "trending_windows" in values:
        values["trending_windows"] = tuple(values["trending_windows"])
    return SiteConfig(
        site_name=str(mkdocs.get("site_name") or "Reading list"),
        site_url=site_url,
        site_description=str(mkdocs.get("site_description") or ""),
        site_author=str(mkdocs.get("site_author") or ""),
        repo_url=str(mkdocs.get("repo_url") or "").rstrip("/"),
        root=root,
        **values,
    )
