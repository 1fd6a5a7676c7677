"""Browsing the list (issue 15.4): /papers/, author pages, the tags index, listings' chips."""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from sitekit import FIXTURE, ROOT, SITE_URL

from generator.core import trending
from generator.core.config import SiteConfig
from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.pages import (
    author_slug,
    authors_of,
    browse_facets,
    build_page_set,
    papers_index_json,
    simple_slug,
    tag_index,
    venue_series,
)

TODAY = dt.date(2026, 11, 30)

TAXONOMY = """\
categories:
  - {slug: privacy, title: Privacy, description: People.}
  - {slug: covert, title: Covert channels, description: Hidden messages.}
tags:
  - {slug: a-zeta, title: Zeta tag, description: "Last by title, first by slug."}
  - {slug: b-alpha, title: alpha tag, description: First by title (case folded).}
  - {slug: c-mid, title: Mid tag, description: In the middle.}
"""


def entry(title: str, authors: list[str], published: str, added: str, category: str,
          tags: list[str], venue: str | None = None) -> str:
    lines = [f'title: "{title}"', f"authors: {json.dumps(authors, ensure_ascii=False)}",
             f"published: {published}", f"added: {added}",
             f'url: "https://example.org/{zlib.crc32(title.encode())}"',
             f"category: {category}", f"tags: {json.dumps(tags)}",
             "abstract: An abstract long enough to be an abstract of this paper."]
    if venue:
        lines.append(f'venue: "{venue}"')
    return "\n".join(lines) + "\n"


def collection_in(folder: Path, entries: dict[str, str]):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "taxonomy.yml").write_text(TAXONOMY, "utf-8")
    for name, text in entries.items():
        (folder / f"{name}.yaml").write_text(text, "utf-8")
    collection, problems = load_collection(list(iter_entry_files(folder)),
                                           folder / "taxonomy.yml", TODAY, root=folder.parent)
    assert collection is not None, [p.format() for p in problems]
    return collection


def fixture_collection():
    folder = FIXTURE / "papers"
    collection, problems = load_collection(list(iter_entry_files(folder)),
                                           folder / "taxonomy.yml", TODAY, root=folder.parent)
    assert collection is not None, [p.format() for p in problems]
    return collection


def config(page_size: int = 50) -> SiteConfig:
    return SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT, page_size=page_size)


@pytest.fixture
def small(tmp_path: Path):
    """Five papers: two spellings of one author, venues across years, tags out of order."""
    return collection_in(tmp_path / "papers", {
        "one": entry("One about privacy", ["Paul Röttger", "Ada Lovelace"], "2023-05",
                     "2026-11-01", "privacy", ["a-zeta", "b-alpha"], "NeurIPS 2023"),
        "two": entry("Two covert", ["Paul Rottger", "Grace Hopper Jr."], "2025-01",
                     "2026-11-20", "covert", ["b-alpha"], "NeurIPS 2024"),
        "three": entry("Three zebra", ["Paul Röttger", "Zoë Öztürk"], "2024-03",
                       "2026-11-10", "privacy", ["c-mid"]),
        "four": entry("Four alpha", ["Alan Turing"], "2022", "2026-11-25", "covert",
                      ["a-zeta"], "ICML 2022"),
        "five": entry("Five", ["—"], "2021-07", "2026-10-01", "privacy", ["c-mid"]),
    })


class _Text(HTMLParser):
    """Text of the elements with a given class, in document order."""

    def __init__(self, cls: str) -> None:
        super().__init__()
        self.cls, self.depth, self.found = cls, 0, []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if self.depth:
            self.depth += 1
        elif self.cls in (dict(attrs).get("class") or "").split():
            self.depth = 1
            self.found.append("")

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.depth:
            self.found[-1] += data


def texts(html: str, cls: str) -> list[str]:
    parser = _Text(cls)
    parser.feed(html)
    return [t.strip() for t in parser.found]


# -- authors ---------------------------------------------------------------------------------

def test_author_slugs_are_stable_and_merge_spellings():
    assert author_slug("Paul Röttger") == author_slug("Paul Rottger") == "paul-rottger"
    assert author_slug("Zoë Öztürk") == "zoe-ozturk"
    # Only punctuation: a hash of the name, the same in every build, never empty.
    assert re.fullmatch(r"author-[0-9a-f]{10}", author_slug("—"))
    assert author_slug("—") == author_slug("—") != author_slug("–")


def test_one_author_page_per_slug_with_every_spelling(small):
    authors = {a.slug: a for a in authors_of(small)}
    paul = authors["paul-rottger"]
    # The spelling used most comes first; the page lists both.
    assert paul.names == ("Paul Röttger", "Paul Rottger")
    # Newest publication first.
    assert [p.id for p in paul.papers] == ["two", "three", "one"]
    pageset = build_page_set(small, config(), TODAY)
    page = pageset.page("authors/paul-rottger/index.md")
    assert page.title == "Paul Röttger"
    assert "Also written as Paul Rottger." in page.html
    assert [t for t in texts(page.html, "rl-card__title")] == [
        "Two covert", "Three zebra", "One about privacy"]
    assert texts(page.html, "rl-kicker") == ["Author"]
    # Every author of every paper has a page.
    names = {n for p in small.papers for n in p.authors}
    paths = {p.path for p in pageset.pages}
    assert {f"authors/{author_slug(n)}/index.md" for n in names} <= paths


