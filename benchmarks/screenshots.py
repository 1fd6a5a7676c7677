"""Screenshots of the default list for the README and docs/about.md: home, a paper page,
/papers/, an author page and the Saved page, in the light palette on a desktop (1280x800) and
the dark palette on a phone (390x844).

    python benchmarks/screenshots.py            # writes docs/assets/screenshots/*.png

Builds the repository's list (mkdocs.yml, docs/, papers/) with a fixed date, serves it on
loopback and drives Debian's Chromium through Playwright. The Saved page shows three papers
marked in the browser's storage first, as a reader would have. A page the build does not have
is skipped with a message.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sitekit_serve import CHROMIUM, ROOT, built_default_list, launch

OUT = ROOT / "docs" / "assets" / "screenshots"
MODES = {"light-desktop": ("light", 1280, 800), "dark-phone": ("dark", 390, 844)}
PAPER = "trojanstego"  # the list's example entry (README, docs/entries.md)


def pages(site: Path) -> dict[str, str]:
    """Screenshot name -> page path, for the pages this build has."""
    paper = site / "papers" / PAPER / "index.html"
    if not paper.is_file():
        paper = sorted((site / "papers").glob("*/index.html"))[0]
    wanted = {"home": "", "paper": f"papers/{paper.parent.name}/", "papers": "papers/",
              "saved": "saved/"}
    # The paper's first author's page.
    html = paper.read_text("utf-8")
    at = html.find('authors/')
    if at >= 0:
        slug = html[at + len("authors/"):].split("/", 1)[0]
        wanted["author"] = f"authors/{slug}/"
    found = {}
    for name, path in wanted.items():
        if (site / path / "index.html").is_file():
            found[name] = path
        else:
            print(f"skipped {name}: the build has no /{path}")
    return found


def saved_marks(site: Path, count: int = 3) -> dict[str, dict[str, str]]:
    """Marks for the first papers of /papers.json: what saved.js keeps in localStorage."""
    papers = json.loads((site / "papers.json").read_text("utf-8"))["papers"][:count]
    return {p["id"]: {"status": "to-read" if i else "read", "date": "2026-11-30"}
            for i, p in enumerate(papers)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("no chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with built_default_list() as (base, site), sync_playwright() as p:
        browser = launch(p)
        marks = json.dumps({"version": 1, "marks": saved_marks(site)})
        for mode, (scheme, width, height) in MODES.items():
            context = browser.new_context(viewport={"width": width, "height": height},
                                          color_scheme=scheme)
            # saved.js keys the marks by the site's path ("/" here).
            context.add_init_script(
                f"try {{ localStorage.setItem('reading-list:/:saved', {json.dumps(marks)}); }}"
                " catch (e) {}")
            page = context.new_page()
            page.route(lambda url: not url.startswith(base), lambda route: route.abort())
            for name, path in pages(site).items():
                page.goto(base + path)
                page.wait_for_load_state("networkidle")
                if page.locator(".arithmatex").count():
                    page.locator(".arithmatex .katex").first.wait_for(timeout=10_000)
                out = args.out / f"{name}-{mode}.png"
                page.screenshot(path=str(out))
                print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
