"""`search: pagefind`: a chunked index for large lists, measured in a real browser."""

from __future__ import annotations

import functools
import http.server
import re
import threading
from pathlib import Path

import pytest
from sitekit import build, make_project
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
