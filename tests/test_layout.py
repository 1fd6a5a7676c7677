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


#: Memos of pure functions (same arguments, same value; arguments and values immutable):
#: they make no build differ from another, so they may stay module-level. Anything a build
#: keeps for the next goes into the explicit cache (generator/core/cache.py) instead.
PURE_MEMOS = {
    "core/bibtex.py": {"entry"},
    "core/entries.py": {"_validator", "_fast_check", "load_schema_props", "_display_from",
                        "_similarity"},
    "core/render.py": {"note_html"},
    "pages/__init__.py": {"_tex_text", "author_slug"},
    "pages/feeds.py": {"_papers_rss"},
}
_MUTATORS = {"append", "extend", "insert", "update", "setdefault", "pop", "popitem", "clear",
             "remove", "add", "discard", "sort", "reverse", "__setitem__"}


def _module_state(path: Path, relative: str | None = None) -> list[str]:
    """Where a function changes a module-level name (``global``, ``X[k] = v``, ``del X[k]``,
    ``X.append(...)``...), and which functions carry a memo that is not a known pure one."""
    tree = ast.parse(path.read_text("utf-8"))
    names = {t.id for node in tree.body if isinstance(node, (ast.Assign, ast.AnnAssign))
             for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
             if isinstance(t, ast.Name)}
    relative = relative or path.relative_to(PACKAGE).as_posix()
    found = []
    for func in ast.walk(tree):
        if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for deco in func.decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            name = target.attr if isinstance(target, ast.Attribute) else \
                getattr(target, "id", "")
            if name in ("lru_cache", "cache") and \
                    func.name not in PURE_MEMOS.get(relative, set()):
                found.append(f"{relative}:{func.lineno}: memo on {func.name}()")
        local = {a.arg for a in func.args.args + func.args.kwonlyargs}
        local |= {t.id for node in ast.walk(func) if isinstance(node, ast.Assign)
                  for t in node.targets if isinstance(t, ast.Name)}
        for node in ast.walk(func):
            if isinstance(node, ast.Global):
                found.append(f"{relative}:{node.lineno}: global {', '.join(node.names)}")
            target = None
            if isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
                targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) \
                    else [node.target]
                target = next((t.value for t in targets if isinstance(t, ast.Subscript)),
                              None)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr in _MUTATORS:
                target = node.func.value
            if isinstance(target, ast.Name) and target.id in names - local:
                found.append(f"{relative}:{node.lineno}: changes module-level {target.id}")
    return found


@pytest.mark.parametrize("package", ["core", "pages"])
def test_the_core_holds_no_mutable_module_state(package: str):
    # Issue 14.4: what a build keeps for the next lives in one explicit cache object, passed
    # in (None = pure), never in module globals.
    found = [line for path in sorted((PACKAGE / package).rglob("*.py"))
             for line in _module_state(path)]
    assert found == []


def test_the_module_state_check_can_fail(tmp_path: Path):
    sample = tmp_path / "sample.py"
    sample.write_text("import functools\n_SEEN: dict = {}\n_LAST = [None]\n\n\n"
                      "def remember(key, value):\n    _SEEN[key] = value\n"
                      "    _LAST.append(value)\n\n\n"
                      "@functools.lru_cache\ndef memo(x):\n    return x\n", "utf-8")
    assert len(_module_state(sample, "core/sample.py")) == 3
