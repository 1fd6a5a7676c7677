"""Card variants (a category or tag page leaves its own chip out) are cut from one marked
render of each card: the same HTML as the template gives for each variant, and a fork whose
``card`` macro knows nothing of marks still gets its own template's output."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from sitekit import ROOT, make_project

from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.pages import _Builder, _cut_chip, build_page_set, template_env
from generator.plugin.settings import load_site_config

TODAY = dt.date(2026, 12, 1)


def _load(root: Path):
    config = load_site_config(root / "mkdocs.yml")
    collection, problems = load_collection(list(iter_entry_files(config.papers_path)),
                                           config.taxonomy_path, TODAY, root=root)
    assert collection is not None, problems
    return config, collection


def test_every_cut_variant_of_the_default_list_is_what_the_template_renders():
    config, collection = _load(ROOT)
    builder = _Builder(collection, config, TODAY, {}, template_env(ROOT), {},
                       previous={"cards": {}})
    macro = builder.env.get_template("_macros.html.j2").make_module(builder.context("")).card
    checked = 0
    for paper in collection.papers:
        marked = macro(paper, marked=True)
        assert "\x02" in marked and "\x04" in marked
        for omit in [None, f"category:{paper.category}", *(f"tag:{t}" for t in paper.tags)]:
            assert _cut_chip(marked, omit) == str(macro(paper, omit=omit)), (paper.id, omit)
            checked += 1
    assert checked > 800


def test_a_fork_card_without_marks_is_rendered_per_variant(tmp_path: Path):
    project = make_project(tmp_path / "fork")
    overrides = project / "site_templates"
    overrides.mkdir()
    shutil.copy(ROOT / "site_templates" / "_macros.html.j2", overrides / "_macros.html.j2")
    macros = overrides / "_macros.html.j2"
    text = macros.read_text("utf-8")
    start = text.index("{% macro card(")
    end = text.index("{%- endmacro %}", start) + len("{%- endmacro %}")
    macros.write_text(text[:start] + (
        '{% macro card(paper, position=None, omit=None) -%}\n'
        '<article class="fork-card">{{ paper.title }}'
        '{% if omit != "category:" ~ paper.category %} [{{ paper.category }}]{% endif %}'
        '</article>\n{%- endmacro %}') + text[end:], "utf-8")
    config, collection = _load(project)
    pages = build_page_set(collection, config, TODAY)
    category = collection.papers[0].category
    listing = pages.page(f"categories/{category}/index.md").html or ""
    assert 'class="fork-card"' in listing
    assert f"[{category}]" not in listing  # the page's own category chip is left out
    home = pages.page("papers/index.md")
    assert "\x02" not in (home.html or "") + home.markdown
