"""``reading-list import`` of a lab's bibliography (issue 13): real export shapes in, merged
and checked entries out, the taxonomy grown so the result checks and builds."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path

import pytest
import yaml
from sitekit import ROOT

from generator.commands import listimport
from generator.commands.cli import main
from generator.core.entries import load_taxonomy
from generator.core.files import iter_entry_files
from generator.sources.formats import Record

FIXTURES = ROOT / "tests" / "fixtures" / "import"
ALL = sorted(str(p) for p in FIXTURES.iterdir() if p.is_file() and p.name != "README.md")
TODAY = "2026-12-02"


@pytest.fixture
def lab(tmp_path: Path, monkeypatch) -> Path:
    """A fresh list as `reading-list new` makes it."""
    assert main(["new", str(tmp_path / "lab"), "--title", "Lab list"]) == 0
    for example in (tmp_path / "lab" / "papers").glob("*.yaml"):  # added: today by the clock
        text = example.read_text("utf-8")
        example.write_text(re.sub(r"(?m)^added: .*$", "added: 2026-11-01", text), "utf-8")
    monkeypatch.chdir(tmp_path / "lab")
    return tmp_path / "lab"


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _entries(folder: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text("utf-8")) for p in iter_entry_files(folder)}


def test_every_export_shape_imports_checks_and_builds(lab: Path, capsys):
    code = main(["import", *ALL, "--into", "papers", "--date", TODAY])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    summary = err.strip().splitlines()[-2]
    assert summary.startswith("read 68 paper(s); merged 34 duplicate listing(s); wrote 34 "
                              "entries to papers/")
    assert main(["check", "--date", TODAY]) == 0
    assert main(["build", "--date", TODAY, "--site-dir", str(lab / "site")]) == 0
    entries = _entries(lab / "papers")
    # Hostile items: no javascript: link, no markup, no LaTeX command survives as a command.
    text = "\n".join((lab / "papers" / f"{pid}.yaml").read_text("utf-8") for pid in entries)
    for entry in entries.values():
        for url in [entry.get("url"), *(entry.get("links") or {}).values()]:
            assert url is None or url.startswith(("https://", "http://")), url
    assert "<script" not in text
    assert "\\input" not in text


def test_one_paper_listed_everywhere_becomes_one_entry(lab: Path, capsys):
    assert main(["import", *ALL, "--into", "papers", "--date", TODAY]) == 0
    err = capsys.readouterr().err
    entries = _entries(lab / "papers")
    hits = [e for e in entries.values() if e.get("arxiv") == "2310.07298"]
    assert len(hits) == 1  # Beyond Memorization: in six of the fixtures
    entry = hits[0]
    assert entry["authors"] == ["Robin Staab", "Mark Vero", "Mislav Balunović", "Martin Vechev"]
    assert entry["abstract"]  # the most complete listing's abstract won
    assert "beyond-memorization: merged 6 listings; differing values:" in err
    # The awesome-list filed it under two headings: one is the category, the other a tag.
    taxonomy, _ = load_taxonomy(lab / "papers" / "taxonomy.yml")
    assert taxonomy is not None
    assert entry["category"] in taxonomy.category_by_slug
    for tag in entry["tags"]:
        assert tag in taxonomy.tag_by_slug
        assert tag not in ("google-scholar", "zotero", "dblp")  # file names are not tags


def test_papers_already_on_the_list_are_skipped(tmp_path: Path, monkeypatch, capsys):
    project = tmp_path / "list"
    project.mkdir()
    (project / "papers").symlink_to(ROOT / "papers")  # the default list, read only
    monkeypatch.chdir(project)
    before = _snapshot(ROOT / "papers")
    code = main(["import", str(FIXTURES / "google-scholar.bib"), "--dry-run", "--date", TODAY])
    err = capsys.readouterr().err
    assert code == 0
    assert "skipped (already on the list as papers/beyond-memorization.yaml)" in err
    assert "would write 0 entries" in err
    assert _snapshot(ROOT / "papers") == before


def test_dry_run_writes_nothing(lab: Path, capsys):
    before = _snapshot(lab)
    assert main(["import", *ALL, "--dry-run", "--date", TODAY]) == 0
    err = capsys.readouterr().err
    assert "would write 34 entries to papers/inbox/" in err
    assert "taxonomy: would add" in err
    assert _snapshot(lab) == before


def test_default_goes_to_the_inbox_which_check_ignores(lab: Path, capsys):
    assert main(["import", str(FIXTURES / "zotero.ris"), "--date", TODAY]) == 0
    assert list((lab / "papers" / "inbox").glob("*.yaml"))
    assert main(["check", "--date", TODAY]) == 0
    # ... and an inbox entry moved to papers/ checks as it is.
    first = sorted((lab / "papers" / "inbox").glob("*.yaml"))[0]
    first.rename(lab / "papers" / first.name)
    assert main(["check", "--date", TODAY]) == 0


def test_forced_category_and_tags(lab: Path, capsys):
    assert main(["import", str(FIXTURES / "google-scholar.bib"), "--into", "papers",
                 "--category", "reading-group", "--tags", "week-1,llm-privacy",
                 "--date", TODAY]) == 0
    entries = _entries(lab / "papers")
    imported = [e for e in entries.values() if e["category"] == "reading-group"]
    assert len(imported) == 5
    assert all(e["tags"][:2] == ["week-1", "llm-privacy"] for e in imported)
    assert main(["check", "--date", TODAY]) == 0


def test_taxonomy_keeps_its_comments(lab: Path):
    path = lab / "papers" / "taxonomy.yml"
    path.write_text("# Our taxonomy; slugs are URLs.\n" + path.read_text("utf-8"))
    assert main(["import", str(FIXTURES / "awesome-lm-privacy.md"), "--into", "papers",
                 "--date", TODAY]) == 0
    text = path.read_text("utf-8")
    assert text.startswith("# Our taxonomy; slugs are URLs.\n")
    taxonomy, problems = load_taxonomy(path)
    assert taxonomy is not None, problems
    assert "membership-inference" in taxonomy.category_by_slug
    assert taxonomy.category_by_slug["membership-inference"].title == "Membership Inference"


def test_a_field_the_schema_refuses_is_dropped_not_the_paper(lab: Path, capsys):
    bib = lab / "long.bib"
    bib.write_text("@inproceedings{x,\n  title = {Fictional: A Paper With an Endless Venue},\n"
                   "  author = {Lovelace, Ada},\n  year = {2024},\n"
                   f"  booktitle = {{{'Proceedings ' * 40}}},\n}}\n", encoding="utf-8")
    assert main(["import", str(bib), "--into", "papers", "--date", TODAY]) == 0
    err = capsys.readouterr().err
    assert "fictional: dropped venue Proceedings" in err
    assert "fictional" in _entries(lab / "papers")
    assert main(["check", "--date", TODAY]) == 0


def test_mixing_a_feed_and_files_is_refused(lab: Path, capsys):
    code = main(["import", "cs.CR", str(FIXTURES / "zotero.ris"), "--date", TODAY])
    assert code == 2
    assert "one arXiv feed at a time" in capsys.readouterr().err


def test_merge_by_each_identifier():
    a = Record(title="Membership Inference Attacks From First Principles", arxiv="2112.03570")
    b = Record(title="Something else entirely", url="https://arxiv.org/abs/2112.03570v2",
               arxiv="2112.03570")
    c = Record(title="membership inference attacks from first principles.",
               venue="IEEE S&P 2022")
    d = Record(title="Unrelated paper about steganography", doi="10.1/x")
    e = Record(title="Another title", doi="10.1/X", url="https://www.example.org/p/")
    f = Record(title="Yet another", url="http://example.org/p")
    groups = listimport.merge_records([a, b, c, d, e, f])
    assert [len(g) for g in groups] == [3, 3]


def test_a_large_awesome_list_imports_in_linear_time(tmp_path: Path):
    """A 2,400-paper awesome-list: read, merged and checked at a per-paper cost that does
    not grow with the list (a ratio against 300 papers in the same process)."""
    from generator.sources.formats import read

    def listing(n: int) -> Path:
        lines = ["# Awesome Fictional Papers", ""]
        for section in range(n // 100):
            lines += [f"## Section {section}", ""]
            for i in range(100):
                k = section * 100 + i
                lines.append(f"- [2024/{k % 12 + 1:02d}] **[Fictional study number {k} of "
                             f"leakage in models](https://arxiv.org/abs/24{k % 12 + 1:02d}."
                             f"{k:05d})** ![NeurIPS](https://img.shields.io/badge/NeurIPS"
                             "-2024-blue)")
            lines.append("")
        path = tmp_path / f"awesome-{n}.md"
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    taxonomy, _ = load_taxonomy(ROOT / "papers" / "taxonomy.yml")
    assert taxonomy is not None

    def run(n: int) -> float:
        started = time.perf_counter()
        records, issues = read(listing(n))
        plan = listimport.plan(records, taxonomy, listimport.ListIndex(),
                               dt.date(2026, 12, 2))
        elapsed = time.perf_counter() - started
        assert len(plan.write) == n and not plan.invalid and not issues
        return elapsed / n

    small = min(run(300) for _ in range(2))
    large = run(2400)
    print(f"per paper: {small * 1e3:.2f} ms at 300, {large * 1e3:.2f} ms at 2,400")
    assert large < 3 * small + 0.002


def test_symlinked_sources_are_read_but_never_written(lab: Path):
    # Reading a source through a link is fine (it is the user's own file); the entries go to
    # --into, which the command creates.
    link = lab / "refs.bib"
    link.symlink_to(FIXTURES / "dblp.bib")
    assert main(["import", str(link), "--into", "papers/incoming", "--date", TODAY]) == 0
    assert list((lab / "papers" / "incoming").glob("*.yaml"))
    assert os.path.islink(link)


def test_import_every_format_with_enrich_then_check_and_build(lab: Path, monkeypatch,
                                                                capsys):
    """The issue's acceptance run: every fixture format at once, `--into papers --enrich`
    against loopback arXiv and Semantic Scholar stand-ins, then check and build."""
    from standins import list_papers, serve

    from generator.commands import enrich
    from generator.sources import metadata

    waits: list[float] = []
    monkeypatch.setattr(enrich, "clients_factory", lambda env: metadata.clients_from_env(
        env, sleep=waits.append, backoff=0.01, timeout=5, retries=1))
    with serve(list_papers(ROOT / "papers")) as stand:
        for name, value in stand.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("SEMANTIC_SCHOLAR_API_KEY", raising=False)
        code = main(["import", *ALL, "--into", "papers", "--enrich", "--date", TODAY])
        asked = list(stand.requests)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err
    assert any(path.startswith("/arxiv/") for _, path in asked)
    assert any(path.startswith("/s2/") for _, path in asked)
    assert waits and all(w <= 3.0 for w in waits)  # arXiv's one request per 3 s, not slept
    assert main(["check", "--date", TODAY]) == 0
    assert main(["build", "--date", TODAY, "--site-dir", str(lab / "site")]) == 0
    entries = _entries(lab / "papers")
    # The paper the awesome-list files under two headings and five other files list too.
    twice = [(pid, e) for pid, e in entries.items() if e.get("arxiv") == "2302.00539"]
    assert len(twice) == 1
    pid, entry = twice[0]
    assert entry["category"] == "inference" and "extraction" in entry["tags"]
    assert entry["abstract"]  # filled by enrich from the arXiv stand-in
    page = (lab / "site" / "papers" / pid / "index.html").read_text("utf-8")
    assert "/categories/inference/" in page and "/tags/extraction/" in page
    # Enrich filled the abstracts the bibliographies lacked, for papers arXiv knows.
    missing = [p for p, e in entries.items() if e.get("arxiv") and not e.get("abstract")]
    assert missing == []
