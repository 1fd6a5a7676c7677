"""The subcommands are an explicit table (issue 14.1): no import side effects register them,
each module is imported only when its command runs, and --help lists them all."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from generator.commands import cli


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_each_entry_names_real_functions_and_their_summary(name: str):
    entry = cli.COMMANDS[name]
    module = importlib.import_module(entry.module)
    run = getattr(module, entry.run)
    assert callable(getattr(module, entry.setup))
    first = " ".join((run.__doc__ or "").strip().split("\n\n")[0].split())
    assert entry.summary == first


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert f"    {name}" in out


def test_check_imports_neither_mkdocs_nor_network_clients():
    code = ("import sys; import generator.commands.cli as c; c.build_parser(['check']); "
            "print(sorted(m for m in sys.modules if m.startswith(('mkdocs', 'generator.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert "mkdocs" not in out and "generator.commands.site" not in out
    assert "generator.sources.http" not in out


def test_python_dash_m_runs_every_command():
    for name in ("check", "build", "import", "new"):
        result = subprocess.run([sys.executable, "-m", "generator", name, "--help"],
                                capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        assert "usage: reading-list " + name in result.stdout
