"""An entry without an abstract (what BibTeX and awesome-list imports bring in) is valid:
``check`` warns and points to ``enrich``, the site shows the paper without an empty section,
and related papers and feeds still work."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import feedparser
from sitekit import build, make_project

from generator.commands.cli import main
from generator.core.entries import load_collection
from generator.core.related import related_scores

BARE = """\
title: "Extracting Training Data from Large Language Models"
authors: [Nicholas Carlini, Florian Tramer]
authors_incomplete: true
published: 2020-12
added: 2026-11-25
arxiv: "2012.07805"
venue: USENIX Security 2021
category: privacy
tags: [memorization]
"""


def _project(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "project")
    (project / "papers" / "bare.yaml").write_text(BARE, encoding="utf-8")
    return project


def test_check_warns_and_points_to_enrich(tmp_path: Path, capsys, monkeypatch):
    project = _project(tmp_path)
    monkeypatch.chdir(project)
    assert main(["check", "papers", "--date", "2026-11-30"]) == 0
    err = capsys.readouterr()
    text = err.out + err.err
    line = next(ln for ln in text.splitlines() if "bare.yaml" in ln)
    assert "warning: no abstract yet" in line
    assert "reading-list enrich" in line


def test_a_blank_abstract_is_still_an_error(tmp_path: Path, capsys, monkeypatch):
    project = _project(tmp_path)
    (project / "papers" / "bare.yaml").write_text(BARE + 'abstract: "  "\n', encoding="utf-8")
    monkeypatch.chdir(project)
    assert main(["check", "papers", "--date", "2026-11-30"]) == 1
    assert "'abstract' is blank" in capsys.readouterr().err


def test_related_papers_leave_it_out_of_the_text_part(tmp_path: Path):
    project = _project(tmp_path)
    papers = project / "papers"
    collection, problems = load_collection(sorted(papers.glob("*.yaml")),
                                           papers / "taxonomy.yml", dt.date(2026, 11, 30))
    assert collection is not None, problems
    bare = collection.by_id["bare"]
    assert bare.abstract == ""
    scores = related_scores(collection, k=5)
    # Related only through its tag and category: every score is a label score (< 1), and
    # a paper sharing neither is not related to it.
    assert scores["bare"]
    assert all(score < 0.5 for _, score in scores["bare"])
    for other, _ in scores["bare"]:
        paper = collection.by_id[other]
        assert paper.category == bare.category or set(paper.tags) & set(bare.tags)


def test_its_page_has_no_empty_section(tmp_path: Path):
    project = _project(tmp_path)
    site = tmp_path / "site"
    assert build(project, site) == 0
    page = (site / "papers" / "bare" / "index.html").read_text(encoding="utf-8")
    assert "Extracting Training Data from Large Language Models" in page
    assert 'id="abstract"' not in page
    assert "rl-paper__abstract" not in page
    assert "None" not in page.split("<article", 1)[1].split("</article>", 1)[0]
    assert "@" in page and "2012.07805" in page  # BibTeX and links still there
    # The description says who and where instead of an abstract; JSON-LD has no empty one.
    assert 'name="description" content="Extracting Training Data' in page
    ld = page.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "abstract" not in json.loads(ld)
    category = (site / "categories" / "privacy" / "index.html").read_text(encoding="utf-8")
    card = category.split('href="../../papers/bare/"', 1)[1].split("</article>", 1)[0]
    assert "rl-card__abstract" not in card
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo
    assert any(e.title.startswith("Extracting Training Data") for e in feed.entries)

