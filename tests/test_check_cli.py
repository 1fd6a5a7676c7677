"""``reading-list check``: exit codes, both output formats, and a folder of every fault at once."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import file_bytes
from test_entries import CASE_FILES, expected_problems, load_case

from generator.commands.cli import main
from generator.core.entries import Problem

ROOT = Path(__file__).parent.parent
LINE_RE = re.compile(r"^[^\s:]+:\d+:\d+: (error|warning): \S.*$")
GITHUB_RE = re.compile(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+::\S.*$")

GOOD = """\
title: "Neural Linguistic Steganography"
authors: [Zachary Ziegler, Yuntian Deng, Alexander Rush]
published: 2019-09
added: 2026-11-01
arxiv: "1909.01496"
category: covert-channels
tags: [steganography]
abstract: Whereas traditional cryptography encrypts a secret message into an unintelligible form.
"""


# Another paper in the same shape, for broken copies that must not also be duplicates of GOOD
# (check reports duplicates even among entries with errors).
OTHER = GOOD.replace("Neural Linguistic Steganography", "Covert Messages in Sampled Text") \
    .replace("1909.01496", "2401.00099")


def check(*args: str) -> int:
    return main(["check", "--date", "2026-11-27", *args])


@pytest.fixture
def project(papers_dir: Path, monkeypatch) -> Path:
    """A project folder (the working directory) with papers/ holding one valid entry."""
    monkeypatch.chdir(papers_dir.parent)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    (papers_dir / "good.yaml").write_text(GOOD, "utf-8")
    return papers_dir.parent


def test_valid_entries_exit_0(project: Path, capsys) -> None:
    assert check() == 0
    err = capsys.readouterr().err
    assert err == "1 entries OK (0 warning(s))\n"


def test_warnings_alone_exit_0(project: Path, capsys) -> None:
    (project / "papers" / "good.yaml").write_text(GOOD.replace('arxiv: "1909.01496"\n', ""))
    assert check() == 0
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "papers/good.yaml:1:1: warning: no arXiv id, DOI or URL yet "
        "(add arxiv:, doi: or url: so readers can find the paper)",
        "1 entries OK (1 warning(s))",
    ]
    assert check("--quiet") == 0
    assert capsys.readouterr().err == "1 entries OK (1 warning(s))\n"


def test_an_error_exits_1_with_path_line_col(project: Path, capsys) -> None:
    (project / "papers" / "bad.yaml").write_text(OTHER.replace("title:", "titel:"))
    assert check() == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        "papers/bad.yaml:1:1: error: missing required field 'title' (a non-empty line of text)",
        "papers/bad.yaml:1:1: error: unknown field 'titel' (did you mean 'title'?)",
        "check failed: 2 error(s), 0 warning(s)",
    ]


def test_check_named_files_only(project: Path, capsys) -> None:
    (project / "papers" / "bad.yaml").write_text("- not a mapping\n")
    assert check("papers/good.yaml") == 0
    assert check("papers/bad.yaml") == 1
    assert check("papers/missing.yaml") == 1
    err = capsys.readouterr().err
    assert "papers/missing.yaml:1:1: error: no such file or folder" in err


def test_github_format(project: Path, capsys) -> None:
    (project / "papers" / "bad.yaml").write_text(OTHER.replace('"2401.00099"', "2401.00099v2"))
    assert check("--format", "github") == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "::error file=papers/bad.yaml,line=5,col=8::invalid 'arxiv': '2401.00099v2' "
        '(drop the version suffix: "2401.00099")',
    ]


def test_github_format_is_the_default_on_github_actions(project: Path, capsys,
                                                        monkeypatch) -> None:
    (project / "papers" / "good.yaml").write_text(GOOD.replace("added:", "published: x\nadded:"))
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert check() == 1
    captured = capsys.readouterr()
    assert captured.out.startswith("::error file=papers/good.yaml,line=4,col=1::")
    assert "duplicate key 'published'" in captured.out
    assert all(GITHUB_RE.match(line) for line in captured.out.splitlines())
    assert check("--format", "text") == 1
    assert "papers/good.yaml:4:1: error: duplicate key 'published'" in capsys.readouterr().err


def test_github_annotations_escape_newlines_and_separators() -> None:
    problem = Problem("papers/a,b:c.yaml", 2, 3, "50% bad\nnext", "hint", "warning")
    assert problem.format_github() == (
        "::warning file=papers/a%2Cb%3Ac.yaml,line=2,col=3::50%25 bad\\nnext (hint)")


def every_case_folder(folder: Path) -> list[tuple[str, int, int, str, str]]:
    """Write the files of every entry case that uses the default taxonomy and date into one
    folder; returns the problems they expect, in report order."""
    expected = []
    for path in CASE_FILES:
        case = load_case(path)
        if path.parent.name != "entries" or "taxonomy" in case or "today" in case and \
                str(case["today"]) != "2026-11-27":
            continue
        for name, spec in case["files"].items():
            (folder / name).write_bytes(file_bytes(spec))
        expected += [(f"papers/{p['file']}", p["line"], p["col"], p["severity"], p["message"])
                     for p in expected_problems(case)]
    return sorted(expected, key=lambda p: p[:3])


def reading_list() -> list[str]:
    """The installed console script (falls back to the module when not on PATH)."""
    script = shutil.which("reading-list")
    return [script] if script else [sys.executable, "-m", "generator"]


def test_a_folder_with_every_kind_of_broken_file(papers_dir: Path) -> None:
    """One broken file of each kind at once: every problem on its own line, no traceback,
    exit 1, fast (the issue asks for under 2 seconds; asserted generously for slow CI)."""
    expected = every_case_folder(papers_dir)
    assert len(expected) > 40
    env = {k: v for k, v in os.environ.items() if k != "GITHUB_ACTIONS"}
    started = time.perf_counter()
    result = subprocess.run([*reading_list(), "check", "--date", "2026-11-27"],
                            cwd=papers_dir.parent, env=env, capture_output=True, text=True,
                            timeout=60, check=False)
    elapsed = time.perf_counter() - started
    print(f"checked {len(list(papers_dir.iterdir()))} files in {elapsed:.2f} s")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[-1].startswith("check failed: ")
    problems = lines[:-1]
    assert all(LINE_RE.match(line) for line in problems), "\n".join(problems)
    assert len(problems) == len(expected), "\n".join(problems)
    for line, (path, row, col, severity, message) in zip(problems, expected, strict=True):
        assert line.startswith(f"{path}:{row}:{col}: {severity}: "), line
        assert message in line.replace("papers/", ""), line  # cases name files bare
    errors = sum(": error: " in line for line in problems)
    assert lines[-1] == f"check failed: {errors} error(s), {len(problems) - errors} warning(s)"
    assert elapsed < 10


def test_shipped_papers_pass(monkeypatch, capsys) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    assert check() == 0
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("200 entries OK")
    assert not [line for line in err if ": error: " in line]


def test_python_m_generator_cli_knows_every_command() -> None:
    # `python -m generator.commands.cli` runs the file as __main__; the subcommands must still be
    # there (they register in the importable module).
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "generator", "--help"],
                         capture_output=True, text=True, check=True).stdout
    for name in ("check", "build", "serve", "add", "new", "trending", "digest"):
        assert name in out, name
