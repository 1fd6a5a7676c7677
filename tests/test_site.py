"""The page set and full builds of a small fixture list (and of the default list)."""

from __future__ import annotations

import datetime as dt
import filecmp
import json
import re
from pathlib import Path

import feedparser
import pytest
from sitekit import FIXTURE, ROOT, SITE_URL, broken_links, build, make_project, parse

from generator.core.config import SiteConfig
from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.pages import build_page_set, rel

TODAY = dt.date(2026, 11, 30)


def collection_of(folder: Path):
    collection, problems = load_collection(list(iter_entry_files(folder)),
                                           folder / "taxonomy.yml", TODAY, root=folder.parent)
    assert collection is not None, [p.format() for p in problems]
    return collection


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("project"))
    site = project / "site"
    assert build(project, site) == 0
    return site


def test_rel_links():
    assert rel("papers/x/", "tags/y/") == "../../tags/y/"
    assert rel("", "papers/x/") == "papers/x/"
    assert rel("tags/y/page/2/", "tags/y/") == "../../"
    assert rel("papers/x/", "papers/x/") == "./"
    assert rel("", "feed.xml") == "feed.xml"


def test_page_set_paths_and_titles():
    config = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT, page_size=2)
    pageset = build_page_set(collection_of(FIXTURE / "papers"), config, TODAY)
    paths = {p.path for p in pageset.pages}
    assert {"index.md", "papers/trojanstego/index.md", "categories/index.md",
            "categories/privacy/index.md", "categories/privacy/page/2/index.md",
            "tags/index.md", "tags/memorization/index.md", "trending/index.md",
            "trending/day/index.md", "trending/month/index.md",
            "subscribe/index.md"} <= paths
    paper = pageset.page("papers/trojanstego/index.md")
    assert paper.title.startswith("TrojanStego")
    assert paper.source == "papers/trojanstego.yaml"
    assert 'href="../../tags/steganography/"' in paper.text
    assert 'href="../../categories/covert/"' in paper.text
    # Paper pages stay out of the navigation; the top-level pages are in it.
    assert not paper.in_nav
    assert pageset.page("trending/index.md").in_nav
    # Outputs besides pages.
    for name in ("papers.json", "papers.bib", "schema.json", "trending.json", "feed.xml",
                 "bib/categories/privacy.bib", "bib/tags/memorization.bib",
                 "papers/trojan-stego-old/index.html"):
        assert name in pageset.files, name


def page_set_view() -> tuple:
    """Everything the fixture list's page set says, as plain values (pages render lazily)."""
    config = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT)
    pageset = build_page_set(collection_of(FIXTURE / "papers"), config, TODAY)
    pages = tuple((p.path, p.url, p.title, p.markdown, p.text, p.head, p.in_nav, p.source,
                   json.dumps(p.search, sort_keys=True)) for p in pageset.pages)
    return pages, tuple(sorted(pageset.files.items()))


def test_page_set_is_deterministic():
    # Two page sets computed in one process share the core's caches (the second would be
    # made of the first's objects and could not differ): the second is computed by a newly
    # spawned interpreter.
    import multiprocessing

    here = page_set_view()
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        there = pool.apply(page_set_view)
    assert len(here[0]) > 10 and len(here[1]) > 10
    assert here == there


def test_untrusted_text_is_escaped_in_markdown():
    config = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT)
    pageset = build_page_set(collection_of(FIXTURE / "papers"), config, TODAY)
    for page in pageset.pages:
        body = page.text + page.head
        assert "<script>window.__pwned" not in body, page.path
        assert "<img src=x" not in body and "<svg" not in body, page.path
        # A refused link stays visible as text; it must never become an attribute.
        assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", body,
                             re.IGNORECASE), page.path


def test_full_build_pages_and_links(built: Path):
    assert (built / "papers" / "trojanstego" / "index.html").is_file()
    assert (built / "categories" / "privacy" / "index.html").is_file()
    assert (built / "tags" / "index.html").is_file()
    assert (built / "trending" / "index.html").is_file()
    assert broken_links(built) == []
    # Generated pages are virtual: nothing is written into docs/.
    assert not (ROOT / "docs" / "papers").exists()


