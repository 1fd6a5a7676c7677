"""Shared fixtures: a papers folder with the small test taxonomy, and writing case files."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

CASES = Path(__file__).parent / "cases"
TODAY = dt.date(2026, 11, 27)  # "today" for every test that does not say otherwise


def file_bytes(spec: str | Mapping[str, Any]) -> bytes:
    """The bytes a case file spec stands for.

    A string is UTF-8 text. A mapping is one of ``{text, encoding}`` (text in another
    encoding, e.g. latin-1 for non-UTF-8 bytes), ``{hex}`` (raw bytes), or ``{size}``
    (a YAML comment file of exactly that many bytes).
    """
    if isinstance(spec, str):
        return spec.encode("utf-8")
    if "hex" in spec:
        return bytes.fromhex(spec["hex"])
    if "size" in spec:
        line = b"# padding padding padding padding padding padding padding padding\n"
        size = int(spec["size"])
        return (line * (size // len(line) + 1))[:size]
    return spec["text"].encode(spec.get("encoding", "utf-8"))


@pytest.fixture
def write_files() -> Callable[[Path, Mapping[str, Any]], list[Path]]:
    """Write ``{name: spec}`` (see :func:`file_bytes`) into a folder; returns the paths."""

    def write(folder: Path, files: Mapping[str, Any]) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, spec in files.items():
            path = folder / name
            path.write_bytes(file_bytes(spec))
            paths.append(path)
        return sorted(paths)

    return write


@pytest.fixture
def papers_dir(tmp_path: Path) -> Path:
    """An empty ``papers/`` folder holding only the test taxonomy."""
    folder = tmp_path / "papers"
    folder.mkdir()
    shutil.copy(CASES / "taxonomy.yml", folder / "taxonomy.yml")
    return folder


@pytest.fixture(scope="module")
def browser():
    """One headless Debian Chromium per test module, through Playwright (browser tests skip
    with a reason when there is no chromium: see tests/browserkit.py)."""
    from browserkit import launch
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()
