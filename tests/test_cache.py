"""The explicit cache (generator/core/cache.py) changes how fast a build is, never what it
makes: a warm rebuild after an edit gives every byte a cold build of the edited list gives.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest
from sitekit import SITE_URL, build, make_project

import generator.commands.site as site_command
from generator.core.cache import Cache
from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.pages import build_page_set
from generator.plugin.settings import load_site_config

DATE = "2026-11-30"
EDITED = "trojanstego"


def _tree(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes()
            for p in sorted(site.rglob("*")) if p.is_file()}


def _edit_venue(project: Path) -> None:
    """A small edit: one paper's venue (its page, BibTeX and cards change; what it is
    related to does not)."""
    path = project / "papers" / f"{EDITED}.yaml"
    lines = [line for line in path.read_text("utf-8").splitlines()
             if not line.startswith("venue:")]
    path.write_text("\n".join(lines + ["venue: ACL 2031"]) + "\n", "utf-8")


def _edit(project: Path) -> None:
    """Change what shows on many pages: one paper's title, abstract (related papers, search)
    and drop another paper (every listing it was on)."""
    path = project / "papers" / f"{EDITED}.yaml"
    text = path.read_text("utf-8")
    assert "title:" in text and "abstract:" in text
    lines = []
    for line in text.splitlines():
        if line.startswith("title:"):
            line = "title: 'Edited: a new title with $\\epsilon$ in it'"
        lines.append(line)
    text = "\n".join(lines) + "\n"
    text = text.replace("abstract: ", "abstract: An edited first sentence about watermarks. ", 1)
    path.write_text(text, "utf-8")
    others = sorted(p for p in (project / "papers").glob("*.yaml") if p.stem != EDITED)
    others[0].unlink()


def _build_with(project: Path, site: Path, cache: Cache,
                monkeypatch: pytest.MonkeyPatch) -> None:
    # `reading-list build` makes one cache for its check and the plugin: hand it ours.
    monkeypatch.setattr(site_command, "Cache", lambda: cache)
    assert build(project, site, DATE) == 0


@pytest.mark.parametrize("edit", [_edit_venue, _edit], ids=["venue", "title-abstract-removal"])
def test_a_warm_rebuild_after_an_edit_equals_a_cold_build(tmp_path: Path, edit,
                                                          monkeypatch: pytest.MonkeyPatch):
    project = make_project(tmp_path / "p")
    cache = Cache()
    _build_with(project, tmp_path / "before", cache, monkeypatch)
    before = _tree(tmp_path / "before")
    edit(project)
    _build_with(project, tmp_path / "warm", cache, monkeypatch)
    _build_with(project, tmp_path / "cold", Cache(), monkeypatch)
    warm, cold = _tree(tmp_path / "warm"), _tree(tmp_path / "cold")
    assert sorted(warm) == sorted(cold)
    differ = [path for path in warm if warm[path] != cold[path]]
    assert differ == []
    # The edit shows (so the comparison above compares two builds of the edited list).
    page = f"papers/{EDITED}/index.html"
    assert before[page] != warm[page]
    assert b"ACL 2031" in warm[page] if edit is _edit_venue else b"Edited: a new" in warm[page]


def test_a_serve_rebuild_in_place_equals_a_cold_build(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch):
    # What `reading-list serve` does after an edit: a dirty rebuild into the same folder,
    # writing only what changed, with everything the last build kept.
    from mkdocs.commands.build import build as mkdocs_build
    from mkdocs.config import load_config

    from generator.plugin import ReadingListPlugin

    project = make_project(tmp_path / "p")
    # docs/enrich.md's heading has `code`: MkDocs' dirty mode alone would title the page
    # from the raw heading (backticks in the navigation of every page written again).
    assert "`" in (project / "docs" / "enrich.md").read_text("utf-8").splitlines()[0]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
                                                    .timestamp())))
    served = tmp_path / "served"
    cache = Cache()

    def serve_build() -> None:
        config = load_config(config_file=str(project / "mkdocs.yml"), site_dir=str(served),
                             site_url=SITE_URL)
        for plugin in config.plugins.values():
            if isinstance(plugin, ReadingListPlugin):
                plugin.cache = cache
        config.plugins.on_startup(command="serve", dirty=True)
        old = Path.cwd()
        os.chdir(project)
        try:
            mkdocs_build(config, dirty=True)
        finally:
            os.chdir(old)
            config.plugins.on_shutdown()

    serve_build()
    _edit(project)
    serve_build()
    _build_with(project, tmp_path / "cold", Cache(), monkeypatch)
    warm, cold = _tree(served), _tree(tmp_path / "cold")
    # A dirty rebuild leaves a removed paper's old files in place (MkDocs does not clean in
    # dirty mode) and has no build marker: compare what a cold build writes.
    missing = sorted(set(cold) - set(warm) - {".reading-list-site"})
    assert missing == []
    # Material's search merges a dirty build's records into the previous index (documentation
    # pages it did not render again keep their old records, in another order): the papers'
    # records, which the plugin makes, must be the same.
    index = "search/search_index.json"
    differ = [path for path in cold if path != index and warm[path] != cold[path]]
    assert differ == []

    def records(data: bytes) -> list[str]:
        return sorted(json.dumps(doc, sort_keys=True) for doc in json.loads(data)["docs"]
                      if doc["location"].startswith("papers/"))

    assert records(warm[index]) == records(cold[index])


def test_the_core_with_a_cache_gives_what_it_gives_without(tmp_path: Path):
    # Loading and the page set, called twice with one cache and once without: equal pages.
    project = make_project(tmp_path / "p")
    config = load_site_config(project / "mkdocs.yml")
    today = dt.date(2026, 11, 30)

    def pages(cache: Cache | None) -> dict[str, tuple[str, str, str | None]]:
        collection, problems = load_collection(list(iter_entry_files(config.papers_path)),
                                               config.taxonomy_path, today,
                                               root=project, cache=cache)
        assert collection is not None, problems
        pageset = build_page_set(collection, config, today, cache=cache)
        return {p.path: (p.markdown, p.head, p.html) for p in pageset.pages} | {
            path: (data.decode("utf-8", "replace"), "", None)
            for path, data in pageset.files.items()}

    cache = Cache()
    first = pages(cache)
    _edit(project)
    warm, pure = pages(cache), pages(None)
    assert warm == pure
    assert warm != first
