"""``author_pages``: every author gets a page (``all``, the default), only the authors of two
or more papers on the list (``shared``), or none; names without a page are plain text
everywhere (paper pages, cards, /papers/ rows in the browser), and no link points at a
page that was not built."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import http.server
import json
import re
import shutil
import threading
from pathlib import Path

import pytest
from sitekit import ROOT, broken_links, build, make_project

from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.pages import authors_of, build_page_set
from generator.plugin.settings import load_site_config

TODAY = dt.date(2026, 12, 1)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def default_list():
    config = load_site_config(ROOT / "mkdocs.yml")
    collection, problems = load_collection(list(iter_entry_files(config.papers_path)),
                                           config.taxonomy_path, TODAY, root=ROOT)
    assert collection is not None, problems
    return config, collection


def _pages(config, collection, mode: str):
    pageset = build_page_set(collection, dataclasses.replace(config, author_pages=mode),
                             TODAY, related_map={})
    html = {p.path: (p.html or p.markdown) for p in pageset.pages}
    return pageset, html


def _author_pages(html: dict[str, str]) -> set[str]:
    return {path.split("/")[1] for path in html
            if re.fullmatch(r"authors/[^/]+/index\.md", path)}


def test_shared_gives_pages_to_authors_of_two_or_more_papers(default_list):
    config, collection = default_list
    authors = authors_of(collection)
    shared = {a.slug for a in authors if len(a.papers) >= 2}
    assert 0 < len(shared) < len(authors)
    everyone, html_all = _pages(config, collection, "all")
    pageset, html = _pages(config, collection, "shared")
    assert _author_pages(html_all) == {a.slug for a in authors}
    assert _author_pages(html) == shared
    # Every author link on every page points at a page that exists.
    linked = {m for text in html.values()
              for m in re.findall(r'href="(?:\.\./)*authors/([^/"]+)/"', text)}
    assert linked and linked <= shared
    # A one-paper author's name is text on their paper page; a shared author's is a link.
    single = next(a for a in authors if len(a.papers) == 1)
    page = html[f"papers/{single.papers[0].id}/index.md"]
    assert single.name in page and f"authors/{single.slug}/" not in page
    many = next(a for a in authors if a.slug in shared)
    assert f"authors/{many.slug}/" in html[f"papers/{many.papers[0].id}/index.md"]
    index = json.loads(pageset.files["papers/index.json"])
    assert index["authors_with_pages"] == sorted(shared)
    assert "authors_with_pages" not in json.loads(everyone.files["papers/index.json"])


def test_none_has_no_author_pages_and_no_author_links(default_list):
    config, collection = default_list
    pageset, html = _pages(config, collection, "none")
    assert not [path for path in html if path.startswith("authors/")]
    assert not [path for path, text in html.items() if re.search(r'href="[^"]*authors/', text)]
    assert json.loads(pageset.files["papers/index.json"])["authors_with_pages"] == []


def test_all_is_the_default_and_unchanged(default_list):
    config, collection = default_list
    assert config.author_pages == "all"
    default = build_page_set(collection, config, TODAY, related_map={})
    _, html = _pages(config, collection, "all")
    assert {p.path: (p.html or p.markdown) for p in default.pages} == html


def _project(tmp_path: Path, mode: str) -> Path:
    """The fixture list plus a second paper by TrojanStego's first author, with the
    option set in mkdocs.yml."""
    project = make_project(tmp_path / mode)
    (project / "papers" / "second-meier.yaml").write_text(
        'title: "A Second Paper on Hidden Channels in Fine-Tuned Models"\n'
        "authors: [Dominik Meier, Ada Lovelace-Test]\n"
        "published: 2025-09\nadded: 2026-11-28\n"
        'url: "https://example.org/second-meier"\n'
        "category: covert\ntags: [steganography]\n"
        "abstract: >\n  A second paper so that one author has two on the list.\n", "utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace(
        "      page_size: 50\n", f"      page_size: 50\n      author_pages: {mode}\n"), "utf-8")
    return project


@pytest.mark.parametrize("mode", ["shared", "none"])
def test_a_site_with_fewer_author_pages_has_no_broken_link(tmp_path: Path, mode: str):
    project = _project(tmp_path, mode)
    site = project / "site"
    assert build(project, site) == 0
    assert broken_links(site) == []
    pages = sorted(p.parent.name for p in (site / "authors").glob("*/index.html")) \
        if (site / "authors").is_dir() else []
    assert pages == (["dominik-meier"] if mode == "shared" else [])


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install "
                    "chromium); .ci/run installs it so CI always runs these tests")
def test_browse_rows_link_only_authors_with_a_page(tmp_path: Path, browser):
    project = _project(tmp_path, "shared")
    site = project / "site"
    assert build(project, site) == 0
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        context = browser.new_context()
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(base + "papers/?sort=title")  # a sorted view: rows drawn by browse.js
        page.wait_for_selector(".rl-row")
        row = page.locator(".rl-row", has_text="A Second Paper on Hidden Channels")
        assert row.locator("a", has_text="Dominik Meier").count() == 1
        assert "Ada Lovelace-Test" in row.inner_text()
        assert row.locator("a", has_text="Ada Lovelace-Test").count() == 0
        assert errors == []
        context.close()
    finally:
        server.shutdown()
