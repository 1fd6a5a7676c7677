"""Files outside the project stay outside (issue 12.6) and written files keep the user's
umask (issue 12.8)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from sitekit import build, make_project

from generator.commands.cli import main
from generator.core.files import atomic_write

SECRET = "TOP-SECRET-CONTENT: not a YAML entry\n"


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    secret = tmp_path / "elsewhere" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    return secret


def test_an_entry_linking_out_of_the_project_is_refused(tmp_path: Path, outside: Path,
                                                          capsys, monkeypatch):
    project = make_project(tmp_path / "project")
    (project / "papers" / "leak.yaml").symlink_to(outside)
    monkeypatch.chdir(project)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "papers/leak.yaml:1:1: error: is a symbolic link to a file outside the project" in err
    assert "TOP-SECRET" not in err
    assert build(project, tmp_path / "site") == 1
    out = capsys.readouterr()
    assert "TOP-SECRET" not in out.err + out.out
    assert not (tmp_path / "site").exists()


def test_a_taxonomy_linking_out_is_refused(tmp_path: Path, outside: Path, capsys, monkeypatch):
    project = make_project(tmp_path / "project")
    (project / "papers" / "taxonomy.yml").unlink()
    (project / "papers" / "taxonomy.yml").symlink_to(outside)
    monkeypatch.chdir(project)
    assert main(["check"]) == 1
    err = capsys.readouterr().err
    assert "papers/taxonomy.yml:1:1: error: is a symbolic link to a file outside" in err
    assert "TOP-SECRET" not in err


def test_links_inside_the_project_still_work(tmp_path: Path, capsys, monkeypatch):
    project = make_project(tmp_path / "project")
    shared = project / "shared"
    shared.mkdir()
    entry = project / "papers" / "trojanstego.yaml"
    entry.rename(shared / "trojanstego.yaml")
    entry.symlink_to(shared / "trojanstego.yaml")
    monkeypatch.chdir(project)
    assert main(["check"]) == 0


def test_a_docs_file_linking_out_is_not_published(tmp_path: Path, outside: Path, capsys,
                                                   caplog):
    project = make_project(tmp_path / "project")
    (project / "docs" / "key.txt").symlink_to(outside)
    site = tmp_path / "site"
    assert build(project, site) == 1
    err = capsys.readouterr().err + caplog.text  # MkDocs logs the plugin's error
    assert "docs/key.txt" in err and "outside the project" in err
    assert "TOP-SECRET" not in err
    assert not site.exists()


def test_written_files_keep_the_umask(tmp_path: Path):
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.yaml", "a: 1\n")
        assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o644
        os.umask(0o002)
        atomic_write(tmp_path / "group.yaml", "a: 1\n")
        assert stat.S_IMODE((tmp_path / "group.yaml").stat().st_mode) == 0o664
        (tmp_path / "new.yaml").chmod(0o640)  # an existing file keeps its own mode
        atomic_write(tmp_path / "new.yaml", "a: 2\n")
        assert stat.S_IMODE((tmp_path / "new.yaml").stat().st_mode) == 0o640
    finally:
        os.umask(old)


def test_the_built_site_is_readable_by_a_web_server(tmp_path: Path):
    project = make_project(tmp_path / "project")
    site = tmp_path / "site"
    old = os.umask(0o022)
    try:
        assert build(project, site) == 0
    finally:
        os.umask(old)
    for path in [site, *site.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & 0o004, f"{path} is not world-readable ({oct(mode)})"