def test_paper_pages_share_one_rendered_sidebar(built: Path):
    # The navigation is rendered once and reused on every paper page (a quarter of
    # Material's per-page cost); it must be the full navigation, the same on each page.
    import re

    def sidebar(path: Path) -> str:
        html = path.read_text("utf-8")
        return re.search(r'<div class="md-sidebar md-sidebar--primary".*?<div class="md-content"',
                         html, re.S).group(0)

    pages = [p for p in sorted((built / "papers").glob("*/index.html"))
             if "http-equiv" not in p.read_text("utf-8")]  # not the alias redirects
    assert len(pages) == 4
    first = sidebar(pages[0])
    assert 'href="../../how-trending-works/"' in first and "md-nav__source" in first
    assert all(sidebar(p) == first for p in pages)


def test_reused_sidebars_change_no_byte(built: Path, tmp_path: Path, monkeypatch):
    # Build again with the reuse switched off: every page must come out the same.
    from generator.plugin import ReadingListPlugin

    original = ReadingListPlugin.on_env

    def no_reuse(self, env, *, config, files):
        env = original(self, env, config=config, files=files)
        env.globals["rl_cached"] = lambda key: None
        return env

    monkeypatch.setattr(ReadingListPlugin, "on_env", no_reuse)
    project = make_project(tmp_path / "plain")
    site = project / "site"
    assert build(project, site) == 0
    for path in sorted(built.rglob("*.html")):
        assert path.read_bytes() == (site / path.relative_to(built)).read_bytes(), path


def test_two_process_build_changes_no_byte(built: Path, tmp_path: Path, caplog):
    # workers: 2 forks the build (paper, category and tag pages split between two
    # processes); the site must be the same, search index and sitemap included.
    project = make_project(tmp_path / "forked")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace(
        "      page_size: 50\n", "      page_size: 50\n      workers: 2\n"), "utf-8")
    site = project / "site"
    with caplog.at_level("INFO"):
        assert build(project, site) == 0
    assert "writing framed pages in two processes" in caplog.text
    ours = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    assert ours == sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file())
    for rel_path in ours:
        assert (site / rel_path).read_bytes() == (built / rel_path).read_bytes(), rel_path


def _with_options(project: Path, *lines: str) -> None:
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace(
        "      page_size: 50\n", "      page_size: 50\n" + "".join(f"      {line}\n"
                                                              for line in lines)), "utf-8")


def _same_trees(a: Path, b: Path) -> None:
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    for rel_path in files:
        assert (a / rel_path).read_bytes() == (b / rel_path).read_bytes(), rel_path


def test_framed_paper_pages_change_no_byte(tmp_path: Path, caplog):
    # paper_pages: mkdocs sends every paper page through MkDocs; the fast path (the page
    # template rendered once, filled in per paper) must give the same site, every byte of
    # it: pages (the hostile entry's included), sitemap and search index.
    fast = make_project(tmp_path / "fast")
    with caplog.at_level("INFO"):
        assert build(fast, fast / "site") == 0
    # ... and with the shipped theme the frame passes its check (no fallback).
    assert "rendered one by one" not in caplog.text
    project = make_project(tmp_path / "slow")
    _with_options(project, "paper_pages: mkdocs")
    site = project / "site"
    assert build(project, site) == 0
    _same_trees(fast / "site", site)
    index = json.loads((site / "search" / "search_index.json").read_text("utf-8"))
    record = next(d for d in index["docs"] if d["location"] == "papers/trojanstego/")
    assert "Dominik Meier" in record["title"] and "arXiv 2505.20118" in record["text"]
    assert not any(d["location"].startswith("papers/trojanstego/#") for d in index["docs"])


def test_paper_pages_fall_back_when_the_theme_uses_more(tmp_path: Path, caplog):
    # A fork's override printing the page's URL on every page: a frame cannot know it, the
    # build's check notices, and framed pages are rendered one by one, still correctly.
    sites = {}
    for mode in ("fast", "mkdocs"):
        project = make_project(tmp_path / mode)
        _with_options(project, f"paper_pages: {mode}")
        config = project / "mkdocs.yml"
        config.write_text(config.read_text("utf-8").replace(
            "theme:\n  name: material\n", "theme:\n  name: material\n  custom_dir: overrides\n"),
            "utf-8")
        (project / "overrides").mkdir()
        (project / "overrides" / "main.html").write_text(
            '{% extends "base.html" %}\n{% block content %}{{ super() }}'
            '<p class="where">{{ page.url }}</p>{% endblock %}\n', "utf-8")
        sites[mode] = project / "site"
        with caplog.at_level("INFO"):
            assert build(project, sites[mode]) == 0
    assert "framed pages are rendered one by one" in caplog.text
    html = (sites["fast"] / "papers" / "trojanstego" / "index.html").read_text("utf-8")
    assert '<p class="where">papers/trojanstego/</p>' in html
    _same_trees(sites["fast"], sites["mkdocs"])


