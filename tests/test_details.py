"""The details of issue 15.9 that need no browser: a clean home title, descriptions without
LaTeX, and one date format on every generated page (ISO only where machines read it)."""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
from sitekit import build, make_project

from generator.core.entries import PartialDate
from generator.pages import display_date, math_text

SITE_NAME = "What Models Leak, Hide and Reveal"  # the repository's mkdocs.yml


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = make_project(tmp_path_factory.mktemp("details"))
    out = project / "site"
    assert build(project, out) == 0
    return out


def title(page: Path) -> str:
    found = re.search(r"<title>([^<]*)</title>", page.read_text("utf-8"))
    assert found is not None, page
    return html.unescape(found.group(1))


def description(page: Path) -> str:
    found = re.search(r'<meta name="description" content="([^"]*)"', page.read_text("utf-8"))
    assert found is not None, page
    return html.unescape(found.group(1))


def test_home_title_names_the_site_once(site):
    assert title(site / "index.html") == SITE_NAME
    # Other pages keep Material's "page - site".
    assert title(site / "papers" / "trojanstego" / "index.html") == (
        "TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy Leaking "
        f"Agent - {SITE_NAME}")
    assert title(site / "trending" / "index.html") == f"Trending - {SITE_NAME}"


def test_paper_descriptions_are_latex_free(site):
    text = description(site / "papers" / "trojanstego" / "index.html")
    assert "with (ε,δ) bounds and a cost of $5." in text
    og = re.search(r'<meta property="og:description" content="([^"]*)"',
                   (site / "papers" / "trojanstego" / "index.html").read_text("utf-8"))
    assert og is not None and "(ε,δ)" in html.unescape(og.group(1))
    for page in sorted((site / "papers").glob("*/index.html")):
        if "rl-paper" in page.read_text("utf-8"):
            assert "\\" not in description(page), page


@pytest.mark.parametrize("text,expected", [
    (r"with $(\varepsilon,\delta)$ bounds", "with (ε,δ) bounds"),
    (r"a map $2^S \to \mathbb{R}$ here", "a map 2^S →R here"),
    (r"$\mathbf{W}_{1}$ and $\mathcal{O}(n)$", "W_1 and O(n)"),
    (r"$O(\sqrt{n})$ queries", "O(√(n)) queries"),
    (r"costs \$5 and $\epsilon$", "costs $5 and ε"),
    (r"an unknown $\foo{x}$ command", "an unknown x command"),
    (r"a stray brace $a\}b$", "a stray brace a}b"),
    ("no math $ here", "no math $ here"),
    ("$" + "{" * 3000 + "x" + "}" * 3000 + "$ deep", "x deep"),
])
def test_math_text(text, expected):
    assert math_text(text) == expected


@pytest.mark.parametrize("value,expected", [
    (dt.date(2026, 12, 2), "2 December 2026"),
    (dt.date(2025, 1, 31), "31 January 2025"),
    (PartialDate.parse("2025-05-27"), "27 May 2025"),
    (PartialDate.parse("2025-05"), "May 2025"),
    (PartialDate.parse("2025"), "2025"),
])
def test_display_date(value, expected):
    assert display_date(value) == expected


def test_generated_pages_show_dates_one_way(site):
    paper = (site / "papers" / "trojanstego" / "index.html").read_text("utf-8")
    assert '<time title="first published" datetime="2025-05">May 2025</time>' in paper
    assert '<time datetime="2026-11-27">27 November 2026</time>' in paper
    trending = (site / "trending" / "index.html").read_text("utf-8")
    assert '<time datetime="2026-11-30">30 November 2026</time>' in trending
    # No ISO date left in what a reader sees on a generated page (docs pages are prose).
    iso = re.compile(r"\b(19|20)\d\d-\d\d(-\d\d)?\b")
    generated = [site / "index.html", site / "subscribe" / "index.html",
                 *site.glob("trending/**/index.html"), *site.glob("papers/*/index.html"),
                 *site.glob("categories/**/index.html"), *site.glob("tags/**/index.html")]
    for page in generated:
        body = page.read_text("utf-8").split('class="md-content"', 1)[-1]
        body = re.sub(r"<(script|pre|code)\b.*?</\1>", " ", body, flags=re.S)
        visible = html.unescape(re.sub(r"<[^>]+>", " ", body))
        assert not iso.search(visible), (page, iso.search(visible))


def test_theme_overrides_stay_out_of_the_site(site):
    """Our template overrides are not published: MkDocs copies every non-template file of a
    theme folder into the site (a .js partial would have been)."""
    assert not (site / "partials").exists()
    assert not (site / "main.html").exists()
    html_ = (site / "index.html").read_text("utf-8")
    # The early script is inline, before Material's bundle.
    assert html_.index("__rlUrl") < html_.index("assets/javascripts/bundle.")



def test_titles_with_math_read_as_text_in_title_and_og_title(tmp_path: Path):
    project = make_project(tmp_path / "math")
    entry = (project / "papers" / "trojanstego.yaml").read_text("utf-8")
    entry = entry.replace(
        'title: "TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy '
        'Leaking Agent"', "title: 'Tight $\\ell_2$ Bounds for Hidden Messages'")
    assert "ell_2" in entry
    (project / "papers" / "trojanstego.yaml").write_text(entry, "utf-8")
    out = project / "site"
    assert build(project, out) == 0
    page = out / "papers" / "trojanstego" / "index.html"
    assert "$" not in title(page) and "\\" not in title(page)
    og = re.search(r'<meta property="og:title" content="([^"]*)"', page.read_text("utf-8"))
    assert og is not None and "$" not in og.group(1)
