"""Reader features of issue 15 (points 5-7) in headless Chromium (Debian's, via Playwright):
saved papers (mark, list, BibTeX, export and re-import), the Code button, search results."""

from __future__ import annotations

import functools
import http.server
import json
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

#: TrojanStego's code repository (the fixture's links.code) counted on two days.
METRICS = {"version": 1, "days": {"2026-11-28": {"trojanstego": {"github_stars": 1180}},
                                  "2026-11-29": {"trojanstego": {"github_stars": 1234}}}}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def base_url(tmp_path_factory) -> Iterator[str]:
    project = make_project(tmp_path_factory.mktemp("reader"))
    (project / "data").mkdir()
    (project / "data" / "metrics.json").write_text(json.dumps(METRICS), "utf-8")
    site = project / "site"
    assert build(project, site) == 0
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()




@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(accept_downloads=True)
    pg = context.new_page()
    local = base_url.rstrip("/")
    pg.errors = []  # type: ignore[attr-defined]
    pg.dialogs = []  # type: ignore[attr-defined]
    pg.foreign = []  # type: ignore[attr-defined]
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on("dialog", lambda d: (pg.dialogs.append(d.message), d.dismiss()))
    # Material asks GitHub for the repository's stars on load; nothing else may leave.
    pg.on("request", lambda r: None if r.url.startswith((local, "blob:", "data:"))
          or r.url.startswith("https://api.github.com/repos/reading-list/")
          else pg.foreign.append(r.url))
    pg.route(lambda url: not url.startswith(local), lambda route: route.abort())
    yield pg
    context.close()


def open_page(page, url: str) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")


def control(page, paper_id: str):
    return page.locator(f'.rl-save[data-rl-save="{paper_id}"]').first


def pressed(page, paper_id: str) -> list[str]:
    return [b.get_attribute("data-status") for b in
            control(page, paper_id).locator('button[aria-pressed="true"]').all()]


def mark(page, paper_id: str, status: str) -> None:
    control(page, paper_id).locator(f'button[data-status="{status}"]').click()


def test_marks_survive_reloads_and_show_on_every_card(page, base_url):
    open_page(page, base_url + "categories/privacy/")
    card = page.locator('.rl-card:has(a[href$="papers/pii-leakage/"])')
    assert card.locator(".rl-save").get_attribute("aria-label", timeout=5000).startswith(
        "Your list: Analyzing Leakage")
    mark(page, "pii-leakage", "to-read")
    mark(page, "memorization-landscape", "read")
    mark(page, "memorization-landscape", "to-read")  # one status at a time
    assert pressed(page, "memorization-landscape") == ["to-read"]
    mark(page, "hostile", "read")
    mark(page, "hostile", "read")  # pressed again: unmarked
    assert pressed(page, "hostile") == []
    page.reload()
    page.wait_for_load_state("networkidle")
    assert pressed(page, "pii-leakage") == ["to-read"]
    assert pressed(page, "memorization-landscape") == ["to-read"]
    assert "rl-card--to-read" in card.get_attribute("class")
    # The same marks on another listing and on the paper page.
    open_page(page, base_url + "tags/extraction/")
    assert pressed(page, "pii-leakage") == ["to-read"]
    open_page(page, base_url + "papers/pii-leakage/")
    assert pressed(page, "pii-leakage") == ["to-read"]
    mark(page, "pii-leakage", "read")
    open_page(page, base_url + "categories/privacy/")
    assert pressed(page, "pii-leakage") == ["read"]
    assert page.errors == [] and page.foreign == []