def test_paper_page_metadata(built: Path):
    html = (built / "papers" / "trojanstego" / "index.html").read_text("utf-8")
    meta = parse(html).meta
    names = [k for k, _ in meta]
    assert ("citation_title", "TrojanStego: Your Language Model Can Secretly Be A "
            "Steganographic Privacy Leaking Agent") in meta
    assert names.count("citation_author") == 5
    assert ("citation_author", "Paul Röttger") in meta
    assert ("citation_publication_date", "2025/05") in meta
    assert ("citation_arxiv_id", "2505.20118") in meta
    assert ("citation_pdf_url", "https://arxiv.org/pdf/2505.20118") in meta
    assert ("citation_abstract_html_url", "https://arxiv.org/abs/2505.20118") in meta
    assert ("og:url", SITE_URL + "papers/trojanstego/") in meta
    assert "twitter:card" in names
    assert names.count("description") == 1  # the paper's, not also the site's
    assert dict(meta)["description"].startswith("As large language models (LLMs)")
    assert f'<link rel="canonical" href="{SITE_URL}papers/trojanstego/"' in html
    ld = html.split('<script type="application/ld+json">')[1].split("</script>")[0]
    data = json.loads(ld)
    assert data["@type"] == "ScholarlyArticle"
    assert data["author"][0]["name"] == "Dominik Meier"
    # Edit link points at the YAML entry, not at a generated page.
    assert "edit/main/papers/trojanstego.yaml" in html
    assert 'class="arithmatex">\\((\\varepsilon,\\delta)\\)' in html
    assert "cost of $5" in html
    assert "@inproceedings{trojanstego" in html  # EMNLP 2025: a conference paper
    assert 'type="application/rss+xml"' in html


def test_no_payload_reaches_html_as_markup(built: Path):
    from html.parser import HTMLParser

    class Scan(HTMLParser):
        bad: list[str] = []
        in_script = False

        def handle_starttag(self, tag, attrs):
            self.in_script = tag == "script" and ("type", "application/ld+json") not in attrs
            for name, value in attrs:
                if name.startswith("on") or "javascript:" in (value or "").lower():
                    self.bad.append(f"{tag} {name}={value}")

        def handle_data(self, data):
            if self.in_script and "__pwned" in data:
                self.bad.append(data[:80])

    for page in built.rglob("*.html"):
        scan = Scan()
        scan.feed(page.read_text("utf-8"))
        assert scan.bad == [], page


def test_sitemap_and_data_files(built: Path):
    sitemap = (built / "sitemap.xml").read_text("utf-8")
    assert f"{SITE_URL}papers/trojanstego/" in sitemap
    data = json.loads((built / "papers.json").read_text("utf-8"))
    assert data["count"] == 4 and data["papers"][0]["id"] == "hostile"
    assert "@inproceedings{pii-leakage" in (built / "papers.bib").read_text("utf-8")  # IEEE S&P
    assert "and others" in (built / "papers.bib").read_text("utf-8")
    redirect = (built / "papers" / "trojan-stego-old" / "index.html").read_text("utf-8")
    assert 'url=../trojanstego/' in redirect
    feed = feedparser.parse((built / "feed.xml").read_bytes())
    assert not feed.bozo and len(feed.entries) == 4


def test_builds_are_byte_identical(built: Path, tmp_path: Path):
    project = make_project(tmp_path / "again")
    site = project / "site"
    assert build(project, site) == 0
    cmp = filecmp.dircmp(built, site)

    def differences(c: filecmp.dircmp) -> list[str]:
        out = c.left_only + c.right_only + c.diff_files
        for sub in c.subdirs.values():
            out += differences(sub)
        return out

    # dircmp compares shallowly by stat; compare bytes for every file to be sure.
    assert differences(cmp) == []
    for path in sorted(built.rglob("*")):
        if path.is_file():
            assert path.read_bytes() == (site / path.relative_to(built)).read_bytes(), path


