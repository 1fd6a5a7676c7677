"""The GitHub issue forms, their chooser config and the pull-request template are valid.

GitHub rejects an invalid issue form silently (it just does not offer it), so the rules of
the form schema that matter are checked here: required top-level keys, known element types,
ids only where allowed and unique, labels present and unique, dropdown options, and the
field ids the site's "Suggest a correction" link pre-fills.
"""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
FORMS = ROOT / ".github" / "ISSUE_TEMPLATE"
TYPES = {"markdown", "textarea", "input", "dropdown", "checkboxes"}
ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")
TOP_KEYS = {"name", "description", "title", "labels", "assignees", "projects", "type", "body"}
ATTRIBUTES = {
    "markdown": {"value"},
    "textarea": {"label", "description", "placeholder", "value", "render"},
    "input": {"label", "description", "placeholder", "value"},
    "dropdown": {"label", "description", "multiple", "options", "default"},
    "checkboxes": {"label", "description", "options"},
}


def forms() -> list[Path]:
    return sorted(p for p in FORMS.glob("*.yml") if p.name != "config.yml")


def load(path: Path):
    return yaml.safe_load(path.read_text("utf-8"))


def test_the_forms_exist() -> None:
    assert {p.name for p in forms()} == {"correction.yml", "suggest-paper.yml"}


@pytest.mark.parametrize("path", forms(), ids=lambda p: p.name)
def test_issue_form_is_valid(path: Path) -> None:
    form = load(path)
    assert isinstance(form, dict)
    assert set(form) <= TOP_KEYS, set(form) - TOP_KEYS
    for key in ("name", "description"):
        assert isinstance(form.get(key), str) and form[key].strip(), key
    body = form.get("body")
    assert isinstance(body, list) and body
    assert any(item.get("type") != "markdown" for item in body), "needs one input element"
    ids: list[str] = []
    labels: list[str] = []
    for i, item in enumerate(body):
        where = f"{path.name} body[{i}]"
        assert set(item) <= {"type", "id", "attributes", "validations"}, where
        kind = item.get("type")
        assert kind in TYPES, f"{where}: unknown type {kind!r}"
        attributes = item.get("attributes")
        assert isinstance(attributes, dict), f"{where}: attributes are required"
        assert set(attributes) <= ATTRIBUTES[kind], f"{where}: {set(attributes)}"
        if kind == "markdown":
            assert "id" not in item, f"{where}: markdown elements take no id"
            assert "validations" not in item, where
            assert isinstance(attributes.get("value"), str) and attributes["value"].strip()
            continue
        label = attributes.get("label")
        assert isinstance(label, str) and label.strip(), f"{where}: label is required"
        labels.append(label)
        if "id" in item:
            assert isinstance(item["id"], str) and ID_RE.match(item["id"]), where
            ids.append(item["id"])
        if "validations" in item:
            assert set(item["validations"]) == {"required"}, where
            assert isinstance(item["validations"]["required"], bool), where
        if kind in ("dropdown", "checkboxes"):
            options = attributes.get("options")
            assert isinstance(options, list) and options, f"{where}: options are required"
        if kind == "dropdown":
            assert all(isinstance(o, str) and o for o in options), where
            assert len(set(options)) == len(options), f"{where}: options repeat"
            if "default" in attributes:
                assert 0 <= attributes["default"] < len(options), where
        if kind == "checkboxes":
            for option in options:
                assert isinstance(option, dict) and isinstance(option.get("label"), str)
                assert set(option) <= {"label", "required"}, where
    assert len(ids) == len(set(ids)), f"{path.name}: ids repeat: {ids}"
    assert len(labels) == len(set(labels)), f"{path.name}: labels repeat: {labels}"


