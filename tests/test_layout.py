"""The layout is the architecture (issue 14.1): each package imports only what
docs/architecture.md's Packages table allows, only the adapter imports MkDocs or Material,
and every package says in its docstring what belongs in it."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "generator"

#: package -> the packages of ours it may import (besides itself)
ALLOWED = {
    "core": set(),
    "pages": {"core"},
    "sources": {"core"},
    "plugin": {"core", "pages"},
    "commands": {"core", "pages", "plugin", "sources"},
}
ENGINES = ("mkdocs", "material")


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in ``path``."""
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if path.name == "__init__.py":
        module = module.rsplit(".", 1)[0] + ".__init__"
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_package_imports_only_what_it_may(package: str):
    wrong = []
    for path in sorted((PACKAGE / package).rglob("*.py")):
        for line, name in _imports(path):
            parts = name.split(".")
            if parts[0] in ENGINES and package != "plugin":
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {name}")
            ours = parts[0] == "generator" and len(parts) > 1 and parts[1] in ALLOWED
            if ours and parts[1] != package and parts[1] not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(PACKAGE)}:{line} imports {name}")
    assert wrong == []


def test_the_top_level_holds_only_packages():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py"]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_every_package_says_what_belongs_in_it(package: str):
    doc = importlib.import_module(f"generator.{package}").__doc__ or ""
    assert len(doc.split()) >= 25, f"generator/{package}/__init__.py needs a docstring"