def test_saved_page_lists_exports_and_reimports(page, base_url, tmp_path: Path):
    open_page(page, base_url + "categories/privacy/")
    mark(page, "pii-leakage", "to-read")
    mark(page, "memorization-landscape", "read")
    # Reached from the navigation, as a reader would (instant navigation, no reload).
    page.locator('.md-tabs a:text-is("Saved")').click()
    page.wait_for_url("**/saved/")
    items = page.locator(".rl-saved__item")
    items.first.wait_for()
    assert items.count() == 2
    assert page.locator(".rl-saved__message").inner_text() == "2 saved: 1 to read, 1 read."
    first = page.locator('.rl-saved__item[data-paper-id="pii-leakage"]')
    assert first.locator("a").inner_text().startswith("Analyzing Leakage")
    assert first.locator(".rl-saved__byline").inner_text() == \
        "Nils Lukas, Ahmed Salem, Robert Sim et al. · IEEE S&P 2023"
    # The "Read" view; its BibTeX holds that paper's record from papers.bib only.
    page.locator('.rl-saved__view[data-view="read"]').click()
    assert items.count() == 1
    with page.expect_download() as download:
        page.locator(".rl-saved__bib").click()
    bib = Path(download.value.path()).read_text("utf-8")
    assert bib.startswith("@misc{memorization-landscape,\n") and bib.count("\n@") == 0
    assert "author = {Alexander Xiong and" in bib
    page.locator('.rl-saved__view[data-view="all"]').click()
    with page.expect_download() as download:
        page.locator(".rl-saved__bib").click()
    keys = [line.split("{")[1].rstrip(",") for line in
            Path(download.value.path()).read_text("utf-8").splitlines() if line.startswith("@")]
    assert sorted(keys) == ["memorization-landscape", "pii-leakage"]
    # Export, forget, import: the same marks come back.
    with page.expect_download() as download:
        page.locator(".rl-saved__export").click()
    exported = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert exported["version"] == 1
    assert {k: v["status"] for k, v in exported["marks"].items()} == \
        {"memorization-landscape": "read", "pii-leakage": "to-read"}
    page.evaluate("localStorage.clear()")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert items.count() == 0
    assert page.locator(".rl-saved__message").inner_text().startswith("Nothing saved yet")
    marks_file = tmp_path / "marks.json"
    exported["marks"]["no-such-paper"] = {"status": "read"}
    exported["marks"]["trojanstego"] = {"status": "<img src=x onerror=window.__pwned=1>"}
    exported["marks"]["<img src=x onerror=window.__pwned=2>"] = {"status": "read"}
    marks_file.write_text(json.dumps(exported), "utf-8")
    page.locator(".rl-saved__file").set_input_files(str(marks_file))
    page.locator(".rl-saved__message", has_text="Imported").wait_for()
    assert page.locator(".rl-saved__message").inner_text() == (
        "Imported 2 marks (2 for papers not on this list ignored; 1 not understood ignored).")
    assert sorted(i.get_attribute("data-paper-id") for i in items.all()) == \
        ["memorization-landscape", "pii-leakage"]
    assert pressed(page, "memorization-landscape") == ["read"]
    # The marks are back on the cards too.
    open_page(page, base_url + "categories/privacy/")
    assert pressed(page, "pii-leakage") == ["to-read"]
    assert page.evaluate("window.__pwned") is None and page.dialogs == []
    assert page.errors == [] and page.foreign == []


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "is not JSON"),
    ('{"version": 2, "marks": {}}', "is not a marks file"),
    ('{"version": 1, "marks": ["trojanstego"]}', "is not a marks file"),
    ("[1, 2]", "is not a marks file"),
])
def test_import_refuses_what_is_not_a_marks_file(page, base_url, tmp_path: Path,
                                                 content: str, expected: str):
    open_page(page, base_url + "papers/trojanstego/")
    mark(page, "trojanstego", "to-read")
    open_page(page, base_url + "saved/")
    page.locator(".rl-saved__item").first.wait_for()
    # The file's name is shown as text, never as markup.
    bad = tmp_path / "<img src=x onerror=window.__pwned=3>.json"
    bad.write_text(content, "utf-8")
    page.locator(".rl-saved__file").set_input_files(str(bad))
    message = page.locator(".rl-saved__message", has_text="Not imported")
    message.wait_for()
    assert message.inner_text().startswith(f"Not imported: {bad.name} {expected}")
    assert page.locator(".rl-saved__message img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert pressed(page, "trojanstego") == ["to-read"]  # nothing lost


#: Where saved.js keeps the marks of a site served at "/" (the key holds the site's path).
SAVED_KEY = "reading-list:/:saved"


def stored_marks(page) -> dict:
    return json.loads(page.evaluate("k => localStorage.getItem(k)", SAVED_KEY))["marks"]


def test_a_mark_on_a_renamed_papers_old_id_moves_to_its_id(page, base_url, tmp_path: Path):
    # The fixture's trojanstego was renamed from trojan-stego-old (its aliases). A mark made
    # before the rename is under the old id, one made since under the new; "gone-paper" was
    # taken off the list.
    open_page(page, base_url + "papers/trojanstego/")
    page.evaluate("([k, doc]) => localStorage.setItem(k, JSON.stringify(doc))", [SAVED_KEY, {
        "version": 1, "marks": {
            "gone-paper": {"status": "to-read", "date": "2020-01-02T00:00:00.000Z"},
            "trojan-stego-old": {"status": "read", "date": "2020-01-01T00:00:00.000Z"},
            "trojanstego": {"status": "to-read", "date": "2020-03-01T00:00:00.000Z"}}}])
    page.reload()
    page.wait_for_load_state("networkidle")
    # The paper page's control names the old id (data-rl-aliases): the two marks merge
    # there, at once: the more advanced status (read), the more recent date; saved back, so
    # the old key is gone.
    assert pressed(page, "trojanstego") == ["read"]
    merged_mark = {"status": "read", "date": "2020-03-01T00:00:00.000Z"}
    assert stored_marks(page) == {
        "gone-paper": {"status": "to-read", "date": "2020-01-02T00:00:00.000Z"},
        "trojanstego": merged_mark}
    clicked = merged_mark["date"]
    # The Saved page finds a mark under an old id too (an index read, without a control):
    # put one back and open it.
    page.evaluate("([k, doc]) => localStorage.setItem(k, JSON.stringify(doc))", [SAVED_KEY, {
        "version": 1, "marks": {
            "gone-paper": {"status": "to-read", "date": "2020-01-02T00:00:00.000Z"},
            "trojan-stego-old": {"status": "read", "date": "2020-01-01T00:00:00.000Z"},
            "trojanstego": {"status": "to-read", "date": clicked}}}])
    open_page(page, base_url + "saved/")
    items = page.locator(".rl-saved__item")
    items.first.wait_for()
    assert stored_marks(page) == {
        "gone-paper": {"status": "to-read", "date": "2020-01-02T00:00:00.000Z"},
        "trojanstego": {"status": "read", "date": clicked}}
    assert [i.get_attribute("data-paper-id") for i in items.all()] == \
        ["trojanstego", "gone-paper"]  # most recently marked first
    new = page.locator('.rl-saved__item[data-paper-id="trojanstego"]')
    assert new.locator("a").inner_text().startswith("TrojanStego")
    assert pressed(page, "trojanstego") == ["read"]
    assert page.locator(".rl-saved__message").inner_text() == "2 saved: 1 to read, 1 read."
    # A paper truly gone says so, and its own control takes the mark off.
    gone = page.locator('.rl-saved__item[data-paper-id="gone-paper"]')
    assert gone.locator(".rl-saved__title").inner_text() == "gone-paper (no longer on the list)"
    mark(page, "gone-paper", "to-read")
    assert items.count() == 1 and sorted(stored_marks(page)) == ["trojanstego"]
    # An export names the current id.
    with page.expect_download() as download:
        page.locator(".rl-saved__export").click()
    exported = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert exported["marks"] == {"trojanstego": {"status": "read", "date": clicked}}
    # Every card shows it.
    open_page(page, base_url + "categories/covert/")
    assert pressed(page, "trojanstego") == ["read"]
    card = page.locator('.rl-card:has(a[href$="papers/trojanstego/"])')
    assert "rl-card--read" in card.get_attribute("class")
    # A marks file with the old id (here with the current one too) imports onto the paper.
    page.evaluate("localStorage.clear()")
    open_page(page, base_url + "saved/")
    page.locator(".rl-saved__message", has_text="Nothing saved yet").wait_for()
    marks_file = tmp_path / "old-marks.json"
    marks_file.write_text(json.dumps({"version": 1, "marks": {
        "trojan-stego-old": {"status": "read", "date": "2021-01-01T00:00:00.000Z"},
        "trojanstego": {"status": "to-read", "date": "2021-02-01T00:00:00.000Z"}}}), "utf-8")
    page.locator(".rl-saved__file").set_input_files(str(marks_file))
    page.locator(".rl-saved__message", has_text="Imported").wait_for()
    assert page.locator(".rl-saved__message").inner_text() == "Imported 1 mark."
    assert stored_marks(page) == {
        "trojanstego": {"status": "read", "date": "2021-02-01T00:00:00.000Z"}}
    assert [i.get_attribute("data-paper-id") for i in items.all()] == ["trojanstego"]
    assert page.errors == [] and page.foreign == []


def test_without_javascript_no_control_is_shown(browser, base_url):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(base_url + "categories/privacy/")
    assert pg.locator(".rl-save").count() == 3
    assert pg.locator(".rl-save button").count() == 0
    assert all(not c.is_visible() for c in pg.locator(".rl-save").all())
    pg.goto(base_url + "saved/")
    assert "needs JavaScript" in pg.locator(".rl-saved-page").inner_text()
    context.close()


def test_code_button_with_stars(page, base_url):
    open_page(page, base_url + "papers/trojanstego/")
    button = page.get_by_role("link", name="Code on GitHub, 1,234 stars")
    assert button.inner_text() == "Code · ★ 1.2k"
    assert button.get_attribute("href") == "https://github.com/example/trojanstego"
    assert button.get_attribute("title") == "1,234 GitHub stars, counted 2026-11-29"
    assert "md-button" in button.get_attribute("class")
    # A paper without a repository has no Code button.
    open_page(page, base_url + "papers/pii-leakage/")
    assert page.locator(".rl-code").count() == 0


def test_search_results_scan_and_papers_come_first(page, base_url):
    open_page(page, base_url)
    page.keyboard.press("/")
    page.keyboard.type("memorization", delay=20)
    results = page.locator(".md-search-result__item")
    results.first.wait_for(timeout=10_000)
    page.wait_for_timeout(300)  # the list is complete once typing settled
    hrefs = [r.locator("a").first.get_attribute("href") for r in results.all()]
    kinds = ["paper" if "/papers/" in h else "doc" for h in hrefs]
    assert "paper" in kinds and "doc" in kinds, hrefs
    assert kinds == sorted(kinds, key=lambda k: k != "paper"), hrefs  # papers, then docs
    first = results.first
    assert "/papers/memorization-landscape/" in hrefs[0]
    title = first.locator("h1")
    assert title.inner_text().startswith("The Landscape of Memorization in LLMs")
    byline = title.locator(".rl-sr-by")
    assert byline.inner_text() == "Alexander Xiong, Xuandong Zhao, Aneesh Pappu et al. · 2025"
    # The byline is its own line under the title.
    assert byline.bounding_box()["y"] > title.bounding_box()["y"] + 5
    shown = [p for p in first.locator("article > p").all() if p.is_visible()]
    assert 1 <= len(shown) <= 2
    assert all(len(p.inner_text()) <= 260 for p in shown)
    assert shown[0].locator("mark").first.inner_text().lower() == "memorization"
    # A title-only match shows at most two short blocks, never the whole abstract.
    page.keyboard.press("Control+A")
    page.keyboard.type("TrojanStego", delay=20)
    page.locator('.md-search-result__item a[href*="/papers/trojanstego/"]').first.wait_for()
    item = page.locator(".md-search-result__item").first
    visible = [p for p in item.locator("article > p").all() if p.is_visible()]
    assert len(visible) <= 2
    assert "Dominik Meier" in item.locator(".rl-sr-by").inner_text()