def test_correction_form_matches_the_prefilled_link() -> None:
    form = load(FORMS / "correction.yml")
    by_id = {item["id"]: item for item in form["body"] if "id" in item}
    assert form["name"] == "Suggest a correction"
    assert by_id["paper-id"]["type"] == "input"
    assert by_id["paper-title"]["type"] == "input"
    assert by_id["problem"]["type"] == "textarea"
    assert by_id["problem"]["validations"]["required"] is True
    # The link the paper pages build: every query key but template/title is a field id.
    link = ("https://github.com/o/r/issues/new?template=correction.yml&title=Correction%3A+X"
            "&paper-id=trojanstego&paper-title=X")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(link).query)
    assert set(query) - {"template", "title"} <= set(by_id)
    assert (FORMS / query["template"][0]).exists()


def test_correction_link_of_the_site_uses_the_form() -> None:
    pages = pytest.importorskip("generator.pages")
    if not hasattr(pages, "correction_url"):
        pytest.skip("the site does not build correction links yet")
    import datetime as dt

    from generator.core.entries import Paper
    from generator.plugin.settings import load_site_config

    paper = Paper(id="trojanstego", source="papers/trojanstego.yaml", title="TrojanStego: X",
                  abstract="a", category="c", tags=("t",), added=dt.date(2026, 1, 1))
    url = pages.correction_url(paper, load_site_config(ROOT / "mkdocs.yml"))
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    form = load(FORMS / query["template"][0])
    ids = {item["id"] for item in form["body"] if "id" in item}
    assert set(query) - {"template", "title"} <= ids
    assert query["paper-id"] == ["trojanstego"]


def test_suggest_form_offers_every_category() -> None:
    form = load(FORMS / "suggest-paper.yml")
    dropdown = next(i for i in form["body"] if i.get("id") == "category")
    taxonomy = load(ROOT / "papers" / "taxonomy.yml")
    slugs = [c["slug"] for c in taxonomy["categories"]]
    assert set(slugs) <= set(dropdown["attributes"]["options"])
    ids = {i.get("id") for i in form["body"]}
    assert {"link", "category", "why"} <= ids


def test_chooser_config() -> None:
    config = load(FORMS / "config.yml")
    assert set(config) <= {"blank_issues_enabled", "contact_links"}
    assert isinstance(config["blank_issues_enabled"], bool)
    for link in config["contact_links"]:
        assert set(link) == {"name", "url", "about"}
        assert link["url"].startswith("https://")


def test_pull_request_template_is_a_checklist() -> None:
    text = (ROOT / ".github" / "PULL_REQUEST_TEMPLATE.md").read_text("utf-8")
    boxes = re.findall(r"^- \[ \] (.+)$", text, flags=re.MULTILINE)
    assert len(boxes) >= 5
    assert any("reading-list check" in b for b in boxes)
    assert any("taxonomy" in b for b in boxes)


def test_contributing_covers_the_whole_path() -> None:
    text = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    for needle in ("Fork", "reading-list add", "reading-list check", "pull request",
                   "web editor", "Propose changes", "--format github", "site-preview",
                   "papers/taxonomy.yml"):
        assert needle in text, needle
    # The site's page is the same guide (kept identical: one text to maintain).
    assert (ROOT / "docs" / "contributing.md").read_text("utf-8") == text


def test_contributing_example_entry_is_valid(tmp_path: Path) -> None:
    """The example entry in the guide passes the loader (the guide never teaches an error)."""
    import datetime as dt
    import shutil

    from generator.core.entries import load_collection

    text = (ROOT / "CONTRIBUTING.md").read_text("utf-8")
    example = re.search(r"```yaml\n(.*?)```", text, flags=re.DOTALL).group(1)
    example = example.replace("over their potential to leak confidential information. ...",
                              "over their potential to leak confidential information.")
    (tmp_path / "trojanstego.yaml").write_text(example, "utf-8")
    shutil.copy(ROOT / "papers" / "taxonomy.yml", tmp_path / "taxonomy.yml")
    collection, problems = load_collection([tmp_path / "trojanstego.yaml"],
                                           tmp_path / "taxonomy.yml", dt.date(2026, 11, 27))
    assert collection is not None, [p.format() for p in problems]
    assert problems == []