def test_bad_input_leaves_previous_site(built: Path, tmp_path: Path, capsys):
    project = make_project(tmp_path / "bad")
    site = project / "site"
    assert build(project, site) == 0
    before = (site / "index.html").read_bytes()
    (project / "papers" / "broken.yaml").write_text("title: [unclosed\n", "utf-8")
    assert build(project, site) == 1
    err = capsys.readouterr().err
    assert "papers/broken.yaml:2:1: error: YAML syntax error" in err and "Traceback" not in err
    assert (site / "index.html").read_bytes() == before
    assert not list(project.glob(".site.*"))


def test_default_list_builds(tmp_path: Path):
    project = make_project(tmp_path / "default", ROOT / "papers")
    site = project / "site"
    assert build(project, site) == 0
    assert len(list((site / "papers").glob("*/index.html"))) == 200
    assert broken_links(site) == []


def test_fork_overrides_a_template(tmp_path: Path):
    project = make_project(tmp_path / "fork")
    (project / "site_templates").mkdir()
    (project / "site_templates" / "tags.html.j2").write_text(
        "<div><h1>Our tags</h1><p>{{ used_tags | length }} in all</p></div>\n", "utf-8")
    site = project / "site"
    assert build(project, site) == 0
    html = (site / "tags" / "index.html").read_text("utf-8")
    assert "<h1>Our tags</h1>" in html and "3 in all" in html
    # Templates not overridden come from the defaults.
    assert "rl-paper__abstract" in (site / "papers" / "trojanstego" / "index.html").read_text()


