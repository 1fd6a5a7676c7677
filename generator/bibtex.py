"""BibTeX for one paper, a category, a tag or the whole list."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from .entries import Paper

_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
            "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}
_SPECIAL_RE = re.compile(r"[\\{}&%#_~^]")
_MATH = re.compile(r"(?<!\\)\$[^$]+?(?<!\\)\$")
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def escape(text: str) -> str:
    """Escape LaTeX specials in text, keeping ``$...$`` math as written."""
    out, pos = [], 0
    for match in _MATH.finditer(text):
        out.append(_escape_plain(text[pos:match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_plain(text[pos:]))
    return "".join(out)


def _escape_plain(text: str) -> str:
    text = text.replace("\\$", "$")
    text = _SPECIAL_RE.sub(lambda m: _SPECIAL[m.group(0)], text)
    return text.replace("$", r"\$")


@lru_cache(maxsize=65536)
def entry(paper: Paper) -> str:
    """One ``@misc`` record; the key is the paper's permanent id."""
    fields: list[tuple[str, str]] = [("title", "{" + escape(paper.title) + "}")]
    if paper.authors:
        names = [escape(a) for a in paper.authors]
        if paper.authors_incomplete:
            names.append("others")
        fields.append(("author", " and ".join(names)))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
        if paper.published.month:
            fields.append(("month", MONTHS[paper.published.month - 1]))
    if paper.venue:
        fields.append(("howpublished", escape(paper.venue)))
    if paper.arxiv:
        fields += [("eprint", paper.arxiv), ("archiveprefix", "arXiv")]
    if paper.doi:
        fields.append(("doi", escape(paper.doi)))
    url = paper.url or paper.arxiv_url or paper.doi_url
    if url:
        fields.append(("url", url.replace("%", r"\%").replace("#", r"\#")))
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{paper.id},\n{body}\n}}\n"


def bibliography(papers: Iterable[Paper]) -> str:
    """Entries for many papers, sorted by id."""
    return "\n".join(entry(p) for p in sorted(papers, key=lambda p: p.id))
