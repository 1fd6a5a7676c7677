"""Reader features of issue 15 (points 5-8) in the page set: the Code button with stars,
the Saved page and save controls, search records that scan, home without repeats."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sitekit import FIXTURE, ROOT, SITE_URL

from generator.core.config import SiteConfig
from generator.core.entries import Collection, load_collection
from generator.core.files import iter_entry_files
from generator.core.metrics import History
from generator.core.trending import rank
from generator.pages import (
    SEARCH_BOOST,
    SEARCH_CHUNK,
    CodeButton,
    build_page_set,
    code_stars,
    home_newest,
    search_chunks,
    search_record,
)

TODAY = dt.date(2026, 11, 30)
CONFIG = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT)

@pytest.fixture(scope="module")
def fixture() -> Collection:
    folder = FIXTURE / "papers"
    collection, problems = load_collection(list(iter_entry_files(folder)),
                                           folder / "taxonomy.yml", TODAY, root=folder.parent)
    assert collection is not None, [p.format() for p in problems]
    return collection

def stars_history(*counts: tuple[int, int]) -> History:
    """TrojanStego's code (the fixture's one ``links.code``) with (days before, stars)."""
    return History({TODAY - dt.timedelta(days=ago): {"trojanstego": {"github_stars": n}}
                    for ago, n in counts})

def body(pageset, path: str) -> str:
    return pageset.page(path).text

# --- point 5: the Code button -----------------------------------------------------------------

def test_code_button_with_the_newest_star_count(fixture: Collection) -> None:
    history = stars_history((3, 1180), (1, 1234), (-1, 9999))  # a count after today is unseen
    html = body(build_page_set(fixture, CONFIG, TODAY, history), "papers/trojanstego/index.md")
    button = re.search(r'<a class="md-button rl-code"[^>]*>.*?</a>', html)
    assert button is not None
    assert 'href="https://github.com/example/trojanstego"' in button.group()
    assert 'aria-label="Code on GitHub, 1,234 stars"' in button.group()
    assert 'title="1,234 GitHub stars, counted 2026-11-29"' in button.group()
    assert ">Code · <span class=\"rl-code__stars\" aria-hidden=\"true\">★ 1.2k</span></a>" in \
        button.group()
    # Not also shown as a generic "Code" link button.
    assert html.count(">Code") == 1

def test_code_button_without_metrics_and_no_button_without_code(fixture: Collection) -> None:
    pageset = build_page_set(fixture, CONFIG, TODAY, History())
    html = body(pageset, "papers/trojanstego/index.md")
    assert re.search(r'<a class="md-button rl-code"[^>]*aria-label="Code on GitHub">Code</a>',
                     html)
    assert "★" not in html
    for other in ("pii-leakage", "memorization-landscape", "hostile"):
        assert "rl-code" not in body(pageset, f"papers/{other}/index.md")
    # The hostile entry's other link kind stays a plain, escaped button.
    assert ">Project</a>" in body(pageset, "papers/hostile/index.md")

def test_stars_follow_a_renamed_paper_and_change_the_page(fixture: Collection) -> None:
    # History recorded under the former id (an alias) still counts, as in trending.
    old = History({TODAY: {"trojan-stego-old": {"github_stars": 77}}})
    assert code_stars(fixture, old, TODAY) == {"trojanstego": (77, TODAY)}
    first = body(build_page_set(fixture, CONFIG, TODAY, old), "papers/trojanstego/index.md")
    new = History({TODAY: {"trojanstego": {"github_stars": 78}}})
    second = body(build_page_set(fixture, CONFIG, TODAY, new), "papers/trojanstego/index.md")
    # A new count is a new page, not the cached one.
    assert "★ 77" in first and "★ 78" in second

@pytest.mark.parametrize(("stars", "short", "label"), [
    (0, "0", "Code on GitHub, 0 stars"), (1, "1", "Code on GitHub, 1 star"),
    (999, "999", "Code on GitHub, 999 stars"), (1000, "1k", "Code on GitHub, 1,000 stars"),
    (1299, "1.2k", "Code on GitHub, 1,299 stars"), (15_399, "15.3k", None),
    (123_456, "123k", None), (999_999, "999k", None), (1_560_000, "1.5M", None),
])
def test_star_counts_are_written_like_github_and_never_rounded_up(
        stars: int, short: str, label: str | None) -> None:
    button = CodeButton("https://github.com/a/b", stars, TODAY)
    assert button.short == short
    if label:
        assert button.label == label
    assert CodeButton("https://gitlab.com/a/b").label == "Code"

# --- point 6: saved papers ----------------------------------------------------------------------

def test_saved_page_and_save_controls(fixture: Collection) -> None:
    pageset = build_page_set(fixture, CONFIG, TODAY)
    saved = pageset.page("saved/index.md")
    assert saved.in_nav and saved.title == "Saved"
    assert saved.meta["search"] == {"exclude": True}
    html = saved.text
    assert 'id="rl-saved" data-index="../papers/index.json" data-papers="../papers.json" ' \
        'data-bib="../papers.bib" hidden' in html
    assert "<noscript>" in html
    # Every card and every paper page carries one hidden control, filled in by saved.js.
    category = body(pageset, "categories/privacy/index.md")
    assert category.count('<div class="rl-save rl-card__save" data-rl-save="') == \
        category.count('<article class="rl-card">') == 3
    paper = body(pageset, "papers/trojanstego/index.md")
    # trojanstego was renamed: its control names the old id, so a mark kept under it moves.
    assert '<span class="rl-save" data-rl-save="trojanstego" ' \
        'data-rl-aliases="trojan-stego-old" hidden></span>' in paper
    # The papers the Saved page lists from, and the BibTeX it picks records from.
    assert "papers.json" in pageset.files and "papers.bib" in pageset.files

def test_saved_js_is_a_site_asset_on_every_page() -> None:
    from generator import plugin

    assert "saved.js" in plugin.JS
    assert plugin.ASSET_PREFIX + "saved.js" in plugin.package_assets()

# --- point 7: search records --------------------------------------------------------------------

def test_search_record_layout(fixture: Collection) -> None:
    paper = fixture.by_id["trojanstego"]
    record = search_record(paper, fixture, "papers/trojanstego/")
    assert record["boost"] == SEARCH_BOOST
    assert record["title"] == (
        "TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy Leaking "
        'Agent<span class="rl-sr-by">Dominik Meier, Jan Philip Wahle, Paul Röttger et al. · '
        "EMNLP 2025</span>")
    blocks = re.findall(r"<p>(.*?)</p>", record["text"])
    assert "".join(f"<p>{b}</p>" for b in blocks) == record["text"]  # blocks, nothing else
    assert blocks[-2] == "Terry Ruas, Bela Gipp"  # the authors the byline leaves out
    assert blocks[-1].endswith("· Extraction · arXiv 2505.20118")
    assert "&lt;img src=x" in blocks[-1]  # a hostile tag name stays text
    # Without a venue the byline has the year; the year is not repeated after a venue.
    other = search_record(fixture.by_id["memorization-landscape"], fixture, "x/")
    assert other["title"].endswith("Aneesh Pappu et al. · 2025</span>")

def test_search_chunks_are_short_sentences_and_keep_math_whole() -> None:
    sentence = "We study leakage in language models and measure it carefully. "
    text = sentence * 8 + "A " + "very-long-word " * 30 + "$a + b = c$ closes it."
    chunks = search_chunks(text)
    assert " ".join(chunks) == " ".join(text.split())  # nothing lost or reordered
    assert all(len(c) <= SEARCH_CHUNK for c in chunks)
    assert chunks[0].endswith("carefully.")  # cut after a sentence when it can be
    math = search_chunks("x " * 95 + "$" + " y" * 20 + "$ end", limit=200)
    assert sum(c.count("$") % 2 for c in math) == 0  # never cut inside $...$
    assert search_chunks("") == []

def test_search_records_stay_small() -> None:
    """The index is downloaded whole: the layout (byline, blocks, boost) may cost the
    default list's records at most 8% over the record before it (authors, the abstract
    in one paragraph, the details with venue and date)."""
    import json
    from html import escape

    from generator.core.render import plain_text

    collection, _ = load_collection(list(iter_entry_files(ROOT / "papers")),
                                    ROOT / "papers" / "taxonomy.yml", TODAY, root=ROOT)
    assert collection is not None
    taxonomy = collection.taxonomy
    before = after = 0
    for p in collection.papers:
        details = [p.venue, p.published.iso if p.published else None,
                   taxonomy.category_by_slug[p.category].title,
                   *(taxonomy.tag_by_slug[t].title for t in p.tags),
                   f"arXiv {p.arxiv}" if p.arxiv else None, f"DOI {p.doi}" if p.doi else None]
        paragraphs = [", ".join(p.authors), plain_text(p.abstract),
                      " · ".join(d for d in details if d)]
        old = {"location": f"papers/{p.id}/", "title": escape(p.title, quote=False),
               "text": " ".join(f"<p>{escape(x, quote=False)}</p>" for x in paragraphs if x)}
        before += len(json.dumps(old, ensure_ascii=False))
        after += len(json.dumps(search_record(p, collection, f"papers/{p.id}/"),
                                ensure_ascii=False))
    assert after < before * 1.08, (before, after)


# --- point 8: trending without history, home without repeats ----------------------------------

def test_without_history_home_shows_one_list_and_one_line(fixture: Collection) -> None:
    pageset = build_page_set(fixture, CONFIG, TODAY, History())
    home = body(pageset, "index.md")
    assert 'id="trending"' in home and "No popularity data yet." in home
    assert "Trending this" not in home and "rl-trending__row" not in home
    assert "added " not in home  # no "added N days ago" anywhere
    ids = re.findall(r'<h3 class="rl-card__title"><a href="\./papers/([a-z0-9-]+)/"', home)
    assert sorted(ids) == sorted(p.id for p in fixture.papers)  # each paper once
    trending = body(pageset, "trending/index.md")
    assert "showing the newest papers by publication date instead of a ranking" in trending
    assert '<ul class="rl-trending rl-trending--newest">' in trending
    assert "rl-rank" not in trending and "rl-move" not in trending
    assert "added " not in trending
    assert "Listed on" in trending and "Ranked on" not in trending
    rows = re.findall(r'class="rl-trending__title" href="../papers/([a-z0-9-]+)/"', trending)
    assert rows == ["memorization-landscape", "trojanstego", "hostile", "pii-leakage"]

def test_with_history_home_shows_each_paper_once(fixture: Collection) -> None:
    history = stars_history((7, 100), (0, 160))
    config = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT, home_trending=2,
                        home_newest=3)
    home = body(build_page_set(fixture, config, TODAY, history), "index.md")
    trending = re.findall(r'class="rl-trending__title" href="\./papers/([a-z0-9-]+)/"', home)
    cards = re.findall(r'<h3 class="rl-card__title"><a href="\./papers/([a-z0-9-]+)/"', home)
    assert len(trending) == 2 and len(cards) == 2  # 4 papers: 2 trending, the other 2 new
    assert not set(trending) & set(cards)
    assert "Papers trending above are not repeated here." in home

def test_home_newest(fixture: Collection) -> None:
    ranking = rank(fixture, stars_history((7, 100), (0, 160)), TODAY, "week", limit=1)
    top = ranking.rows[0].paper_id
    newest, skipped = home_newest(fixture, ranking, 10)
    assert top not in {p.id for p in newest} and skipped
    assert len(newest) == len(fixture.papers) - 1
    fallback = rank(fixture, History(), TODAY, "week", limit=1)
    assert home_newest(fixture, fallback, 2) == (fixture.newest[:2], False)
    assert home_newest(fixture, ranking, 0) == ((), False)
