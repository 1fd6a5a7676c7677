"""The built site in a real headless Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sitekit import build, make_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install "
                       "chromium); .ci/run installs it so CI always runs these tests"),
]


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    project = make_project(tmp_path_factory.mktemp("browser"))
    site = project / "site"
    assert build(project, site) == 0
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass




@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    local = base_url.rstrip("/")

    def on_console(msg) -> None:
        # Requests to other hosts fail offline (e.g. GitHub repository stats); only this
        # site's own errors count.
        location = (msg.location or {}).get("url", "")
        if msg.type == "error" and (not location or location.startswith(local)) \
                and "ERR_NAME_NOT_RESOLVED" not in msg.text:
            pg.errors.append(msg.text)

    pg.on("console", on_console)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    pg.route(lambda url: not url.startswith(local), lambda route: route.abort())
    yield pg
    context.close()


def test_home_loads_without_console_errors(page, base_url):
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    assert "What Models Leak" in page.title()
    assert page.locator(".rl-card").count() >= 3
    assert page.errors == []


def test_math_is_rendered(page, base_url):
    page.goto(base_url + "papers/trojanstego/")
    page.wait_for_selector(".arithmatex .katex")
    assert page.errors == []


def test_search_finds_paper_by_author(page, base_url):
    assert "TrojanStego" in search(page, base_url, "Röttger")


def test_search_finds_paper_by_arxiv_id(page, base_url):
    assert "TrojanStego" in search(page, base_url, "2505.20118")


def test_search_finds_paper_by_abstract_words(page, base_url):
    assert "Landscape of Memorization" in search(page, base_url, "remarkable capabilities")


def search(page, base_url: str, query: str) -> str:
    """Type a query as a reader would (the "/" shortcut, then keys); return the results."""
    page.goto(base_url)
    page.wait_for_load_state("networkidle")
    page.keyboard.press("/")
    page.keyboard.type(query, delay=20)
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    return page.locator(".md-search-result").inner_text()


def test_tag_chip_leads_to_tag_page(page, base_url):
    page.goto(base_url + "papers/trojanstego/")
    page.locator(".rl-paper__meta a.rl-chip", has_text="Extraction").click()
    page.wait_for_url("**/tags/extraction/")
    assert page.locator("h1").first.inner_text() == "Extraction"
    assert page.locator(".rl-card").count() == 3


def test_bibtex_copy_button(page, base_url):
    page.goto(base_url + "papers/trojanstego/")
    block = page.locator(".rl-bibtex")
    block.hover()
    block.locator("button[data-md-type=copy], button.md-clipboard").first.click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@inproceedings{trojanstego,")
    assert "eprint = {2505.20118}" in copied


def test_no_script_payload_runs(page, base_url):
    for path in ("", "papers/hostile/", "categories/privacy/", "tags/steganography/",
                 "tags/", "categories/", "trending/"):
        page.goto(base_url + path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__pwned") is None, path
    assert page.dialogs == []
    # The hostile title is shown as text.
    page.goto(base_url + "papers/hostile/")
    assert "<script>window.__pwned = 'title'</script>" in page.locator("h1").inner_text()
    # The note's javascript: link was removed, its text kept.
    assert page.locator(".rl-paper__note a[href]").count() == 0
    assert "click me" in page.locator(".rl-paper__note").inner_text()


def test_phone_layout_has_no_horizontal_scroll(browser, base_url):
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  color_scheme="dark")
    pg = context.new_page()
    pg.route(lambda url: not url.startswith(base_url.rstrip("/")), lambda r: r.abort())
    for path in ("", "papers/trojanstego/", "categories/privacy/"):
        pg.goto(base_url + path)
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
    context.close()


def test_screenshot_artifacts(page, base_url, tmp_path: Path):
    page.goto(base_url + "papers/trojanstego/")
    out = tmp_path / "paper.png"
    page.screenshot(path=str(out))
    assert out.stat().st_size > 10_000
