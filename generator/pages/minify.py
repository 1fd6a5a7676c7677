"""Whitespace-only HTML minification, safe by construction.

Material's templates indent everything; on a paper page about a sixth of the bytes are
indentation. A run of whitespace that contains a line break becomes one line break, outside
``<pre>``, ``<textarea>``, ``<script>`` and ``<style>`` (whose text is kept exactly). HTML
renders any run of whitespace between words or tags as at most one space, and a line break
is whitespace, so the page looks the same; nothing else is touched (no entity, attribute or
tag is rewritten, unlike general minifiers that decode and re-encode text).
"""

from __future__ import annotations

import re

_OPEN = re.compile(r"<(pre|textarea|script|style)\b[^>]*>", re.I)
#: inside <pre>: its own tags (it nests), and raw-text elements, whose text may hold "</pre>"
_IN_PRE = re.compile(r"<(/?)(pre|textarea|script|style)\b[^>]*>", re.I)
_SPACE = " \t\r\f"  # HTML's whitespace besides the line feed


def _runs(text: str) -> str:
    """Each whitespace run holding a line break -> one line break (string methods, not a
    regular expression: several times faster on indented HTML)."""
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    middle = [stripped for line in lines[1:-1] if (stripped := line.strip(_SPACE))]
    return "\n".join([lines[0].rstrip(_SPACE), *middle, lines[-1].lstrip(_SPACE)])


def _kept_end(html: str, match: re.Match[str]) -> int:
    """Where a kept element that starts at ``match`` ends (the end of the text if it is
    never closed, as a browser reads it). ``<pre>`` nests; the others hold raw text."""
    name = match.group(1).lower()
    if name == "pre":
        depth, pos = 1, match.end()
        while (tag := _IN_PRE.search(html, pos)) is not None:
            inner = tag.group(2).lower()
            if inner != "pre":  # a raw-text element: a "</pre>" in its text closes nothing
                pos = tag.end() if tag.group(1) else _raw_end(html, inner, tag.end())
                continue
            depth += -1 if tag.group(1) else 1
            if depth == 0:
                return tag.end()
            pos = tag.end()
        return len(html)
    return _raw_end(html, name, match.end())


def _raw_end(html: str, name: str, start: int) -> int:
    """The end of a raw-text element ``name`` whose text starts at ``start``."""
    close = re.compile(rf"</{name}\s*>", re.I).search(html, start)
    return close.end() if close else len(html)


def collapse(html: str) -> str:
    """``html`` with every whitespace run that holds a line break reduced to ``"\\n"``."""
    out: list[str] = []
    pos = 0
    while (match := _OPEN.search(html, pos)) is not None:
        end = _kept_end(html, match)
        out += [_runs(html[pos:match.start()]), html[match.start():end]]
        pos = end
    out.append(_runs(html[pos:]))
    return "".join(out)