def test_serve_rebuilds_after_an_entry_changes(tmp_path: Path):
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    project = make_project(tmp_path / "serve")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator",
         "serve", "--dev-addr", f"127.0.0.1:{port}", "--date", "2026-11-30"],
        cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/reading-list/papers/trojanstego/"  # site_url's path

    def fetch() -> str:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.read().decode("utf-8")

    def wait_for(predicate, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                html = fetch()
                if predicate(html):
                    return html
            except OSError:
                pass
            time.sleep(0.5)
        raise AssertionError("serve did not produce the expected page in time")

    try:
        wait_for(lambda html: "TrojanStego" in html)
        entry = project / "papers" / "trojanstego.yaml"
        entry.write_text(entry.read_text("utf-8").replace(
            "TrojanStego: Your", "TrojanStego (edited): Your"), "utf-8")
        html = wait_for(lambda html: "TrojanStego (edited)" in html)
        # The rebuild reads only what changed, yet the navigation keeps every title (a
        # dirty MkDocs build prints "None" for pages it did not read).
        listing = urllib.request.urlopen(url.replace("papers/trojanstego/", "categories/covert/"),
                                         timeout=5).read().decode("utf-8")
        for page in (html, listing):
            assert "About this list" in page and ">None<" not in page.replace("\n", "")
        # The search index holds each paper once, the edited one with its new title.
        index = json.loads(urllib.request.urlopen(url.replace(
            "papers/trojanstego/", "search/search_index.json"), timeout=5).read())
        papers = [d for d in index["docs"] if d["location"].startswith("papers/")]
        assert len(papers) == len({d["location"] for d in papers}) == 4
        assert any(d["title"].startswith("TrojanStego (edited)") for d in papers)
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_a_failed_second_process_is_a_clear_error(tmp_path: Path, monkeypatch, capsys,
                                                   caplog):
    import os

    import generator.plugin as plugin
    from generator.plugin.parallel import Background

    monkeypatch.setattr(plugin, "Background", lambda fn: Background(lambda: os._exit(3)))
    project = make_project(tmp_path / "dies")
    _with_options(project, "workers: 2")
    assert build(project, project / "site") == 1
    err = capsys.readouterr().err
    assert "the previous site was left untouched" in err and "Traceback" not in err
    assert "the second process failed" in caplog.text and "workers: 1" in caplog.text


def test_a_failed_writer_process_is_a_clear_error(tmp_path: Path, monkeypatch, capsys,
                                                  caplog):
    # The child that writes every other framed page dies: the build fails, says so and how
    # to build in one process, and the previous site stays.
    import os

    import generator.plugin.writer as writer
    from generator.plugin.parallel import Background

    monkeypatch.setattr(writer, "Background", lambda fn: Background(lambda: os._exit(3)))
    project = make_project(tmp_path / "dies")
    _with_options(project, "workers: 2")
    site = project / "site"
    site.mkdir()
    (site / ".reading-list-site").write_text("", "utf-8")
    (site / "index.html").write_text("old", "utf-8")
    assert build(project, site) == 1
    err = capsys.readouterr().err
    assert "the previous site was left untouched" in err and "Traceback" not in err
    assert "the second process failed" in caplog.text and "workers: 1" in caplog.text
    assert (site / "index.html").read_text("utf-8") == "old"


def test_paper_page_urls_follow_mkdocs_when_the_shortcut_does_not(tmp_path: Path):
    # With use_directory_urls: false MkDocs' URL for papers/x/index.md is
    # papers/x/index.html, not the page set's papers/x/: the build notices (URLs then come
    # from a real MkDocs page per paper) and the site is the same as through MkDocs.
    sites = {}
    for mode in ("fast", "mkdocs"):
        project = make_project(tmp_path / mode)
        _with_options(project, f"paper_pages: {mode}")
        config = project / "mkdocs.yml"
        config.write_text("use_directory_urls: false\n" + config.read_text("utf-8"), "utf-8")
        sites[mode] = project / "site"
        assert build(project, sites[mode]) == 0
    _same_trees(sites["fast"], sites["mkdocs"])
    html = (sites["fast"] / "papers" / "trojanstego" / "index.html").read_text("utf-8")
    assert f'<link rel="canonical" href="{SITE_URL}papers/trojanstego/index.html">' in html


@pytest.mark.parametrize("mode", ["fast", "mkdocs"])
def test_hand_written_pages_link_to_paper_pages(tmp_path: Path, mode: str, caplog, capsys):
    # A paper page is a page to link to like any other: index.md, with or without an anchor,
    # in both modes; a link MkDocs cannot resolve is a clear strict-mode warning, never a
    # traceback (our page object once sat in MkDocs' File.page and crashed its anchor check).
    project = make_project(tmp_path / mode)
    _with_options(project, f"paper_pages: {mode}")
    (project / "docs" / "reading.md").write_text(
        "# Reading\n\n[abstract](papers/trojanstego/index.md#abstract), "
        "[page](papers/trojanstego/index.md)\n", "utf-8")
    site = project / "site"
    assert build(project, site) == 0
    html = (site / "reading" / "index.html").read_text("utf-8")
    assert 'href="../papers/trojanstego/#abstract"' in html
    assert 'href="../papers/trojanstego/"' in html
    (project / "docs" / "reading.md").write_text(
        "# Reading\n\n[html](papers/trojanstego/index.html#abstract)\n", "utf-8")
    assert build(project, site) == 1
    assert "Traceback" not in capsys.readouterr().err
    assert "Did you mean 'papers/trojanstego/index.md#abstract'?" in caplog.text


def test_a_fork_nav_without_new_pages_still_builds(tmp_path: Path):
    # A fork's hand-written nav predates /papers/ and /saved/: the pages are built, kept out
    # of its nav, and the strict build passes.
    project = make_project(tmp_path / "fork")
    config = project / "mkdocs.yml"
    text = config.read_text("utf-8")
    for line in ("  - Papers: papers/index.md\n", "  - Saved: saved/index.md\n"):
        assert line in text
        text = text.replace(line, "")
    config.write_text(text, "utf-8")
    site = project / "site"
    assert build(project, site) == 0
    assert (site / "papers" / "index.html").is_file() and (site / "saved" / "index.html").is_file()
    home = (site / "index.html").read_text("utf-8")
    assert 'href="papers/"' not in home.split('<nav class="md-tabs"', 1)[-1].split("</nav>")[0]


def test_a_build_after_serve_in_one_process_is_a_build(tmp_path: Path, caplog):
    # MkDocs keeps plugin instances for the whole process (serve's rebuilds reuse them): a
    # build after a serve session must not carry on in serve mode (one process, reused
    # listings), which made the site differ from a fresh build's.
    from mkdocs.config import load_config

    project = make_project(tmp_path / "p")
    _with_options(project, "workers: 2")
    config = load_config(config_file=str(project / "mkdocs.yml"))
    config.plugins.on_startup(command="serve", dirty=True)
    with caplog.at_level("INFO"):
        assert build(project, project / "site") == 0
    assert "writing framed pages in two processes" in caplog.text
