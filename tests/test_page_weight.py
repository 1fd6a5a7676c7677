"""What a reader's browser downloads (issue 15.2), measured on the built default list served
by a loopback server that gzips like a static host: a first visit of a paper page without
math stays under 120 KB, KaTeX loads only where there is math, Material's search index only
when search is opened, and no file is fetched twice.

Before these changes a paper page's first visit was 325 KB in 15 requests (the search index
160 KB, KaTeX 78 KB, sitemap.xml twice; home four times).
"""

from __future__ import annotations

import collections
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserkit import CHROMIUM, NO_CHROMIUM, Log, Request, serve
from sitekit import ROOT, make_project

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)]

KB = 1024
#: A paper page without math, first visit (HTML, Material's CSS and JS, our CSS, sitemap).
PAPER_BUDGET = 120 * KB
HOME_BUDGET = 120 * KB
#: With math: the above plus KaTeX's script, stylesheet and the fonts the page uses.
MATH_BUDGET = 280 * KB
INDEX = "/search/search_index.json"


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[tuple[str, Log, Path]]:
    """The default list built for the loopback server's own address, so the sitemap's URLs
    are the served ones and Material's instant navigation works as on the real site."""
    project = make_project(tmp_path_factory.mktemp("weight"), papers=ROOT / "papers")
    out = project / "site"
    out.mkdir()
    with serve(out) as (base, log):
        assert build_at(project, out, base) == 0
        yield base, log, out


@pytest.fixture(scope="module")
def served(running) -> tuple[str, Log]:
    return running[0], running[1]


@pytest.fixture(scope="module")
def site(running) -> Path:
    return running[2]


def build_at(project: Path, site: Path, site_url: str) -> int:
    """``reading-list build`` of ``project`` into ``site`` for ``site_url``."""
    from generator.commands.cli import main

    old = Path.cwd()
    os.chdir(project)
    try:
        return main(["build", "--date", "2026-11-30", "--site-dir", str(site),
                     "--site-url", site_url])
    finally:
        os.chdir(old)




def papers(site: Path, math: bool) -> list[str]:
    found = []
    for page in sorted((site / "papers").glob("*/index.html")):
        html = page.read_text("utf-8")
        if "rl-paper" in html and ('class="arithmatex"' in html) == math:
            found.append(f"papers/{page.parent.name}/")
    assert found
    return found


def first_visit(browser, served: tuple[str, Log], path: str) -> tuple[list[Request], object]:
    """Every request of a first visit (empty cache) to ``path``, once the page is idle."""
    base, log = served
    context = browser.new_context()
    page = context.new_page()
    page.route(lambda url: not url.startswith(base), lambda route: route.abort())
    log.clear()
    page.goto(base + path)
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)  # anything started late (a worker, a deferred fetch) shows up too
    return log.snapshot(), (context, page)


def total(requests: list[Request]) -> int:
    return sum(r.size for r in requests)


def twice(requests: list[Request]) -> list[str]:
    """Paths downloaded more than once (a 304 answer to a revalidation downloads nothing)."""
    counts = collections.Counter(r.path for r in requests if r.status != 304)
    return sorted(path for path, n in counts.items() if n > 1)


def describe(requests: list[Request]) -> str:
    return "\n".join(f"{r.size / KB:7.1f} KB {r.status} {r.path}"
                     for r in sorted(requests, key=lambda r: -r.size))


def test_paper_page_without_math(browser, served, site):
    requests, (context, _page) = first_visit(browser, served, papers(site, math=False)[0])
    context.close()
    paths = {r.path for r in requests}
    assert total(requests) <= PAPER_BUDGET, describe(requests)
    assert not any("/katex/" in p for p in paths), describe(requests)
    assert INDEX not in paths
    assert twice(requests) == []
    assert all(r.status == 200 for r in requests), describe(requests)


def test_paper_page_with_math_loads_katex(browser, served, site):
    requests, (context, page) = first_visit(browser, served, papers(site, math=True)[0])
    rendered = page.locator(".arithmatex .katex").count()
    context.close()
    paths = {r.path for r in requests}
    assert rendered > 0
    assert {"/assets/reading-list/katex/katex.min.js",
            "/assets/reading-list/katex/katex.min.css"} <= paths
    assert total(requests) <= MATH_BUDGET, describe(requests)
    assert INDEX not in paths
    assert twice(requests) == []


def test_home_page(browser, served):
    requests, (context, _page) = first_visit(browser, served, "")
    context.close()
    assert total(requests) <= HOME_BUDGET, describe(requests)
    assert INDEX not in {r.path for r in requests}
    # Material asked for /sitemap.xml once per feed link here (four times).
    assert twice(requests) == []


def test_search_index_loads_when_search_opens(browser, served, site):
    base, log = served
    requests, (context, page) = first_visit(browser, served, papers(site, math=False)[0])
    assert INDEX not in {r.path for r in requests}
    page.keyboard.press("/")
    page.keyboard.type("memorization", delay=10)
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    context.close()
    assert [r.path for r in log.snapshot()].count(INDEX) == 1


def test_search_index_loads_on_a_tap_of_the_search_button(browser, served, site):
    base, log = served
    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.route(lambda url: not url.startswith(base), lambda route: route.abort())
    log.clear()
    page.goto(base + papers(site, math=False)[0])
    page.wait_for_load_state("networkidle")
    assert INDEX not in [r.path for r in log.snapshot()]
    page.locator("label.md-header__button[for=__search]").tap()
    page.keyboard.type("memorization", delay=10)
    page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    context.close()
    assert [r.path for r in log.snapshot()].count(INDEX) == 1


def test_instant_navigation_fetches_nothing_twice(browser, served, site):
    """Home, then a paper and a tag page through Material's instant navigation, then a
    paper with math: every file at most once (KaTeX included), and no full page load."""
    base, log = served
    requests, (context, page) = first_visit(browser, served, "")
    page.evaluate("window.__sameDocument = true")
    page.locator(".rl-card a[href*='papers/']").first.click()
    page.wait_for_url("**/papers/**")
    page.wait_for_load_state("networkidle")
    page.locator("a.rl-chip[href*='tags/']").first.click()
    page.wait_for_url("**/tags/**")
    page.wait_for_load_state("networkidle")
    math = papers(site, math=True)[0]
    # A click on a link to it, as on any page that links it (Material listens on the body).
    page.evaluate("url => { const a = document.createElement('a'); a.href = url; "
                  "a.textContent = 'math'; document.body.append(a); a.click(); }",
                  base + math)
    page.wait_for_url(f"**/{math}")
    page.locator(".arithmatex .katex").first.wait_for(timeout=10_000)
    page.wait_for_load_state("networkidle")
    time.sleep(0.5)
    same = page.evaluate("window.__sameDocument === true")
    context.close()
    requests = log.snapshot()
    assert same, "instant navigation did not keep the page"
    # Chromium itself asks for the favicon again after every same-document navigation, even
    # with the same <link rel=icon> element in place and a cacheable answer (max-age): the
    # browser's icon fetcher, not a request of the page.
    assert twice([r for r in requests if r.path != "/assets/favicon.svg"]) == [], \
        describe(requests)
    assert [r.path for r in requests].count("/sitemap.xml") == 1
