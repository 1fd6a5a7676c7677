"""One function per idea (issue 14.6): each rule that used to be written out in several
places is one function, and every place that shows its result follows it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import pytest

from generator.core import entries, trending
from generator.core.config import SiteConfig
from generator.core.entries import (
    Category,
    Collection,
    Paper,
    PartialDate,
    Taxonomy,
    load_schema,
    newest_first,
)
from generator.core.render import all_authors, excerpt, short_authors, shown_authors
from generator.pages import (
    authors_of,
    build_page_set,
    data_files,
    feed_links,
    summary,
    template_env,
)
from generator.pages.digest import DigestDay, digest_html, digest_text
from generator.pages.feeds import MEDIA_TYPES, build_feeds, feed_index
from generator.sources import arxiv, arxiv_feeds
from generator.sources.formats.common import arxiv_id

ROOT = Path(__file__).resolve().parent.parent
CONFIG = SiteConfig(site_name="Lab list", site_url="https://example.org/list/")
DAY = dt.date(2026, 11, 27)


def paper(pid: str = "p", authors: tuple[str, ...] = (), incomplete: bool = False,
          abstract: str = "", added: dt.date = DAY, published: str | None = "2025-05") -> Paper:
    return Paper(id=pid, source=f"papers/{pid}.yaml", title=pid.title(), abstract=abstract,
                 category="c", tags=(), added=added, authors=authors,
                 authors_incomplete=incomplete,
                 published=PartialDate.parse(published) if published else None,
                 arxiv="2505.20118")


# ---------------------------------------------------------------------------- bylines

BYLINES = [
    # authors, known incomplete -> short byline (3 names), every name
    (("A", "B", "C", "D"), False, "A, B, C et al.", "A, B, C, D"),
    (("A", "B", "C"), False, "A, B, C", "A, B, C"),
    (("A", "B"), True, "A, B et al.", "A, B et al."),
    ((), True, "", ""),  # no names: nothing to add "et al." to
    ((), False, "", ""),
]


@pytest.mark.parametrize("authors,incomplete,short,every", BYLINES)
def test_one_byline_rule(authors, incomplete, short, every):
    p = paper(authors=authors, incomplete=incomplete)
    assert short_authors(p) == short
    assert all_authors(p) == every
    names, more = shown_authors(p)
    assert ", ".join(names) + (" et al." if more else "") == short


@pytest.mark.parametrize("authors,incomplete,short,every", BYLINES)
def test_pages_and_digest_write_bylines_by_that_rule(authors, incomplete, short, every):
    p = paper(authors=authors, incomplete=incomplete, abstract="")
    links = template_env(ROOT).get_template("author_links.html.j2").make_module(
        {"author_url": lambda name: f"/authors/{name.lower()}/"}).author_links
    text = lambda html: "".join(part.split(">")[-1] for part in str(html).split("<"))  # noqa: E731
    assert text(links(p, 3)) == short  # cards and the /papers/ rows
    assert text(links(p)) == every  # the paper page
    # Without an abstract a description says who wrote the paper.
    assert summary(p) == ". ".join(f for f in ("P", short, "2025") if f)
    day = DigestDay(DAY, added=(p,))
    assert (f"  {short}\n" in digest_text(day, CONFIG)) == bool(short)
    assert (f"</a> — {short}<br" in digest_html(day, CONFIG)) == bool(short)


# ---------------------------------------------------------------------------- excerpts

MATH = "We bound the leak " + "by $\\varepsilon \\log n$ " * 40


@pytest.mark.parametrize("limit", [40, 75, 260, 300])
def test_one_excerpt_cut_pages_and_digest_styles(limit):
    cut = excerpt(MATH, limit)
    assert cut.endswith(" …") and len(cut) <= limit + 2
    assert cut[:-2].count("$") % 2 == 0  # never inside math
    digest_style = excerpt(MATH, limit, ellipsis="…", trim=",;:.")
    assert digest_style == cut[:-2] + "…"


def test_the_digest_excerpt_is_one_line_and_keeps_math_whole():
    abstract = "First paragraph ends here.\n\n" + MATH
    p = paper(abstract=abstract, authors=("A",))
    text = digest_text(DigestDay(DAY, added=(p,)), CONFIG)
    shown = " ".join(line.strip() for line in text.split("  A\n", 1)[1].split("\n  https")[0]
                     .splitlines())
    assert shown.startswith("First paragraph ends here. We bound") and shown.endswith("…")
    assert shown.count("$") % 2 == 0 and len(shown) <= 281
    assert excerpt("Short, whole.", 280, "…", ",;:.") == "Short, whole."
    assert excerpt("Ends with a stop. Then more words", 18, "…", ",;:.") == "Ends with a stop…"
    assert excerpt("Ends with a stop. Then more words", 18) == "Ends with a stop. …"


# ---------------------------------------------------------------------------- order

def test_newest_first_orders_and_the_trending_ties_follow_it():
    early = DAY - dt.timedelta(days=30)
    papers = (paper("old-pub", added=DAY, published="2019"),
              paper("new-pub", added=DAY, published="2025-05"),
              paper("b", added=early), paper("a", added=early))
    collection = Collection(tuple(sorted(papers, key=lambda p: p.id)), Taxonomy((), ()))
    assert [p.id for p in collection.newest] == ["new-pub", "old-pub", "a", "b"]
    assert [p.id for p in sorted(papers, key=newest_first)] == \
        [p.id for p in collection.newest]


def test_newest_publication_first_puts_undated_papers_last_everywhere():
    early = DAY - dt.timedelta(days=30)
    papers = (paper("undated", authors=("Ada Lovelace",), added=DAY, published=None),
              paper("classic", authors=("Ada Lovelace",), added=DAY, published="2016"),
              paper("fresh", authors=("Ada Lovelace",), added=early, published="2025-05"),
              paper("also-fresh", authors=("Ada Lovelace",), added=DAY,
                    published="2025-05"))
    expected = ["also-fresh", "fresh", "classic", "undated"]
    collection = Collection(tuple(sorted(papers, key=lambda p: p.id)), Taxonomy((), ()))
    (author,) = authors_of(collection)
    assert [p.id for p in author.papers] == expected  # the author page
    fallback = trending.rank(collection, trending.load_history_or_empty(None), DAY)
    assert fallback.fallback  # no data: trending lists the newest publications
    assert [row.paper_id for row in fallback.rows] == expected


# ---------------------------------------------------------------------------- media types

def test_feed_media_types_come_from_one_table():
    collection = Collection((paper("p"),), Taxonomy((), ()))
    by_path = {f.path: f for f in feed_index(collection, CONFIG)}
    links = feed_links(collection, CONFIG, "", "home", None).splitlines()
    assert len(links) == 3
    for link in links:
        path = link.split('href="')[1].split('"')[0]
        assert f'type="{MEDIA_TYPES[by_path[path].kind]}"' in link
    rss = build_feeds(collection, CONFIG, DAY)["feed.xml"].decode()
    assert f'rel="self" type="{MEDIA_TYPES["rss"]}"' in rss


# ---------------------------------------------------------------------------- paper URL

def test_every_link_to_a_paper_is_its_one_path(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("generator.core.entries.paper_path", lambda pid: f"p/{pid}/")
    for module in ("generator.pages", "generator.pages.feeds", "generator.pages.digest"):
        monkeypatch.setattr(f"{module}.paper_path", lambda pid: f"p/{pid}/")
    renamed = dataclasses.replace(paper("new-name", authors=("A",), abstract="Text."),
                                  aliases=("old-name",))
    collection = Collection((renamed,), Taxonomy((Category("c", "C", "", 0),), ()))
    files = data_files(collection, CONFIG, DAY, [])
    assert "p/old-name/index.html" in files  # the redirect of the former id
    assert b"https://example.org/list/p/new-name/" in files["p/old-name/index.html"]
    papers = json.loads(files["papers.json"])["papers"]
    assert papers[0]["url"] == "https://example.org/list/p/new-name/"
    assert b"<link>https://example.org/list/p/new-name/</link>" in files["feed.xml"]
    assert b"<guid isPermaLink=\"false\">https://example.org/list/p/old-name/</guid>" in \
        files["feed.xml"]
    day = DigestDay(DAY, added=(renamed,))
    assert 'href="https://example.org/list/p/new-name/"' in digest_html(day, CONFIG)
    assert "  https://example.org/list/p/new-name/\n" in digest_text(day, CONFIG)
    pages = build_page_set(collection, dataclasses.replace(CONFIG, root=ROOT), DAY).pages
    assert "p/new-name/index.md" in [page.path for page in pages]
    home = next(page for page in pages if page.path == "index.md")
    assert 'href="./p/new-name/"' in home.text and "papers/new-name" not in home.text


# ---------------------------------------------------------------------------- arXiv ids

def test_the_arxiv_id_pattern_is_the_schemas():
    pattern = load_schema()["properties"]["arxiv"]["pattern"]
    assert pattern == "^" + entries.ARXIV_ID.replace("(?:", "(") + "$"


@pytest.mark.parametrize("ident,valid", [
    ("2505.20118", True), ("0704.0001", True), ("cs/0112017", True),
    ("math.GT/0309136", True), ("hep-th/9901001", True),
    ("2513.20118", False),  # no 13th month
    ("cs/0113017", False), ("-cs/0112017", False), ("cs-/0112017", False),
    ("25.20118", False), ("2505.201", False),
])
def test_every_reader_of_arxiv_ids_takes_the_same_ids(ident: str, valid: bool):
    assert bool(re.fullmatch(load_schema()["properties"]["arxiv"]["pattern"], ident)) == valid
    expected = ident if valid else None
    # Importers' text, arXiv API lookups, inbox feeds, and duplicate detection of URLs.
    assert arxiv_id(f"arXiv:{ident}v2") == expected
    assert arxiv_feeds.arxiv_id({"id": f"oai:arXiv.org:{ident}"}) == expected
    assert arxiv_feeds.arxiv_id({"link": f"https://arxiv.org/abs/{ident}v1"}) == expected
    assert (arxiv.ID_RE.match(ident) is not None) == valid
    assert bool(entries._ARXIV_LINK.match(f"https://arxiv.org/abs/{ident}")) == valid
