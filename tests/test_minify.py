"""Whitespace-only minification: runs with a line break shrink, kept elements do not."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.pages.minify import collapse


def test_indentation_becomes_one_line_break() -> None:
    html = "<div>\n    <span>a</span>\n\n    <span>b</span>  \n</div>"
    assert collapse(html) == "<div>\n<span>a</span>\n<span>b</span>\n</div>"


def test_spaces_without_a_line_break_stay() -> None:
    assert collapse("<b>a</b>   <i>b</i>") == "<b>a</b>   <i>b</i>"


def test_pre_script_style_and_textarea_are_kept_exactly() -> None:
    kept = ["<pre><code>@misc{x,\n  title = {A},\n}\n</code></pre>",
            "<script>var a = `\n    x`;\n</script>", "<style>\n  a { b: c }\n</style>",
            '<TEXTAREA name="t">\n  keep\n</TEXTAREA>']
    for block in kept:
        assert collapse(f"<p>\n  x\n</p>{block}\n  <p>y</p>") == f"<p>\nx\n</p>{block}\n<p>y</p>"


class _Text(HTMLParser):
    """The text a browser lays out, whitespace normalised outside <pre> (what a reader
    sees), and the tags with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pre = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self.pre += tag in ("pre", "script", "style", "textarea")
        self.out.append(f"<{tag} {attrs}>")

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        # A stray end tag closes nothing (as in a browser).
        self.pre = max(0, self.pre - (tag in ("pre", "script", "style", "textarea")))
        self.out.append(f"</{tag}>")

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        self.out.append(data if self.pre else re.sub(r"\s+", " ", data))


def _seen(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r" +", " ", "".join(parser.out))


_PIECES = st.sampled_from(["<p>", "</p>", "<pre>", "</pre>", "<span class=\"a  b\">",
                           "</span>", "<script>", "</script>", "a", "word", "&amp;", " ",
                           "\n", "\n    ", "\t", "  \n  \n"])


@given(st.lists(_PIECES, max_size=40).map("".join))
def test_what_a_reader_sees_is_unchanged_and_collapse_is_idempotent(html: str) -> None:
    once = collapse(html)
    assert collapse(once) == once
    assert _seen(once) == _seen(html)


@settings(deadline=None)
@given(st.lists(st.lists(st.sampled_from(["a", "<p>", "</p>", " ", "\n", "\n  ", "\t", ""]),
                         max_size=8).map("".join), max_size=6))
def test_pieces_collapsed_apart_join_to_the_whole_collapsed(pieces: list[str]) -> None:
    # Paper pages are a frame's pieces and a paper's values, each collapsed once; joined,
    # they must equal the whole page collapsed.
    from generator.plugin.fastpages import _join_collapsed

    assert _join_collapsed([collapse(p) for p in pieces]) == collapse("".join(pieces))


def test_a_raw_text_element_inside_pre_does_not_end_it():
    # Found by the property test above: "</pre>" inside <script> (raw text) closes nothing,
    # so the whitespace after </script> is still inside <pre>, kept exactly.
    html = "<pre><script></pre></script>\n    </pre>\n   after"
    assert collapse(html) == "<pre><script></pre></script>\n    </pre>\nafter"


def test_compact_js_drops_comment_lines_and_indentation_only():
    from generator.plugin import compact_js

    source = ("  // a comment\n  var a = 1; // kept: not a whole line\n\n"
              "    if (a) {\n      f();\n  }\n")
    assert compact_js(source) == "var a = 1; // kept: not a whole line\nif (a) {\nf();\n}"
