"""The loader's rules, as data: every file in cases/entries/ and cases/taxonomy/ is a case.

A case file holds the input files (entry text, or bytes for encoding faults), optionally its
own taxonomy and date, and every problem the loader must report, in order: message (a
substring), line, col, severity and optionally a hint substring. When the case has no errors
it may also list field values the loaded papers must have (``papers: {id: {field: value}}``).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CASES, TODAY

from generator.core.entries import (
    PartialDate,
    Problem,
    load_collection,
    load_taxonomy,
    normalize_space,
    title_key,
)
from generator.core.files import parse_yaml

CASE_FILES = sorted((CASES / "entries").glob("*.yaml")) + sorted(
    (CASES / "taxonomy").glob("*.yaml"))


def load_case(path: Path) -> dict[str, Any]:
    case = yaml.safe_load(path.read_text("utf-8"))
    assert case.get("about"), f"{path.name}: say what the case checks in 'about:'"
    files = case.get("files")
    if files is None:
        files = {}
    elif not isinstance(files, dict):  # a bare entry text: the file is named after the case
        files = {f"{path.stem}.yaml": files}
    case["files"] = files
    return case


def expected_problems(case: dict[str, Any]) -> list[dict[str, Any]]:
    default = next(iter(case["files"]), "taxonomy.yml")
    return [{"file": default, "severity": "error", **p} for p in case.get("problems") or []]


def run_case(case: dict[str, Any], folder: Path, write_files) -> tuple[Any, list[Problem]]:
    paths = write_files(folder, case["files"])
    taxonomy = folder / "taxonomy.yml"
    if "taxonomy" in case:
        if case["taxonomy"] is not None:
            taxonomy.write_text(case["taxonomy"], "utf-8")
    else:
        taxonomy.write_text((CASES / "taxonomy.yml").read_text("utf-8"), "utf-8")
    today = dt.date.fromisoformat(str(case.get("today", TODAY)))
    return load_collection(paths, taxonomy, today, root=folder)


def plain(value: Any) -> Any:
    """Paper attribute values as YAML can write them."""
    if isinstance(value, tuple):
        return [plain(v) for v in value]
    if isinstance(value, PartialDate | dt.date):
        return value.isoformat() if isinstance(value, dt.date) else value.iso
    return value


@pytest.mark.parametrize("case_path", CASE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_case(case_path: Path, tmp_path: Path, write_files) -> None:
    case = load_case(case_path)
    started = time.perf_counter()
    collection, problems = run_case(case, tmp_path, write_files)
    elapsed = time.perf_counter() - started
    shown = "\n".join(p.format() for p in problems) or "(no problems)"
    expected = expected_problems(case)
    assert len(problems) == len(expected), f"got:\n{shown}"
    for got, want in zip(problems, expected, strict=True):
        where = (got.path, got.line, got.col, got.severity)
        assert where == (want["file"], want["line"], want["col"], want["severity"]), shown
        assert want["message"] in got.format(), shown  # as printed: control chars escaped
        assert want.get("hint", "") in got.hint, shown
        assert "\n" not in got.format()
    has_errors = any(p["severity"] == "error" for p in expected)
    assert (collection is None) == has_errors, shown
    for pid, fields in (case.get("papers") or {}).items():
        paper = collection.by_id[pid]
        for name, value in fields.items():
            assert plain(getattr(paper, name)) == value, name
    assert elapsed < case.get("max_seconds", 5)


def test_case_names_are_unique_across_cases() -> None:
    """The CLI test checks all cases in one folder: file names, titles and ids must not clash."""
    seen: dict[str, str] = {}
    for path in CASE_FILES:
        for name in load_case(path)["files"]:
            assert name not in seen, f"{name} is in {seen.get(name)} and {path.name}"
            seen[name] = path.name


def test_taxonomy_problems_name_the_field_with_a_hint(tmp_path: Path) -> None:
    """Every taxonomy message names the item and field; none is raw jsonschema text."""
    path = tmp_path / "taxonomy.yml"
    path.write_text("categories:\n  - {slug: a, title: A, description: D, colour: red}\n"
                    "tags:\n  - {slug: b}\n", "utf-8")
    taxonomy, problems = load_taxonomy(path)
    assert taxonomy is None
    assert [p.format() for p in problems] == [
        f"{path}:2:41: error: unknown field 'colour' in category 'a' "
        "(allowed fields: aliases, description, order, slug, title)",
        f"{path}:4:5: error: tag 'b' is missing 'title' (a short name shown on the site)",
    ]


def test_distinct_from_checked_alone_knows_the_files_next_to_it(tmp_path: Path) -> None:
    """`check papers/one.yaml` loads one file: an id in its distinct_from is known when that
    entry's file is in the same folder, and still an error when no such file exists."""
    (tmp_path / "taxonomy.yml").write_text((CASES / "taxonomy.yml").read_text("utf-8"))
    entry = ('title: "Xmodel Technical Report"\nadded: 2026-11-01\narxiv: "2402.00061"\n'
             "category: covert-channels\ntags: [steganography]\nauthors: [A]\n"
             "published: 2024\nabstract: A.\n")
    one = tmp_path / "report-one.yaml"
    one.write_text(entry + "distinct_from: [report-two, report-three]\n", "utf-8")
    (tmp_path / "report-two.yaml").write_text(entry.replace("00061", "00062"), "utf-8")
    collection, problems = load_collection([one], tmp_path / "taxonomy.yml", TODAY,
                                           root=tmp_path)
    assert [p.format() for p in problems] == [
        "report-one.yaml:9:29: error: distinct_from names 'report-three', which is no "
        "entry's id or alias (give the id (file name without .yaml) of another entry)"]
    assert collection is None


