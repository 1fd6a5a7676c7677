"""Safe YAML with positions, reading limits, atomic writes, and entry file discovery."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from conftest import CASES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.core import files
from generator.core.entries import Problem, load_collection
from generator.core.files import (
    MAX_FILE_BYTES,
    YamlError,
    atomic_write,
    iter_entry_files,
    load_yaml,
    parse_yaml,
    read_text,
)


def test_positions_of_values_and_keys() -> None:
    located = parse_yaml("title: T\ntags:\n  - a\n  - b\nlinks: {code: 'https://x'}\n")
    assert located.data == {"title": "T", "tags": ["a", "b"], "links": {"code": "https://x"}}
    assert located.pos(("tags", 1)) == (4, 5)
    assert located.key_pos(("links",)) == (5, 1)
    assert located.pos(("links", "code")) == (5, 15)
    assert located.key_pos(("links", "code")) == (5, 9)
    assert located.pos(("tags", 7)) == (3, 3)  # falls back to the nearest located parent
    assert located.pos(("nothing",)) == (1, 1)


@pytest.mark.parametrize(("text", "value"), [
    ("x: 2505.20110", 2505.2011),  # YAML 1.2 reads a float: why arxiv ids must be quoted
    ("x: '2505.20110'", "2505.20110"),
    ("x: 2026-11-27", "2026-11-27"),  # dates stay text: the schema checks their form
    ("x: 2025", 2025),
    ("x: yes", "yes"),  # YAML 1.1's yes/no/on/off are plain words in 1.2
    ("x: true", True),
    ("x: ~", None),
    ("x:", None),
    ("x: >-\n  folded\n  text\n", "folded text"),
    ("x: " + "9" * 5000, "9" * 5000),  # beyond int() limits: text, not a ValueError
])
def test_scalars_resolve_like_yaml_1_2(text: str, value: object) -> None:
    assert parse_yaml(text).data["x"] == value


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbftitle: x\n")
    assert load_yaml(path).data == {"title": "x"}


def test_size_limit_is_checked_before_reading(tmp_path: Path, monkeypatch) -> None:
    """A 10 MB file is refused from its size; its bytes are never read."""
    path = tmp_path / "big.yaml"
    with path.open("wb") as fh:  # sparse: instant to create, 10 MB by stat
        fh.truncate(10 * 1024 * 1024)

    def no_reading(self: Path) -> bytes:
        raise AssertionError("read the file before checking its size")

    monkeypatch.setattr(Path, "read_bytes", no_reading)
    with pytest.raises(YamlError, match=r"file is 10,485,760 bytes, over the 262,144-byte"):
        read_text(path)


def test_a_file_at_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "limit.yaml"
    path.write_bytes(b"#" * (MAX_FILE_BYTES - 1) + b"\n")
    assert load_yaml(path).data is None
    path.write_bytes(b"#" * MAX_FILE_BYTES + b"\n")
    with pytest.raises(YamlError, match="over the"):
        load_yaml(path)


def test_billion_laughs_fails_at_the_first_anchor() -> None:
    text = (CASES / "entries" / "anchors-billion-laughs.yaml").read_text("utf-8")
    # The case file itself is harmless YAML; its entry text is the bomb.
    bomb = yaml.safe_load(text)["files"]["anchors-billion-laughs.yaml"]
    with pytest.raises(YamlError) as exc:
        parse_yaml(bomb)
    assert (exc.value.line, exc.value.col) == (1, 4)


def test_nesting_limit_is_a_message_not_a_recursion_error() -> None:
    with pytest.raises(YamlError, match="nested more than") as exc:
        parse_yaml("x:\n  y: " + "[" * 5000)
    assert (exc.value.line, exc.value.col) == (2, 36)  # the 33rd level
    assert parse_yaml("[" * 31 + "]" * 31).data is not None  # deep but within the limit


def test_atomic_write_replaces_whole_files(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "out.txt"
    atomic_write(path, "first\n")
    atomic_write(path, b"second\n")
    assert path.read_bytes() == b"second\n"
    assert [p.name for p in path.parent.iterdir()] == ["out.txt"]  # no temp files left


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path: Path,
                                                             monkeypatch) -> None:
    path = tmp_path / "out.txt"
    atomic_write(path, "old")

    def broken_fsync(fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(files.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_iter_entry_files_skips_taxonomy_subfolders_and_other_files(tmp_path: Path) -> None:
    for name in ("b.yaml", "a.yml", "taxonomy.yml", "notes.txt", "inbox/c.yaml"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    (tmp_path / "dir.yaml").mkdir()
    assert [p.name for p in iter_entry_files(tmp_path)] == ["a.yml", "b.yaml"]


# --- Property tests: any input gives values or problems, never an exception. ---------------

# Fragments that steer random text into YAML's interesting corners.
YAML_BITS = st.sampled_from([
    "title", "tags", "added", "published", "arxiv", "links", "abstract", ":", ": ", "- ", "\n",
    "  ", "\t", "[", "]", "{", "}", ",", "'", '"', "&a ", "*a", "<<: ", "!!python/object ",
    "!x ", "? ", "|", ">", "---\n", "...\n", "#", "%YAML 1.2\n", "2025-13", "2505.20118v2",
    "1e999", "9" * 50, "\\", "\\x00", "\x00", "\x07", "\ufeff", "é", "\u2028", "~", "null",
])
YAMLISH = st.lists(st.one_of(YAML_BITS, st.text(max_size=5)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), YAMLISH))
def test_parse_yaml_returns_values_or_raises_yaml_error(text: str) -> None:
    try:
        located = parse_yaml(text)
    except YamlError as exc:
        assert exc.line >= 1 and exc.col >= 1
        assert "\n" not in exc.message
    else:
        assert isinstance(located.positions, dict)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(st.text(max_size=300), YAMLISH))
def test_libyaml_fast_path_agrees_with_the_checked_parser(text: str) -> None:
    # Files libyaml accepts are read through it; the result must be exactly what the
    # pure-Python path gives (values, positions, styles), and it must refuse the rest.
    try:
        expected = files._parse_yaml_checked(text)
    except YamlError:
        expected = None
    if expected is None:  # errors always come from the checked path
        with pytest.raises(YamlError):
            parse_yaml(text)
        return
    got = parse_yaml(text)
    assert (got.data, got.positions, got.key_positions, got.literal) == (
        expected.data, expected.positions, expected.key_positions, expected.literal)


# A valid entry, cut anywhere and followed by junk: reaches the schema and semantic checks.
ENTRY = yaml.safe_load((CASES / "entries" / "valid-normalized.yaml").read_text("utf-8"))[
    "files"]["valid-normalized.yaml"]


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(st.binary(max_size=400), YAMLISH.map(str.encode),
                         st.builds(lambda cut, junk: ENTRY.encode()[:cut] + junk,
                                   st.integers(0, len(ENTRY)), st.binary(max_size=20))))
def test_load_collection_turns_any_bytes_into_entries_or_problems(tmp_path_factory,
                                                                  content: bytes) -> None:
    folder = tmp_path_factory.mktemp("prop")
    (folder / "taxonomy.yml").write_text((CASES / "taxonomy.yml").read_text("utf-8"))
    entry = folder / "entry.yaml"
    entry.write_bytes(content)
    collection, problems = load_collection([entry], folder / "taxonomy.yml",
                                           dt.date(2026, 11, 27), root=folder)
    assert all(isinstance(p, Problem) and p.line >= 1 and p.col >= 1 for p in problems)
    assert all("\n" not in p.format() and "\n" not in p.format_github() for p in problems)
    errors = [p for p in problems if p.severity == "error"]
    assert (collection is None) == bool(errors)
    if collection is not None:
        assert [p.id for p in collection.papers] == ["entry"]


@pytest.mark.parametrize("text", ["|#", "a: |#\n  x\n", "a: >-#\n  x\n", "a: |2#\n  x\n"])
def test_a_comment_glued_to_a_block_header_is_refused_on_both_paths(text: str) -> None:
    # libyaml reads "|#" as a block scalar header and a comment; PyYAML refuses it. Both
    # paths must give the one answer: the checked parser's error.
    with pytest.raises(YamlError):
        parse_yaml(text)