def test_author_names_link_to_their_pages_from_papers_and_cards(small):
    pageset = build_page_set(small, config(), TODAY)
    paper = pageset.page("papers/two/index.md").html
    assert '<a href="../../authors/paul-rottger/">Paul Rottger</a>' in paper
    assert '<a href="../../authors/grace-hopper-jr/">Grace Hopper Jr.</a>' in paper
    home = pageset.page("index.md").html
    assert '<a href="./authors/paul-rottger/">Paul Röttger</a>' in home


def test_author_pages_are_framed_and_paginated(small):
    pageset = build_page_set(small, config(page_size=2), TODAY)
    first = pageset.page("authors/paul-rottger/index.md")
    second = pageset.page("authors/paul-rottger/page/2/index.md")
    # The first page goes through the paper pages' frame: two folders deep like them. A
    # later page is deeper (its links differ), so MkDocs renders it.
    assert first.framed and not first.in_nav and first.meta["description"]
    assert not second.framed
    assert texts(second.html, "rl-card__title") == ["One about privacy"]
    assert 'href="../../../../authors/paul-rottger/" rel="prev"' in second.html
    assert not pageset.page("authors/index.md").framed
    assert not pageset.page("papers/index.md").framed


def test_authors_index_is_by_surname_grouped_by_letter(small):
    pageset = build_page_set(small, config(), TODAY)
    html = pageset.page("authors/index.md").html
    names = re.findall(r'<li><a href="[^"]*">([^<]*)</a>', html)
    # Hopper (Jr. is no surname), Lovelace, Öztürk (as O), Röttger (as Rottger), Turing;
    # the punctuation-only name sorts last, under "#".
    assert names == ["Grace Hopper Jr.", "Ada Lovelace", "Zoë Öztürk", "Paul Röttger",
                     "Alan Turing", "—"]
    headings = re.findall(r'<h2 id="letter-([a-z]+)">', html)
    assert headings == ["h", "l", "o", "r", "t", "other"]


# -- /papers/ --------------------------------------------------------------------------------

def test_all_papers_are_listed_paginated_newest_added_first(small):
    pageset = build_page_set(small, config(page_size=2), TODAY)
    paths = [p.path for p in pageset.pages if re.match(r"papers/(page/\d+/)?index\.md$",
                                                       p.path)]
    assert paths == ["papers/index.md", "papers/page/2/index.md", "papers/page/3/index.md"]
    first = pageset.page("papers/index.md")
    assert first.in_nav and first.title == "All papers"
    rows = [t for path in paths for t in texts(pageset.page(path).html, "rl-row__title")]
    assert rows == ["Four alpha", "Two covert", "Three zebra", "One about privacy", "Five"]
    # No JavaScript needed: the rows are in the page, the form waits hidden for the script.
    assert '<form id="rl-browse" class="rl-browse" hidden' in first.html
    assert 'rel="next"' in first.html and "Page 1 of 3" in first.html
    last = pageset.page("papers/page/3/index.md").html
    assert 'href="../../../papers/page/2/" rel="prev"' in last and 'rel="next"' not in last


def test_browse_facets_and_index_json(small):
    facets = browse_facets(small)
    assert [v for v, _ in facets["year"]] == ["2025", "2024", "2023", "2022", "2021"]
    assert [v for v, _ in facets["venue"]] == ["ICML", "NeurIPS"]
    assert [v for v, _ in facets["tag"]] == ["b-alpha", "c-mid", "a-zeta"]
    ranking = trending.rank(small, trending.load_history_or_empty(None), TODAY, "week")
    doc = json.loads(papers_index_json(small, ranking))
    columns = doc["papers"]
    # One list per field, newest additions first (the order of the page without a view).
    assert doc["count"] == 5 and columns["id"] == ["four", "two", "three", "one", "five"]
    assert {len(v) for v in columns.values()} == {5}
    assert columns["authors"][1] == ["Paul Rottger", "Grace Hopper Jr."]
    assert columns["more"][1] == 0
    assert doc["categories"][columns["category"][1]][0] == "covert"
    assert [doc["tags"][i][0] for i in columns["tags"][1]] == ["b-alpha"]
    assert (columns["venue"][1], columns["published"][1]) == ("NeurIPS 2024", "2025-01")
    # Slugs browse.js can compute itself are left out; the others are listed.
    assert doc["author_slugs"] == {"—": author_slug("—")}
    # Without popularity data there is no ranking to sort by.
    assert ranking.fallback and columns["rank"] == [None] * 5


