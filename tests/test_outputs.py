"""A build's output folder never deletes sources (issue 12.1): the folders a mistyped
``--site-dir`` would have replaced are refused with nothing touched, only empty or
previously built folders are replaced, and builds into the same folder do not tangle."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sitekit import build, make_project

from generator.commands.cli import main
from generator.plugin import outputs


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    project = make_project(tmp_path / "project")
    (project / "data").mkdir()
    (project / "data" / "metrics.json").write_text('{"version": 1, "days": {}}\n')
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / "site_templates").mkdir()
    (project / "site_templates" / "note.txt").write_text("a fork's template folder\n")
    return project


@pytest.mark.parametrize("target", [".", "papers", "docs", "data", ".git", "site_templates",
                                    "mkdocs.yml", "..", "papers/out", "docs/site"])
def test_a_source_is_refused_and_nothing_touched(project: Path, target: str, capsys,
                                                  monkeypatch):
    before = _snapshot(project.parent)
    monkeypatch.chdir(project)
    code = main(["build", "--date", "2026-11-30", "--site-dir", target])
    err = capsys.readouterr().err
    assert code == 1
    assert "build stopped, nothing was written" in err
    assert "Traceback" not in err
    assert _snapshot(project.parent) == before
    assert not [p for p in project.parent.rglob(".*staging-*")]


def test_an_unmarked_folder_is_not_replaced(project: Path, tmp_path: Path, capsys):
    mine = tmp_path / "thesis"
    mine.mkdir()
    (mine / "chapter1.tex").write_text("precious\n")
    assert build(project, mine) == 1
    assert "was not written by reading-list build" in capsys.readouterr().err
    assert (mine / "chapter1.tex").read_text() == "precious\n"


def test_a_file_is_not_replaced(project: Path, tmp_path: Path, capsys):
    target = tmp_path / "notes.txt"
    target.write_text("keep\n")
    assert build(project, target) == 1
    assert "is a file" in capsys.readouterr().err
    assert target.read_text() == "keep\n"


def test_built_folders_are_marked_and_replaced(project: Path, tmp_path: Path):
    site = tmp_path / "out" / "site"
    assert build(project, site) == 0
    assert (site / outputs.MARKER).is_file()
    (site / "stale.html").write_text("from an older build\n")
    assert build(project, site) == 0
    assert not (site / "stale.html").exists()
    assert (site / "index.html").is_file()


def test_a_site_built_before_markers_is_recognised(tmp_path: Path):
    old = tmp_path / "site"
    old.mkdir()
    for name in ("index.html", "papers.json", "feed.xml", "sitemap.xml"):
        (old / name).write_text("x")
    assert outputs.is_replaceable(old)
    (old / "feed.xml").unlink()
    assert not outputs.is_replaceable(old)


def test_the_plugin_refuses_a_source_as_site_dir(project: Path, capsys):
    # Plain `mkdocs build` empties site_dir before writing: the plugin refuses first.
    (project / "mkdocs.yml").write_text((project / "mkdocs.yml").read_text()
                                        + "\nsite_dir: papers\n")
    before = _snapshot(project)
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=project,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "papers: the output folder would replace papers, a source" in result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(project) == before


def test_a_killed_builds_folders_are_cleaned_up(project: Path, tmp_path: Path):
    site = tmp_path / "site"
    stale = [tmp_path / ".site.staging-abcd1234", tmp_path / ".site.old"]
    for folder in stale:
        folder.mkdir()
        (folder / "index.html").write_text("half a site")
    unrelated = tmp_path / ".site.staging-notmine-x"
    unrelated.mkdir()
    assert build(project, site) == 0
    assert not any(p.exists() for p in stale)
    assert unrelated.is_dir()


def test_two_builds_at_once(project: Path, tmp_path: Path):
    site = tmp_path / "site"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    command = [sys.executable, "-m", "generator", "build", "--date", "2026-11-30",
               "--site-dir", str(site)]
    runs = [subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(r.wait(timeout=300), r.stderr.read()) for r in runs]
    for code, err in results:
        assert "Traceback" not in err, err
        assert code == 0 or "another build is writing" in err, err
    assert any(code == 0 for code, _ in results)
    assert (site / "index.html").is_file() and (site / outputs.MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".site")) == []


def test_lock_is_exclusive(tmp_path: Path):
    final = tmp_path / "site"
    with outputs.build_lock(final):
        second = outputs.build_lock(final)
        with pytest.raises(outputs.OutputError, match="another build"):
            second.__enter__()
    start = time.monotonic()
    with outputs.build_lock(final):  # released: taken again at once
        pass
    assert time.monotonic() - start < 5
