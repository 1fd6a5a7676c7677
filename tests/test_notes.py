"""Curators' notes render in time linear in their length, whatever their syntax (issue 12.7):
check accepts any note up to the schema's 5,000 characters, so build must render it."""

from __future__ import annotations

import time

import pytest

from generator.core.render import note_html

#: Shapes that made Python-Markdown quadratic (brackets) or overflow the stack (nested lists).
PATHOLOGICAL = {
    "brackets": "[",
    "link openers": "[a](",
    "images": "![",
    "nested ordered lists": "1. ",
    "nested bullets": "- ",
    "nested quotes": "> ",
    "emphasis": "*_",
    "reference definitions": "[a]: <",
    "autolinks": "<a:",
    "code spans": "`a``",
    "entities": "&#",
}


def _render_time(text: str) -> float:
    note_html.cache_clear()
    started = time.perf_counter()
    note_html(text)
    return time.perf_counter() - started


@pytest.mark.parametrize("unit", PATHOLOGICAL.values(), ids=PATHOLOGICAL.keys())
def test_hostile_notes_render_in_linear_time(unit: str):
    small = (unit * 5000)[:1250]
    large = (unit * 5000)[:5000]
    base = min(_render_time(small) for _ in range(3))
    big = min(_render_time(large) for _ in range(3))
    # 4x the text: linear is ~4x; allow noise, but a quadratic parser takes ~16x.
    assert big < max(10 * base, 0.05), (base, big)
    assert big < 2.0


def test_nesting_is_capped_not_an_error():
    html = note_html("1. " * 1666)
    assert "<ol>" in html


def test_notes_keep_their_markdown_and_stay_safe():
    html = note_html("**Why**: see [the code](https://github.com/x/y) and <https://e.org>.\n\n"
                     "[bad](javascript:alert(1)) <script>alert(1)</script>")
    assert "<strong>Why</strong>" in html
    assert '<a href="https://github.com/x/y" rel="nofollow noopener">the code</a>' in html
    assert "<script>" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html
