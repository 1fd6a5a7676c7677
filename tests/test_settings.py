"""One config (issue 14.5): the plugin's options are one MkDocs config class with bounds and
cross-field checks, and the commands that do not build read mkdocs.yml through it."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sitekit import ROOT

from generator.commands.cli import main
from generator.core.config import PLUGIN_KEYS, SiteConfig
from generator.plugin.settings import (
    ReadingListConfig,
    SettingsError,
    load_site_config,
    read_mkdocs_yml,
)


def _yml(tmp_path: Path, options: str, plugins_as_mapping: bool = False) -> Path:
    path = tmp_path / "mkdocs.yml"
    if plugins_as_mapping:
        body = f"plugins:\n  search: {{}}\n  reading-list:\n{options}"
    else:
        body = f"plugins:\n  - search\n  - reading-list:\n{options}"
    path.write_text("site_name: Lab list\nsite_url: https://example.org/\n" + body, "utf-8")
    return path


def test_site_config_defaults_are_the_plugins():
    defaults = ReadingListConfig()
    defaults.load_dict({})
    failed, _ = defaults.validate()
    assert not failed
    core = SiteConfig()
    for name in sorted(PLUGIN_KEYS):
        value = defaults[name]
        expected = tuple(value) if isinstance(value, list) else value
        assert getattr(core, name) == expected, name


@pytest.mark.parametrize("options, message", [
    ("      page_size: 0\n", "page_size: Expected a whole number from 5 to 1000, got 0."),
    ("      feed_items: -3\n", "feed_items: Expected a whole number from 1 to 1000, got -3."),
    ("      digest_days: true\n", "digest_days: Expected a whole number, not True."),
    ("      trending_windows: [day]\n      trending_default: week\n",
     "trending_default: Expected one of trending_windows (day), got 'week'."),
    ("      trending_windows: []\n", "Expected at least one of day, week, month."),
    ("      serach: pagefind\n", "serach"),
])
def test_bad_options_are_one_clear_error_everywhere(tmp_path: Path, options: str,
                                                    message: str):
    path = _yml(tmp_path, options)
    with pytest.raises(SettingsError) as caught:
        read_mkdocs_yml(path)
    assert str(path) in str(caught.value) and message in str(caught.value)


def test_plugins_as_a_mapping_are_read_too(tmp_path: Path):
    config = load_site_config(_yml(tmp_path, "    page_size: 20\n", plugins_as_mapping=True))
    assert config.page_size == 20


def test_env_tags_work_as_in_mkdocs(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("LIST_URL", "https://lab.example.org/list/")
    path = tmp_path / "mkdocs.yml"
    path.write_text("site_name: Lab\nsite_url: !ENV LIST_URL\nplugins:\n  - reading-list\n",
                    "utf-8")
    assert load_site_config(path).site_url == "https://lab.example.org/list/"


def test_the_repositorys_own_file_reads(tmp_path: Path):
    config = load_site_config(ROOT / "mkdocs.yml")
    assert config.site_url and config.page_size >= 5


def test_trending_refuses_a_broken_file_instead_of_defaults(tmp_path: Path, monkeypatch,
                                                            capsys):
    monkeypatch.chdir(tmp_path)
    _yml(tmp_path, "      trending_limit: 0\n")
    (tmp_path / "papers").mkdir()
    (tmp_path / "papers" / "taxonomy.yml").write_text(
        "categories:\n  - {slug: a, title: A, description: A.}\ntags:\n  - {slug: b, title: B}\n")
    with pytest.raises(SystemExit) as exited:
        main(["trending"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "trending_limit: Expected a whole number from 1 to 1000, got 0." in err
    assert "Traceback" not in err


def test_the_build_gives_the_same_message(tmp_path: Path, capsys, caplog):
    from sitekit import make_project

    project = make_project(tmp_path / "p")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text("utf-8").replace("page_size: 50", "page_size: 0"))
    monkeypatch_dir = Path.cwd()
    import os

    os.chdir(project)
    try:
        assert main(["build", "--date", "2026-11-30", "--site-dir", str(tmp_path / "s")]) == 1
    finally:
        os.chdir(monkeypatch_dir)
    out = capsys.readouterr().err + caplog.text
    assert "Expected a whole number from 5 to 1000, got 0." in out


def test_dataclass_fields_match():
    names = {f.name for f in dataclasses.fields(SiteConfig)}
    assert names >= PLUGIN_KEYS
