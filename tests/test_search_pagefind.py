"""`search: pagefind`: a chunked index for large lists, measured in a real browser."""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitekit import FIXTURE, build, make_project
from test_browser import CHROMIUM, _Quiet


def use_pagefind(project: Path) -> None:
    config = project / "mkdocs.yml"
    text = re.sub(r"  - search:\n      separator: .*\n", "", config.read_text("utf-8"))
    text = text.replace("      page_size: 50\n", "      page_size: 50\n      search: pagefind\n")
    text = text.replace("  - Subscribe: subscribe/index.md\n",
                        "  - Subscribe: subscribe/index.md\n  - Search: search/index.md\n")
    config.write_text(text, "utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("pagefind"))
    use_pagefind(project)
    site = project / "site"
    assert build(project, site) == 0
    return site


def test_pagefind_indexes_only_paper_pages(site: Path):
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert (site / "search" / "index.html").is_file()
    assert not (site / "search" / "search_index.json").exists()  # Material's index is off
    html = (site / "papers" / "trojanstego" / "index.html").read_text("utf-8")
    assert "data-pagefind-body" in html
    assert "data-pagefind-ignore" in html


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
@pytest.mark.parametrize("query, expected", [("Röttger", "TrojanStego"),
                                             ("2505.20118", "TrojanStego"),
                                             ("Hostile", "Hostile")])
def test_search_in_browser(site: Path, query: str, expected: str):
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.route(lambda url: not url.startswith(base), lambda route: route.abort())
            page.goto(base + "search/")
            page.wait_for_load_state("networkidle")
            downloaded: dict[str, int] = {}
            page.on("response", lambda r: downloaded.__setitem__(r.url, len(r.body())))
            page.fill("#rl-search input", query)
            page.wait_for_selector(".rl-search__results li", timeout=15_000)
            page.wait_for_load_state("networkidle")
            text = page.locator(".rl-search__results").inner_text()
            assert expected in text
            assert page.evaluate("window.__pwned") is None
            search_bytes = sum(n for url, n in downloaded.items() if "/pagefind/" in url)
            print(f"one search for {query!r} downloaded {search_bytes:,} bytes")
            assert 0 < search_bytes < 300_000
            browser.close()
    finally:
        server.shutdown()


# ------------------------------------------------------------------ a lab's scale: paging

#: More than three pages of 20, so "Show more results" must be pressed three times.
MANY = 61
WORDS = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo")


def synthetic_papers(folder: Path, count: int) -> Path:
    """``count`` entries sharing the word "zebrafish", tagged Memorization and Extraction
    (the words appear nowhere else in them), with the fixture's taxonomy."""
    folder.mkdir(parents=True)
    shutil.copy(FIXTURE / "papers" / "taxonomy.yml", folder / "taxonomy.yml")
    for n in range(count):
        a, b = WORDS[n % len(WORDS)], WORDS[(n * 7 + 3) % len(WORDS)]
        (folder / f"zebrafish-{n:03d}.yaml").write_text(
            f'title: "Zebrafish {a} {b} number {n}"\n'
            f"authors: [Author {a.title()} {n}]\n"
            f"published: 2025-{n % 12 + 1:02d}\n"
            "added: 2026-11-20\n"
            f'arxiv: "2501.{n:05d}"\n'
            "category: privacy\n"
            "tags: [memorization, extraction]\n"
            f"abstract: Study {n} of zebrafish under {a} and {b} conditions.\n", "utf-8")
    return folder


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pagefind-many")
    project = make_project(root / "project",
                           papers=synthetic_papers(root / "papers", MANY))
    use_pagefind(project)
    site = project / "site"
    assert build(project, site) == 0
    return site


@contextlib.contextmanager
def search_page(site: Path) -> Iterator:
    """A browser page on the site's search page, served from loopback (nothing else)."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            page = browser.new_page()
            page.route(lambda url: not url.startswith(base), lambda route: route.abort())
            page.goto(base + "search/")
            page.wait_for_load_state("networkidle")
            yield page
            browser.close()
    finally:
        server.shutdown()


def search(page, query: str) -> int:
    """Type ``query``; return the number of matches the page says it found (once the
    results of an earlier query, if any, are replaced)."""
    page.evaluate("document.querySelectorAll('.rl-search__results li')"
                  ".forEach(li => { li.dataset.old = '1'; })")
    page.fill("#rl-search input", query)
    page.wait_for_function("document.querySelector('.rl-search__results li') && "
                           "!document.querySelector('.rl-search__results li[data-old]')",
                           timeout=15_000)
    page.wait_for_function("/^[0-9]+ papers?/.test("
                           "document.querySelector('.rl-search__status').textContent)")
    status = page.locator(".rl-search__status").inner_text()
    return int(status.split()[0])


def result_urls(page) -> list[str]:
    return page.eval_on_selector_all(".rl-search__results li > a",
                                     "links => links.map(a => a.getAttribute('href'))")


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_every_match_is_reachable_by_paging(big_site: Path):
    # Before: "61 papers" above the first 20, and no way to see the other 41.
    with search_page(big_site) as page:
        more = page.locator(".rl-search__more")
        assert not more.is_visible()  # nothing to show more of before a query
        count = search(page, "zebrafish")
        assert count == MANY
        assert len(result_urls(page)) == 20
        presses = 0
        while more.is_visible():
            shown = len(result_urls(page))
            more.click()
            page.wait_for_function(
                f"document.querySelectorAll('.rl-search__results li').length > {shown}")
            presses += 1
            # Focus moves to the first new result, so the keyboard carries on from there.
            assert page.evaluate("document.activeElement.getAttribute('href')") == \
                result_urls(page)[shown]
            assert presses < 10
        urls = result_urls(page)
        assert presses == 3 and len(urls) == count
        assert sorted(urls) == [f"/papers/zebrafish-{n:03d}/" for n in range(MANY)]
        assert page.locator(".rl-search__status").inner_text() == f"{MANY} papers"
        # A new query starts again from its own first page; with fewer matches than a
        # page, all of them show at once and there is nothing more to show.
        few = search(page, "juliet")
        assert 1 <= few < 20 and len(result_urls(page)) == few
        assert page.locator(".rl-search__status").inner_text() == f"{few} papers"
        assert not more.is_visible()


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install chromium)")
def test_excerpts_keep_tag_names_apart(big_site: Path):
    # The tag chips are adjacent links: with nothing between them Pagefind read the text as
    # "MemorizationExtraction", and so did every excerpt, copy and screen reader.
    with search_page(big_site) as page:
        assert search(page, "memorization") == MANY
        excerpt = page.locator(".rl-search__results li p").first.inner_text()
        assert "Memorization Extraction" in excerpt, excerpt
        assert "MemorizationExtraction" not in excerpt
        assert "Privacy Memorization" in excerpt, excerpt