def test_index_json_maps_renamed_papers_old_ids_to_their_ids(small, tmp_path: Path):
    ranking = trending.rank(small, trending.load_history_or_empty(None), TODAY, "week")
    assert "aliases" not in json.loads(papers_index_json(small, ranking))  # none renamed
    renamed = collection_in(tmp_path / "renamed", {
        "two": entry("Two covert", ["Ada Lovelace"], "2025-01", "2026-11-20", "covert",
                     ["b-alpha"]) + "aliases: [two-old, a-two]\n",
        "four": entry("Four alpha", ["Alan Turing"], "2022", "2026-11-25", "covert",
                      ["a-zeta"]) + "aliases: [four-was]\n",
        "five": entry("Five", ["Grace Hopper"], "2021-07", "2026-10-01", "privacy", ["c-mid"]),
    })
    ranking = trending.rank(renamed, trending.load_history_or_empty(None), TODAY, "week")
    text = papers_index_json(renamed, ranking).decode()
    # Old id -> current id, sorted by old id whatever the papers' order; old ids are not rows.
    assert '"aliases":{"a-two":"two","four-was":"four","two-old":"two"}' in text
    assert json.loads(text)["papers"]["id"] == ["four", "two", "five"]


def test_only_slugs_the_browser_cannot_compute_are_listed():
    # browse.js: NFKD, combining marks dropped, lower case, other runs one hyphen.
    assert simple_slug("Paul Röttger") == author_slug("Paul Röttger") == "paul-rottger"
    assert simple_slug("Zoë Öztürk") == author_slug("Zoë Öztürk")
    # python-slugify transliterates more (ß, ø, CJK): those go into author_slugs.
    assert (simple_slug("Jürgen Großmann"), author_slug("Jürgen Großmann")) == (
        "jurgen-gro-mann", "jurgen-grossmann")
    assert simple_slug("李明") == "" and author_slug("李明") == "li-ming"


def test_index_json_is_in_the_page_set_and_small():
    pageset = build_page_set(fixture_collection(), config(), TODAY)
    doc = json.loads(pageset.files["papers/index.json"])
    assert doc["count"] == len(fixture_collection().papers)
    # Hostile text is data in the JSON (browse.js sets it as text), never pre-escaped HTML.
    assert any("<script>" in title for title in doc["papers"]["title"])
    assert any("<script>" in name for names in doc["papers"]["authors"] for name in names)


def test_venue_series_drops_the_year():
    assert venue_series("NeurIPS 2024") == "NeurIPS"
    assert venue_series("USENIX Security '23") == "USENIX Security '23"
    assert venue_series("IEEE S&P 2023") == "IEEE S&P"
    assert venue_series("ICLR, 2021") == "ICLR"
    assert venue_series("2024") == "2024"


# -- tags index, kickers, chips ---------------------------------------------------------------

def test_tags_index_is_ordered_by_title_and_sized_by_count(small):
    entries = tag_index(small)
    assert [t.title for t, _, _ in entries] == ["alpha tag", "Mid tag", "Zeta tag"]
    assert [(n, size) for _, n, size in entries] == [(2, 4), (2, 4), (2, 4)]
    html = build_page_set(small, config(), TODAY).page("tags/index.md").html
    chips = [t.split("\n")[0] for t in texts(html, "rl-chip")]
    assert [c.rsplit(" ", 2)[0] for c in chips] == ["alpha tag", "Mid tag", "Zeta tag"]


def test_tag_sizes_follow_the_count(tmp_path: Path):
    papers = {f"p{i}": entry(f"Paper {i}", ["A B"], "2024", "2026-11-01", "privacy",
                             ["a-zeta"] + (["b-alpha"] if i < 3 else [])
                             + (["c-mid"] if i == 0 else [])) for i in range(9)}
    sizes = {t.slug: (n, s) for t, n, s in tag_index(collection_in(tmp_path / "p", papers))}
    assert sizes == {"a-zeta": (9, 4), "b-alpha": (3, 3), "c-mid": (1, 1)}


def test_category_and_tag_pages_differ_and_omit_their_own_chip(small):
    pageset = build_page_set(small, config(), TODAY)
    category = pageset.page("categories/privacy/index.md").html
    tag = pageset.page("tags/b-alpha/index.md").html
    assert texts(category, "rl-kicker") == ["Category"]
    assert 'class="rl-listing rl-listing--category"' in category
    assert texts(tag, "rl-kicker") == ["Tag"]
    assert 'class="rl-listing rl-listing--tag"' in tag
    # The category page's cards show no category chip; their tag chips stay.
    assert "rl-chip--category" not in category
    assert 'href="../../tags/a-zeta/"' in category
    # The tag page's cards show every chip but that tag's.
    assert 'href="../../tags/b-alpha/"' not in tag
    assert 'href="../../tags/a-zeta/"' in tag and "rl-chip--category" in tag
    # Elsewhere a card keeps all its chips.
    home = pageset.page("index.md").html
    assert 'href="./tags/b-alpha/"' in home and 'href="./categories/privacy/"' in home
