"""Browsing in a real headless Chromium (Debian's, driven by Playwright): /papers/ sorted and
filtered with the view kept in the URL, author pages, the tags index (issue 15.4)."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator

import pytest
from sitekit import build, make_project

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (apt-get install "
                       "chromium); .ci/run installs it so CI always runs these tests"),
]

TROJAN = "TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy Leaking Agent"
LANDSCAPE = "The Landscape of Memorization in LLMs: Mechanisms, Measurement, and Mitigation"
PII = "Analyzing Leakage of Personally Identifiable Information in Language Models"
HOSTILE = ("<script>window.__pwned = 'title'</script><img src=x "
           "onerror=\"window.__pwned='img'\"> Hostile & \"quoted\" paper")


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    project = make_project(tmp_path_factory.mktemp("browse"))
    site = project / "site"
    assert build(project, site) == 0
    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()




def _page(browser, base_url: str, **options):
    context = browser.new_context(**options)
    pg = context.new_page()
    pg.errors = []  # type: ignore[attr-defined]
    local = base_url.rstrip("/")
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("console", lambda msg: pg.errors.append(msg.text) if msg.type == "error" and (
        (msg.location or {}).get("url", "") or local).startswith(local) else None)
    pg.route(lambda url: not url.startswith(local), lambda route: route.abort())
    return context, pg


@pytest.fixture
def page(browser, base_url):
    context, pg = _page(browser, base_url)
    yield pg
    context.close()


def rows(page) -> list[str]:
    return [t.strip() for t in page.locator(".rl-rows .rl-row__title").all_inner_texts()]


def choose(page, name: str, value: str) -> None:
    page.select_option(f'#rl-browse select[name="{name}"]', value)


def shown(page, first: str, count: int) -> list[str]:
    """The rows, once the view asked for is on the page (rows come after a fetch)."""
    page.wait_for_function(
        "([first, count]) => { const rows = document.querySelectorAll('.rl-rows .rl-row');"
        " return rows.length === count && (count === 0 ||"
        " rows[0].querySelector('.rl-row__title').textContent === first); }", arg=[first, count])
    return rows(page)


def test_papers_page_works_without_javascript(browser, base_url):
    context, pg = _page(browser, base_url, java_script_enabled=False)
    try:
        pg.goto(base_url + "papers/")
        # Every paper, newest additions first, straight from the HTML.
        assert rows(pg) == [TROJAN, LANDSCAPE, PII, HOSTILE]
        # The sort and filter form needs the script: it stays hidden without it.
        assert not pg.locator("#rl-browse").is_visible()
        pg.locator(".rl-row__title", has_text="TrojanStego").click()
        pg.wait_for_url("**/papers/trojanstego/")
    finally:
        context.close()


def test_sort_and_filter_update_the_url_and_survive_a_reload(page, base_url):
    page.goto(base_url + "papers/")
    page.wait_for_load_state("networkidle")
    assert page.locator("#rl-browse").is_visible()
    assert rows(page) == [TROJAN, LANDSCAPE, PII, HOSTILE]
    choose(page, "tag", "extraction")
    page.wait_for_url("**/papers/?tag=extraction")
    assert shown(page, TROJAN, 3) == [TROJAN, LANDSCAPE, PII]
    choose(page, "sort", "title")
    page.wait_for_url("**/papers/?sort=title&tag=extraction")
    assert shown(page, PII, 3) == [PII, LANDSCAPE, TROJAN]
    assert "3 of 4 papers" in page.locator(".rl-browse__status").inner_text()
    page.reload()
    assert shown(page, PII, 3) == [PII, LANDSCAPE, TROJAN]
    assert page.locator('select[name="sort"]').input_value() == "title"
    assert page.locator('select[name="tag"]').input_value() == "extraction"
    # Clear: back to the page as the server wrote it, and a URL without a view.
    page.locator(".rl-browse__clear").click()
    page.wait_for_url(base_url + "papers/")
    assert shown(page, TROJAN, 4) == [TROJAN, LANDSCAPE, PII, HOSTILE]
    assert page.errors == []


def test_a_shared_view_opens_as_it_was(page, base_url):
    page.goto(base_url + "papers/?sort=published&year=2025")
    assert shown(page, LANDSCAPE, 2) == [LANDSCAPE, TROJAN]
    page.goto(base_url + "papers/?venue=EMNLP")
    assert shown(page, TROJAN, 1) == [TROJAN]
    # A view of a tag this list does not have says so instead of showing everything.
    page.goto(base_url + "papers/?tag=no-such-tag")
    page.wait_for_function("document.querySelector('.rl-browse__status').textContent"
                           ".startsWith('No paper')")
    assert rows(page) == []
    assert page.errors == []


def test_rows_built_in_the_browser_keep_entry_text_as_text(page, base_url):
    page.goto(base_url + "papers/?tag=steganography&sort=published")
    assert shown(page, TROJAN, 2) == [TROJAN, HOSTILE]
    assert page.locator(".rl-browse__status").inner_text() == "2 of 4 papers"
    assert page.evaluate("window.__pwned") is None
    hostile = page.locator(".rl-row").nth(1)
    assert "<script>window.__pwned='author'</script>" in hostile.inner_text()
    assert hostile.locator("script, img, svg").count() == 0
    # The author link goes to the author's page, like the server's rows.
    href = page.locator(".rl-row").first.locator(".rl-authors a").nth(2).get_attribute("href")
    assert href == base_url + "authors/paul-rottger/"


def test_author_page_is_reachable_from_a_paper_page(page, base_url):
    page.goto(base_url + "papers/trojanstego/")
    page.locator(".rl-paper__authors a", has_text="Paul Röttger").click()
    page.wait_for_url("**/authors/paul-rottger/")
    assert page.locator("article h1, .rl-listing h1").first.inner_text() == "Paul Röttger"
    assert page.locator(".rl-kicker").inner_text().strip().lower() == "author"
    assert page.locator(".rl-card__title").all_inner_texts() == [TROJAN]
    page.locator("a", has_text="All authors").click()
    page.wait_for_url("**/authors/")
    assert page.locator(".rl-author-index a", has_text="Paul Röttger").count() == 1
    assert page.errors == []


def test_tags_index_is_ordered_by_title(page, base_url):
    page.goto(base_url + "tags/")
    names = [t.rsplit("\n", 1)[0].strip() for t in
             page.locator(".rl-tag-index .rl-chip").all_inner_texts()]
    names = [n.split(" ")[0] for n in names]
    assert names == ["Extraction", "Memorization", "Steganography"]


def test_category_and_tag_pages_look_different(page, base_url):
    page.goto(base_url + "categories/privacy/")
    category = page.locator(".rl-kicker")
    assert category.inner_text().strip().lower() == "category"
    cat_bg = category.evaluate("e => getComputedStyle(e).backgroundColor")
    assert page.locator(".rl-card .rl-chip--category").count() == 0
    page.goto(base_url + "tags/extraction/")
    tag = page.locator(".rl-kicker")
    assert tag.inner_text().strip().lower() == "tag"
    assert tag.evaluate("e => getComputedStyle(e).backgroundColor") != cat_bg
    assert page.locator('.rl-card a.rl-chip[href$="tags/extraction/"]').count() == 0
