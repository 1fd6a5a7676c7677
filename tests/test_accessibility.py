"""Accessibility of the built default list in a real Chromium: axe-core finds no serious or
critical violation on the pages a reader sees (issue 15.1), in both palettes, on a desktop and
a phone; and the details of issue 15.9 a reader sees (phone header, feed tables).

axe-core comes from the ``axe-playwright-python`` test dependency, which ships ``axe.min.js``:
nothing is downloaded when the tests run. It is injected into pages served from a built site
on a loopback server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from browserkit import CHROMIUM, NO_CHROMIUM, serve
from sitekit import ROOT, build, make_project

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason=NO_CHROMIUM)]

#: (palette, width, height): Material follows the system's colour scheme on a first visit.
MODES = [("light", 1280, 800), ("dark", 1280, 800), ("light", 390, 844), ("dark", 390, 844)]
SEARCH = "<search>"  # the home page with the search dialog open and showing results


def axe_source() -> str:
    """axe-core's browser bundle, from the Python package that vendors it."""
    axe = pytest.importorskip("axe_playwright_python",
                              reason="pip install -e '.[test]' brings axe-playwright-python")
    return (Path(axe.__file__).parent / "axe.min.js").read_text("utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The default list (the repository's papers/), built."""
    project = make_project(tmp_path_factory.mktemp("a11y"), papers=ROOT / "papers")
    out = project / "site"
    assert build(project, out) == 0
    return out


@pytest.fixture(scope="module")
def pages(site: Path) -> list[str]:
    """Home, trending, categories, a category, tags, a tag, a paper page with math and one
    without, subscribe and the open search dialog; picked from the build, so the test
    follows the list's curation."""
    papers = sorted(p.parent.name for p in (site / "papers").glob("*/index.html")
                    if "Moved" not in p.read_text("utf-8")[:300])
    math = [p for p in papers if 'class="arithmatex"' in
            (site / "papers" / p / "index.html").read_text("utf-8")]
    plain = [p for p in papers if p not in math]
    assert math and plain, "the default list has papers with and without math"
    category = sorted(p.parent.name for p in (site / "categories").glob("*/index.html"))[0]
    tag = sorted(p.parent.name for p in (site / "tags").glob("*/index.html"))[0]
    return ["", "trending/", "categories/", f"categories/{category}/", "tags/", f"tags/{tag}/",
            f"papers/{math[0]}/", f"papers/{plain[0]}/", "subscribe/", SEARCH]


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    with serve(site) as (base, _log):
        yield base




def open_page(context, base: str, path: str):
    page = context.new_page()
    page.route(lambda url: not url.startswith(base), lambda route: route.abort())
    page.goto(base + ("" if path == SEARCH else path))
    page.wait_for_load_state("networkidle")
    if path == SEARCH:
        page.keyboard.press("/")
        page.keyboard.type("memorization", delay=10)
        page.locator(".md-search-result__item").first.wait_for(timeout=10_000)
    return page


def serious(page, axe: str) -> list[str]:
    """axe-core's serious and critical violations on the page, one line per element."""
    page.evaluate(axe)
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    out = []
    for violation in result["violations"]:
        if violation["impact"] in ("serious", "critical"):
            for node in violation["nodes"]:
                why = " ".join((node.get("failureSummary") or "").split())
                out.append(f"{violation['id']} {node['target']}: {why[:240]}")
    return out


@pytest.mark.parametrize("scheme,width,height", MODES,
                         ids=[f"{s}-{w}" for s, w, _ in MODES])
def test_no_serious_axe_violation(browser, served, pages, scheme, width, height):
    axe = axe_source()
    context = browser.new_context(viewport={"width": width, "height": height},
                                  color_scheme=scheme)
    found = {}
    try:
        for path in pages:
            page = open_page(context, served, path)
            wanted = "slate" if scheme == "dark" else "default"
            assert page.get_attribute("body", "data-md-color-scheme") == wanted, path
            problems = serious(page, axe)
            if problems:
                found[path or "/"] = problems[:8] + [f"... {len(problems)} in all"]
            page.close()
    finally:
        context.close()
    assert found == {}


def test_axe_finds_what_it_is_asked_to(browser, served):
    """The check can fail: a page with a nameless dialog and grey-on-grey text is flagged
    (what Material's search dialog and tab bar were before the overrides)."""
    axe = axe_source()
    context = browser.new_context()
    page = open_page(context, served, "")
    page.evaluate("""() => {
        document.querySelector('.md-search').removeAttribute('aria-label');
        const p = document.createElement('p');
        p.textContent = 'faint text';
        p.style.cssText = 'color:#999;background:#fff';
        document.querySelector('.md-content').append(p);
    }""")
    ids = {line.split()[0] for line in serious(page, axe)}
    context.close()
    assert {"aria-dialog-name", "color-contrast"} <= ids


def test_phone_header_shows_the_whole_site_name(browser, served, site):
    name = re.search(r"<title>([^<]*)</title>", (site / "index.html").read_text("utf-8"))
    assert name is not None
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = open_page(context, served, "papers/")
    if page.locator(".md-header__topic").count() == 0:  # /papers/ not built yet: any page
        page = open_page(context, served, "")
    title = page.locator(".md-header__topic").first.locator(".md-ellipsis")
    assert title.inner_text().strip() == name.group(1)
    # Not cut: the text fits in its box (Material's single line ends in an ellipsis).
    fits = title.evaluate("el => el.scrollWidth <= el.clientWidth + 1 && "
                          "el.scrollHeight <= el.clientHeight + 1")
    visible = title.evaluate("el => { const r = el.getBoundingClientRect(); "
                             "return r.width > 0 && r.right <= window.innerWidth; }")
    context.close()
    assert fits and visible


def test_subscribe_feed_tables_are_styled(browser, served):
    context = browser.new_context()
    page = open_page(context, served, "subscribe/")
    table = page.locator("table.rl-feed-table").first
    style = table.evaluate("""el => {
        const th = el.querySelector('th'), td = el.querySelector('td');
        const cs = getComputedStyle(th), ds = getComputedStyle(td);
        return {width: el.getBoundingClientRect().width,
                content: el.parentElement.getBoundingClientRect().width,
                thBackground: cs.backgroundColor, tdBorder: ds.borderTopStyle,
                tdPadding: parseFloat(ds.paddingLeft),
                countAlign: getComputedStyle(el.querySelector('td:nth-child(2)')).textAlign};
    }""")
    context.close()
    assert style["width"] >= style["content"] - 1  # the full width of the text column
    assert style["thBackground"] not in ("rgba(0, 0, 0, 0)", "transparent")
    assert style["tdBorder"] == "solid" and style["tdPadding"] >= 8
    assert style["countAlign"] == "right"