def test_shipped_papers_load_without_errors() -> None:
    root = Path(__file__).parent.parent
    files = sorted(p for p in (root / "papers").glob("*.yaml"))
    collection, problems = load_collection(files, root / "papers" / "taxonomy.yml", TODAY,
                                           root=root)
    assert [p.format() for p in problems if p.severity == "error"] == []
    assert collection is not None and len(collection.papers) == 200
    assert all(p.source == f"papers/{p.id}.yaml" for p in collection.papers)


@pytest.mark.parametrize(("raw", "clean"), [
    ("  A   title\n with\tbreaks ", "A title with breaks"),
    ("one\n\n\n  two\n three", "one\n\ntwo three"),
    ("para\n \t \nnext", "para\n\nnext"),
    ("\u00a0non\u2003breaking\u00a0", "non breaking"),
    ("", ""),
])
def test_normalize_space(raw: str, clean: str) -> None:
    assert normalize_space(raw) == clean


@pytest.mark.parametrize(("raw", "clean"), [
    ("one\ntwo", "one\n\ntwo"),  # in folded YAML a single \n was a blank line
    ("one \n\n two\n", "one\n\ntwo"),
    ("  one  two  ", "one two"),
])
def test_normalize_space_of_folded_text(raw: str, clean: str) -> None:
    assert normalize_space(raw, folded=True) == clean


def test_loader_marks_literal_blocks_only() -> None:
    located = parse_yaml("a: |\n  x\nb: >\n  y\nc: z\nd: 'q'\n")
    assert [k for k in "abcd" if located.is_literal((k,))] == ["a"]


def test_title_key_ignores_case_and_punctuation() -> None:
    key = title_key("TrojanStego: Your LM -- Can (Secretly)!")
    assert key == "trojanstego your lm can secretly"


# -- the two validators agree -----------------------------------------------------------
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from generator.core.entries import _is_valid, _validator, load_schema_props  # noqa: E402

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 3000), st.floats(allow_nan=False),
                     st.sampled_from(["", "x", "2505.20118", "10.1000/x", "https://a.b/c",
                                      "2024-07", "2024-13", "2024-07-01", "privacy", "Bad Tag",
                                      "hep-th/9901001", " ", "a" * 400]),
                     st.text(max_size=12))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=6),
    st.dictionaries(st.sampled_from(["code", "project", "x", "Code", "data"]), inner,
                    max_size=3)), max_leaves=12)


@st.composite
def _entries(draw) -> dict[str, Any]:
    """Entry-shaped mappings: a valid base with fields replaced, dropped or added."""
    entry: dict[str, Any] = {
        "title": "A title", "authors": ["A. Author"], "abstract": "An abstract.",
        "added": "2026-11-01", "category": "privacy", "tags": ["membership-inference"],
        "arxiv": "2505.20118", "published": "2025-05", "links": {"code": "https://x.y/z"}}
    fields = sorted(load_schema_props()) + ["unknown", "Title"]
    for name in draw(st.lists(st.sampled_from(fields), max_size=4)):
        if draw(st.booleans()):
            entry[name] = draw(_VALUES)
        else:
            entry.pop(name, None)
    return entry


@settings(max_examples=400, deadline=None)
@given(_entries())
def test_fast_validator_agrees_with_jsonschema(entry: dict[str, Any]) -> None:
    # Valid entries are confirmed by fastjsonschema alone; it must never pass what
    # jsonschema (which writes the messages) would refuse, nor the other way round.
    assert _is_valid()(entry) == _validator().is_valid(entry)


def test_fast_validator_agrees_on_every_case_and_paper() -> None:
    from generator.core.files import parse_yaml as parse

    texts = [p.read_text("utf-8") for p in sorted((CASES.parent.parent / "papers").glob("*.yaml"))]
    for case_path in CASE_FILES:
        texts += [t for t in load_case(case_path)["files"].values() if isinstance(t, str)]
    checked = 0
    for text in texts:
        try:
            value = parse(text).data
        except Exception:  # noqa: BLE001 - broken YAML is the case's point
            continue
        if isinstance(value, dict):
            checked += 1
            assert _is_valid()(value) == _validator().is_valid(value), text[:200]
    assert checked > 200


def test_fast_taxonomy_check_agrees_with_jsonschema() -> None:
    from jsonschema import Draft202012Validator

    from generator.core.entries import TAXONOMY_SCHEMA, _fast_check
    from generator.core.files import parse_yaml as parse

    texts = [(CASES.parent.parent / "papers" / "taxonomy.yml").read_text("utf-8"),
             (CASES / "taxonomy.yml").read_text("utf-8")]
    texts += [t for p in CASE_FILES if isinstance(t := load_case(p).get("taxonomy"), str)]
    documents = [parse(t).data for t in texts]
    documents += [None, [], {}, {"categories": [], "tags": []}, {"categories": "x"},
                  {"categories": [{"slug": "A b", "title": "t"}], "tags": []},
                  {"categories": [{"slug": "a", "title": "t", "order": "1"}], "tags": []}]
    validator = Draft202012Validator(TAXONOMY_SCHEMA)
    for data in documents:
        assert _fast_check("taxonomy")(data) == validator.is_valid(data), data
