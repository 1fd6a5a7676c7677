"""The golden fixture site (issue 14): tests/golden/list/ built for a fixed date must give,
byte for byte, the committed tree in tests/golden/expected/ (see tests/golden/__init__.py).

Two comparisons, so a skip is visible: our own files (feeds, JSON, BibTeX, OPML, data files,
our scripts and styles, redirect pages) are compared on any MkDocs/Material version; the
files that come from the theme (pages rendered through Material's templates, MkDocs' sitemap
and search index, Material's assets) only on the versions recorded in expected/VERSIONS.

After an intended change to the built output, regenerate and review the diff:

    python -m tests.golden --update
"""

from __future__ import annotations

import shutil
from pathlib import Path

import golden
import pytest

FAILED = ("the golden site differs from tests/golden/expected/; if the change is intended, "
          "run `python -m tests.golden --update` and review the diff.\n")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return golden.build(tmp_path_factory.mktemp("golden") / "site")


def test_golden_our_files(built: Path):
    differences = golden.compare(golden.read_site(built), golden.read_expected(), golden.ours)
    assert not differences, FAILED + differences.report()


def test_golden_theme_rendered(built: Path):
    mismatch = golden.version_mismatch()
    if mismatch:
        pytest.skip(mismatch)
    differences = golden.compare(golden.read_site(built), golden.read_expected(),
                                 golden.from_theme)
    assert not differences, FAILED + differences.report()


def test_the_expected_tree_is_complete():
    # Both halves together are every file of the site, and the versions are recorded.
    expected = golden.read_expected()
    assert golden.recorded_versions().keys() == set(golden.ENGINE_PACKAGES)
    assert {"index.html", "feed.xml", "papers.json", "papers.bib",
            "sitemap.xml.gz", "assets/reading-list/katex/katex.min.js"} <= expected.keys()
    stored = {p for p, r in expected.items() if r.data is not None}
    assert stored == {p for p in expected if not golden.hashed(p)}
    assert not any(p.endswith(".html") for p in expected.keys() - stored)


def _differing(site: Path) -> set[str]:
    return golden.compare(golden.read_site(site), golden.read_expected()).paths()


def test_the_comparison_sees_one_changed_byte(built: Path, tmp_path: Path):
    # The test can fail: one byte flipped in a stored file, one in a file known only by
    # its hash, one file gone and one new file are each reported by path.
    before = _differing(built)  # empty unless the golden tests above fail too
    site = shutil.copytree(built, tmp_path / "site")
    stored, verbatim = "feeds/tags/language-models.xml", "assets/reading-list/katex/katex.min.js"
    for name in (stored, verbatim):
        data = bytearray((site / name).read_bytes())
        data[len(data) // 2] ^= 0x01
        (site / name).write_bytes(bytes(data))
    (site / "papers.bib").unlink()
    (site / "papers" / "extra.json").write_text("{}\n", "utf-8")
    differences = golden.compare(golden.read_site(site), golden.read_expected())
    assert differences.paths() - before == {stored, verbatim, "papers.bib", "papers/extra.json"}
    assert stored in differences.changed and verbatim in differences.changed
    assert differences.removed == ["papers.bib"] and differences.added == ["papers/extra.json"]
    report = differences.report()
    assert f"--- expected/{stored}" in report and f"+++ built/{stored}" in report
    assert f"--- {verbatim}: expected sha256" in report


def test_the_theme_split_follows_the_files():
    assert golden.from_theme("assets/javascripts/bundle.x.min.js", None)
    assert golden.from_theme("search/search_index.json", b"{}")
    assert golden.from_theme("papers/x/index.html", b'<meta name="generator" '
                             b'content="mkdocs-1.6.1, mkdocs-material-9.8.2">')
    # Redirect pages of renamed ids and slugs, feeds' empty sitemaps and our assets are ours.
    assert not golden.from_theme("papers/trojan-stego/index.html",
                                 (golden.EXPECTED / "site/papers/trojan-stego/index.html")
                                 .read_bytes())
    assert not golden.from_theme("feeds/tags/sitemap.xml", b"")
    assert not golden.from_theme("assets/reading-list/saved.js", b"")


def test_a_version_mismatch_names_both_versions(tmp_path: Path):
    versions = dict(golden.installed_versions(), **{"mkdocs-material": "0.0.0"})
    (tmp_path / "VERSIONS").write_text("".join(f"{k} {v}\n" for k, v in versions.items()),
                                       "utf-8")
    reason = golden.version_mismatch(tmp_path) or ""
    installed = golden.installed_versions()["mkdocs-material"]
    assert reason.startswith("the golden theme-rendered files were recorded with "
                             f"mkdocs-material 0.0.0, installed {installed} (")
    (tmp_path / "VERSIONS").write_text("".join(f"{k} {v}\n" for k, v in
                                               golden.installed_versions().items()), "utf-8")
    assert golden.version_mismatch(tmp_path) is None
