"""Turning untrusted entry text into safe HTML fragments.

Titles, authors and abstracts are text: escaped everywhere, with ``$...$`` math wrapped for
KaTeX (escaped too, rendered client-side). Notes are Markdown without raw HTML: rendered by
markdown-it-py (CommonMark, raw HTML shown as text, nesting capped, time linear in the note
for all we tried: Python-Markdown took seconds on 5,000 ``[`` and overflowed the stack on
nested ordered lists), then cleaned by nh3 (a maintained sanitizer) with http(s) links only.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from html import escape
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

from .entries import Paper

# $...$ not preceded by a backslash; the content has no unescaped $ and no blank line.
_MATH = re.compile(r"(?<!\\)\$(?!\s)((?:\\.|[^$\\\n])+?)(?<!\s)\$")
NOTE_TAGS = {"a", "p", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "br",
             "span", "sub", "sup", "del"}


def text_html(text: str) -> Markup:
    """Escape text for HTML, wrapping ``$...$`` spans as inline math for KaTeX.

    ``\\$`` is a literal dollar sign.
    """
    out: list[str] = []
    pos = 0
    for match in _MATH.finditer(text):
        out.append(_plain(text[pos:match.start()]))
        out.append(f'<span class="arithmatex">\\({escape(match.group(1), quote=False)}\\)'
                   "</span>")
        pos = match.end()
    out.append(_plain(text[pos:]))
    return Markup("".join(out))


def _plain(text: str) -> str:
    return escape(text.replace("\\$", "$"), quote=False)


def plain_text(text: str) -> str:
    """Text for places without math rendering (meta tags, feeds): ``\\$`` becomes ``$``."""
    return text.replace("\\$", "$")


#: Nesting deeper than this (lists in lists, quotes in quotes) is shown as text.
NOTE_MAX_NESTING = 8
_NOTES = MarkdownIt("commonmark", {"html": False, "maxNesting": NOTE_MAX_NESTING})


@lru_cache(maxsize=4096)
def note_html(note: str) -> Markup:
    """Render a curator's note: Markdown, raw HTML removed, links http(s) only."""
    html = _NOTES.render(note)
    clean = nh3.clean(html, tags=NOTE_TAGS, attributes={"a": {"href", "title"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener")
    return Markup(clean)


def json_ld(data: Any) -> Markup:
    """JSON for a ``<script type="application/ld+json">`` block that cannot break out."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, indent=None)
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)


#: How many names a short byline ("A, B, C et al.") shows: cards, rows, search, the digest.
SHORT_AUTHORS = 3


def shown_authors(paper: Paper, limit: int | None = SHORT_AUTHORS
                  ) -> tuple[tuple[str, ...], bool]:
    """The names a byline shows (the first ``limit``; every one with None) and whether it
    ends in "et al.": more authors than it shows, or a list known to be incomplete. No
    names, no "et al."."""
    names = tuple(paper.authors if limit is None else paper.authors[:limit])
    more = bool(names) and (len(paper.authors) > len(names) or paper.authors_incomplete)
    return names, more


def short_authors(paper: Paper, limit: int | None = SHORT_AUTHORS) -> str:
    """"A, B, C et al." when the list is long or known to be incomplete."""
    names, more = shown_authors(paper, limit)
    return ", ".join(names) + (" et al." if more else "")


def all_authors(paper: Paper) -> str:
    """Every author, with "et al." when the list is known to be incomplete."""
    return short_authors(paper, None)


def excerpt(text: str, limit: int = 300, ellipsis: str = " …", trim: str = ",;:") -> str:
    """The start of ``text``, at most ``limit`` characters, cut at a word boundary and never
    inside ``$...$`` math; when cut, the characters in ``trim`` left at the end are dropped
    and ``ellipsis`` ends it. Pages write "word …"; the digest, one line of plain text,
    passes flattened text and writes "word…" (``ellipsis="…"``, ``trim=",;:."``)."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    if cut.count("$") % 2:  # never cut inside $...$
        cut = cut[: cut.rfind("$")]
    return cut.rsplit(" ", 1)[0].rstrip(trim) + ellipsis
