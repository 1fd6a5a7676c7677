"""The private MkDocs and Material APIs the adapter uses (generator/plugin/compat.py) still exist
with the shapes it relies on: an upgrade that moves one fails here, by name, not as a
wrong page somewhere in a build."""

from __future__ import annotations

import ast
from pathlib import Path

from generator.plugin import compat

PACKAGE = Path(__file__).resolve().parent.parent / "generator"


def test_every_private_api_is_where_we_expect_it():
    found = compat.problems()
    assert found == [], (f"with {compat.versions()}: " + "; ".join(found)
                         + " -- update generator/plugin/compat.py")


def test_private_mkdocs_and_material_names_are_used_only_in_compat():
    # A name starting with "_" taken from an mkdocs/material module, or a private attribute
    # of one of their objects we know, outside compat.py, would escape the check above.
    private = ("_set_canonical_url", "_set_edit_url", "_current_page", "copy_static_files",
               "add_entry_from_context", "search_index_prev", "get_context")
    offenders = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "compat.py":
            continue
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            name = node.attr if isinstance(node, ast.Attribute) else \
                node.id if isinstance(node, ast.Name) else None
            if name in private:
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {name}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    ("mkdocs", "material")):
                offenders += [f"{path.relative_to(PACKAGE)}:{node.lineno} {a.name}"
                              for a in node.names if a.name.startswith("_")]
    assert offenders == []
