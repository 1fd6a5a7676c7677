"""A list made by ``reading-list new`` has no broken link, as MkDocs and as a reader see it.

Before the scaffold shipped ``docs/subscribe-by-email.md``, its Subscribe page linked
``../subscribe-by-email/``: MkDocs only logged it (INFO, "unrecognized relative link") and
the published page had a dead link.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sitekit import SITE_URL, broken_links

from generator.commands.new import SCAFFOLD, make_list

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-11-30"
#: MkDocs 1.6 link validation at its strictest: with the build's --strict, any link MkDocs
#: cannot resolve to a page (missing, unrecognized, absolute, a missing anchor) fails it.
STRICT_LINKS = """
validation:
  nav:
    omitted_files: warn
    not_found: warn
    absolute_links: warn
  links:
    not_found: warn
    anchors: warn
    absolute_links: warn
    unrecognized_links: warn
"""


def build(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "generator",
         "build", "--date", DAY, "--site-dir", "site", "--site-url", SITE_URL],
        cwd=folder, capture_output=True, text=True, timeout=300,
        env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.fixture(scope="module")
def scaffold(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scaffold") / "lab-list"
    make_list(folder, "Lab list", dt.date(2026, 11, 30))
    with (folder / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write(STRICT_LINKS)
    return folder


def test_mkdocs_resolves_every_link_of_a_new_list(scaffold: Path) -> None:
    result = build(scaffold)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "unrecognized relative link" not in log
    assert "WARNING" not in log


def test_every_internal_link_of_a_new_list_reaches_a_file(scaffold: Path) -> None:
    site = scaffold / "site"
    if not (site / "index.html").exists():
        assert build(scaffold).returncode == 0
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert "subscribe/index.html" in pages and "subscribe-by-email/index.html" in pages
    assert broken_links(site) == []


def test_the_subscribe_page_links_the_email_page_it_ships(scaffold: Path) -> None:
    site = scaffold / "site"
    if not (site / "index.html").exists():
        assert build(scaffold).returncode == 0
    html = (site / "subscribe" / "index.html").read_text("utf-8")
    assert 'href="../subscribe-by-email/"' in html
    email = (site / "subscribe-by-email" / "index.html").read_text("utf-8")
    assert "SMTP_HOST" in email and "digest.xml" in email


def test_a_list_without_the_email_page_fails_the_build_rather_than_link_nowhere(
        tmp_path: Path) -> None:
    # The link is to the Markdown file, so MkDocs checks it even without `validation:`.
    folder = tmp_path / "lab-list"
    make_list(folder, "Lab list", dt.date(2026, 11, 30))
    (folder / "docs" / "subscribe-by-email.md").unlink()
    config = folder / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("      - subscribe-by-email.md\n", ""),
                      "utf-8")
    result = build(folder)
    assert result.returncode == 1
    assert "'../subscribe-by-email.md'" in result.stderr
    assert not (folder / "site").exists()


@pytest.mark.parametrize("name", ["how-trending-works.md", "data.md"])
def test_the_scaffolds_copies_of_our_reader_pages_are_current(name: str) -> None:
    # Every list's trending page links "How trending works"; data.md explains the files
    # every list publishes. The scaffold ships them as they are here: edit docs/, then copy.
    ours = (ROOT / "docs" / name).read_text("utf-8")
    theirs = (SCAFFOLD / "docs" / name).read_text("utf-8")
    assert theirs == ours, f"copy docs/{name} to generator/commands/scaffold/docs/{name}"
