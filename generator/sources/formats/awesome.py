"""A Markdown awesome-list: one paper per list item, headings as categories.

Item shapes read (as popular paper lists write them)::

    - [2023/05] **[Title](https://arxiv.org/abs/2305.00001)** ![LLM](https://img.shields.io/...)
      ![ICLR'24](https://img.shields.io/badge/ICLR'24-f1b800)
    - [**Title**](https://arxiv.org/pdf/1610.05820) (Shokri et al., 2017) ([code](https://github.com/o/r))
    * **Title** [[paper](https://...)] [[code](https://github.com/o/r)]
    1. **Title**. *First Author, Second Author*. NeurIPS 2019. [[pdf](https://arxiv.org/pdf/..)]
    1. Title. First Author, Second Author. NeurIPS 2019. [[pdf]](https://...)

What each part becomes:

- the title: a bold or first non-generic link text, else bold text, else the first sentence;
- ``[YYYY/MM]`` (or ``[YYYY.MM]``) at the start: ``published``; else the year of a
  ``(Author et al., YYYY)`` citation or of a venue such as ``NeurIPS 2019``;
- shields.io badges: an arXiv badge gives the id, a badge naming a venue (a known venue
  name, or any text ending in a year such as ``Foo'24``) the venue, any other badge a tag;
  a GitHub-stars badge the code link;
- links: arXiv abs/pdf/html links (any version) the arXiv id, doi.org and ACM DL links the
  DOI, GitHub links ``("code", url)``, "project"/"website"/"slides"/"video"/"data" links
  their kind; the title link, when it is none of these, ``url``;
- authors: an italic list after the title, the sentence after a plain title, or the
  surnames of a ``(Surname et al., YYYY)`` citation (then ``authors_incomplete``).

Headings give the category path (the innermost heading last); the list's own title (a first
``#`` heading followed by more headings) is left out, and the file name is the fallback.
Skipped: fenced code, HTML comments, tables, sections such as Contents, Contributing,
License, Citation, News and Acknowledgements, items whose links all point inside the list
(``#anchors``, ``other.md``), and prose bullets without a link or bold title. An item that
links only to a GitHub repository, or has no title, is skipped with a warning.
"""

from __future__ import annotations

import re
from pathlib import PurePath
from urllib.parse import unquote, urlsplit

from . import Issue, Record
from .common import (
    arxiv_id,
    clean_line,
    doi_of,
    github_repo,
    is_more_authors,
    make_date,
    safe_url,
    strip_html,
    strip_symbols,
    unique,
    venue_or_none,
)

_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,4}[.)])\s+(.*)$")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_LINKED_IMAGE = re.compile(r"\[!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)\]"
                           r"\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_IMAGE = re.compile(r"!\[([^\]]*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
_AUTOLINK = re.compile(r"<(https?://[^>\s]+)>|(?<![(\[<\"'=])\b(https?://[^\s)\]>]+)")
_DATE = re.compile(r"^\s*(?:\*\*|__)?\[?\s*((?:19|20)\d{2})\s*[/.\-]\s*(\d{1,2})"
                   r"(?:\s*[/.\-]\s*(\d{1,2}))?\s*\]?(?:\*\*|__)?\s*[:\-–]?\s*")
_CITATION = re.compile(r"\(\s*([^()]*?[A-Za-z][^()]*?)[,\s]+((?:19|20)\d{2})[a-z]?\s*\)+")
_YEAR = re.compile(r"(?<![\d/.])((?:19|20)\d{2})(?![\d/])")
_BOLD = re.compile(r"\*\*(.+?)\*\*|(?<![\w_])__(.+?)__(?![\w_])")
_ITALIC = re.compile(r"(?<![*\w])\*(?!\*)([^*]+?)\*(?!\*)|(?<![_\w])_(?!_)([^_]+?)_(?![_\w])")
_GENERIC = {
    "paper", "pdf", "code", "arxiv", "link", "project", "page", "project page", "github",
    "website", "homepage", "home page", "slides", "slide", "video", "talk", "blog", "doi",
    "html", "openreview", "demo", "dataset", "data", "model", "models", "poster", "bib",
    "bibtex", "abs", "abstract", "official", "repo", "repository", "supp", "supplementary",
    "url", "here", "tweet", "code & model", "code and model", "code & data", "pdf & code",
    "huggingface", "hf", "colab", "notebook", "zhihu", "youtube", "site", "source", "ieee",
    "acm", "springer", "paper link", "code link", "official code", "unofficial code",
}
_LINK_KIND = {
    "project": "project", "project page": "project", "page": "project", "website": "project",
    "homepage": "project", "home page": "project", "site": "project", "slides": "slides",
    "slide": "slides", "video": "video", "talk": "video", "youtube": "video", "data": "data",
    "dataset": "data", "blog": "blog", "demo": "demo", "poster": "poster",
}
_SKIP_SECTIONS = re.compile(
    r"^(?:table of contents|contents|toc|content|index|contribut\w*|how to contribute"
    r"|licen[cs]e|citation|citations|cite|cite us|citing|how to cite|cite this\b.*"
    r"|acknowledge?ments?|acknowledge?ment|thanks|star history|stargazers|news|updates?"
    r"|changelog|change log|what's new|introduction|about|overview of this repo|contact"
    r"|contact us|related(?: awesome)? (?:lists|repos|repositories|projects|resources)"
    r"|other awesome lists|awesome lists|footnotes?|sponsors?|contributors|maintainers)$")
_VENUES = (
    "neurips", "nips", "icml", "iclr", "acl", "emnlp", "naacl", "eacl", "coling", "findings",
    "tacl", "cvpr", "iccv", "eccv", "wacv", "aaai", "ijcai", "kdd", "www", "thewebconf",
    "sigir", "wsdm", "cikm", "usenix", "usenix security", "sec", "s&p", "ieee s&p", "sp",
    "oakland", "euros&p", "eurosp", "ccs", "acm ccs", "ndss", "asiaccs", "asia ccs", "pets",
    "popets", "satml", "raid", "acsac", "esorics", "tpami", "tmlr", "jmlr", "tifs", "tdsc",
    "tops", "icse", "fse", "ase", "issta", "colm", "uai", "aistats", "mlsys", "nature",
    "science", "nature machine intelligence", "iclr workshop", "neurips workshop",
    "icml workshop", "interspeech", "icassp", "mm", "acm mm", "ecai", "ecml", "ecml-pkdd",
    "lrec", "lrec-coling", "eacl findings", "coling findings", "corl", "rss", "icra",
)
#: Badges that label a link (or the list itself), never a topic.
_NOT_TOPICS = {"arxiv", "code", "github", "paper", "pdf", "project", "stars", "star", "website",
               "demo", "video", "slides", "blog", "awesome", "license", "huggingface",
               "hugging face", "colab"}
_VENUE_YEAR = re.compile(r"(?:'|’|\s|-|_)?(?:(?:19|20)\d{2}|\d{2})$")


def parse(text: str, source: str) -> tuple[list[Record], list[Issue]]:
    """Records from a Markdown awesome-list; never raises on any text."""
    reader = _Reader(source)
    reader.run(text)
    return reader.records, reader.issues


class _Reader:
    """One pass over the lines, tracking headings, fences, comments and skipped sections."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.records: list[Record] = []
        self.issues: list[Issue] = []
        self.headings: list[tuple[int, str]] = []
        self.list_title: str | None = None  #: the first "#" heading, maybe the list's name
        self.title_decided = False
        self.title_is_name = False
        self.skip_level: int | None = None
        stem = PurePath(source).stem
        self.fallback = () if stem.lower() in ("readme", "index", "") else (
            clean_line(re.sub(r"[_\-]+", " ", stem)),)

    def run(self, text: str) -> None:
        lines = text.splitlines()
        fence: str | None = None
        comment = False
        item: list[str] = []
        item_line = 0
        previous = ""
        for number, raw in enumerate(lines, start=1):
            line = raw.rstrip()
            if comment:
                if "-->" in line:
                    comment = False
                    line = line.split("-->", 1)[1]
                    if not line.strip():
                        continue
                else:
                    continue
            if fence is not None:
                if line.strip().startswith(fence):
                    fence = None
                continue
            match = _FENCE.match(line)
            if match:
                self._flush(item, item_line)
                item = []
                fence = match.group(1)
                continue
            line = re.sub(r"<!--.*?-->", "", line)
            if "<!--" in line:
                line, comment = line.split("<!--", 1)[0], True
                if not line.strip():
                    continue
            heading = _HEADING.match(line)
            setext = _SETEXT.match(line) if previous.strip() and not item else None
            if heading or (setext and not _ITEM.match(previous)):
                self._flush(item, item_line)
                item = []
                if heading:
                    self._heading(len(heading.group(1)), heading.group(2))
                elif setext:
                    self._heading(1 if setext.group(1)[0] == "=" else 2, previous)
                previous = ""
                continue
            listed = _ITEM.match(line)
            if listed and not line.lstrip().startswith("|"):
                self._flush(item, item_line)
                item, item_line = [listed.group(2)], number
            elif line.strip() and item and not line.lstrip().startswith("|"):
                item.append(line.strip())  # a wrapped item continues
            else:
                self._flush(item, item_line)
                item = []
            previous = line
        self._flush(item, item_line)

    # ------------------------------------------------------------------ headings

    def _heading(self, level: int, raw: str) -> None:
        name = _heading_text(raw)
        if not self.title_decided:
            if self.list_title is None and level == 1 and not self.headings:
                self.list_title = name
            elif self.list_title is not None:
                # Another heading before any item: the first one names the list.
                self.title_decided = self.title_is_name = True
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if self.skip_level is not None and level <= self.skip_level:
            self.skip_level = None
        self.headings.append((level, name))
        if self.skip_level is None and _SKIP_SECTIONS.match(_section_key(name)):
            self.skip_level = level

    def _categories(self) -> tuple[str, ...]:
        names = [name for _level, name in self.headings]
        if self.title_is_name and self.headings and self.headings[0] == (1, self.list_title):
            names = names[1:]
        names = [n for n in names if n]
        return tuple(names) or self.fallback

    # ------------------------------------------------------------------ items

    def _flush(self, item: list[str], line: int) -> None:
        if not item or self.skip_level is not None:
            return
        # An item right under the first heading: that heading is a category.
        self.title_decided = True
        text = " ".join(item)
        try:
            found = _item(text, self.source, line, self._categories())
        except RecursionError:  # pathological nesting in one item: report, keep going
            found = Issue(self.source, line, 1, "list item could not be read",
                          "simplify the item's Markdown", "warning")
        if isinstance(found, Record):
            self.records.append(found)
        elif isinstance(found, Issue):
            self.issues.append(found)


def _heading_text(raw: str) -> str:
    text = _IMAGE.sub("", raw)
    text = _LINK.sub(lambda m: m.group(1), text)
    text = strip_html(text)
    text = re.sub(r"[*_`]+", "", text)
    text = re.sub(r"\s*\(\d+\)\s*$", "", clean_line(text))  # "Jailbreak (130)": a count
    return strip_symbols(text).strip(" :")


def _section_key(name: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9&' ]+", " ", name.lower()).split())


# ---------------------------------------------------------------------- one item


def _badge(image_url: str, alt: str) -> tuple[str, str] | None:
    """(kind, value) for a shields.io-style badge: ("arxiv", id), ("code", url), ("text", t)."""
    try:
        parts = urlsplit(image_url)
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if host not in ("img.shields.io", "shields.io", "badgen.net", "flat.badgen.net"):
        return None
    path = unquote(parts.path)
    stars = re.match(r"^/github/(?:stars|forks|watchers|last-commit)/([^/]+)/([^/?#]+)", path)
    if stars:
        return "code", f"https://github.com/{stars.group(1)}/{stars.group(2)}"
    match = re.match(r"^/(?:static/v1|badge)/(.+)$", path)
    if not match:
        return None
    content = re.sub(r"\.(svg|png)$", "", match.group(1))
    content = content.replace("--", "\0")
    pieces = [p.replace("\0", "-") for p in content.split("-")]
    if len(pieces) >= 3:
        label, message = pieces[0], "-".join(pieces[1:-1])
    elif len(pieces) == 2:
        label, message = "", pieces[0]
    else:
        label, message = "", pieces[0] if pieces else alt
    label, message = (_underscores(label), _underscores(message))
    found = arxiv_id(message) if label.lower() == "arxiv" else None
    if found:
        return "arxiv", found
    text = clean_line(f"{label} {message}") or clean_line(alt)
    return ("text", text) if text else None


def _underscores(text: str) -> str:
    return text.replace("__", "\0").replace("_", " ").replace("\0", "_")


def _is_venue(text: str) -> bool:
    lowered = text.lower().strip()
    base = _VENUE_YEAR.sub("", lowered).strip(" '’-_")
    if base in _VENUES or lowered in _VENUES:
        return True
    first = re.split(r"[\s'’_-]", base, maxsplit=1)[0]
    if first in _VENUES and first not in ("sp", "sec", "mm", "rss", "www"):
        return True
    return bool(re.search(r"[A-Za-z].*(?:'|’)\d{2}$|[A-Za-z]{2,}[\s_-]?(?:19|20)\d{2}$", text))


def _plain(text: str) -> str:
    """Visible text of a Markdown fragment: emphasis, code marks and HTML removed."""
    text = strip_html(text)
    text = re.sub(r"(\*\*|__|`|~~)", "", text)
    text = re.sub(r"(?<![\w*])\*(?!\s)|(?<!\s)\*(?![\w*])", "", text)
    return clean_line(text)


def _clean_title(text: str) -> str:
    title = strip_symbols(_plain(text)).strip()
    title = re.sub(r"^[\"“]+(.*?)[\"”]+$", r"\1", title)
    return title.rstrip(" .,;:").strip()


def _names(text: str) -> tuple[tuple[str, ...], bool]:
    text = _plain(text).strip(" .,;")
    parts = [p.strip() for p in re.split(r",|\band\b|&", text) if p.strip()]
    incomplete = False
    names: list[str] = []
    for part in parts:
        if is_more_authors(part) or part.lower().startswith("et al"):
            incomplete = True
        elif re.search(r"\bet\.?\s*al\b\.?", part):
            names.append(re.sub(r"\s*\bet\.?\s*al\b\.?", "", part).strip())
            incomplete = True
        else:
            names.append(part)
    return unique(clean_line(n) for n in names), incomplete


def _item(text: str, source: str, line: int, categories: tuple[str, ...]) -> Record | Issue | None:
    rest = text
    published = None
    date = _DATE.match(rest)
    if date:
        published = make_date(date.group(1), date.group(2), date.group(3))
        rest = rest[date.end():]

    arxiv: str | None = None
    tags: list[str] = []
    venues: list[str] = []
    links: list[tuple[str, str]] = []  # (link text, url) in order
    code_links: list[str] = []

    def linked_badge(match: re.Match[str]) -> str:
        badge = _badge(match.group(2), match.group(1))
        target = match.group(3)
        if badge is None:
            links.append(("", target))
            return " "
        _take_badge(badge, tags, venues, code_links, found_arxiv)
        links.append((match.group(1) if badge[0] != "text" else "", target))
        return " "

    found_arxiv: list[str] = []

    def image(match: re.Match[str]) -> str:
        badge = _badge(match.group(2), match.group(1))
        if badge is not None:
            _take_badge(badge, tags, venues, code_links, found_arxiv)
        return " "

    rest = _LINKED_IMAGE.sub(linked_badge, rest)
    rest = _IMAGE.sub(image, rest)
    rest = re.sub(r"<img\b[^>]*>", " ", rest, flags=re.IGNORECASE)

    # The title: a bold link, a link wrapping bold text, bold text, the first good link.
    title = ""
    title_url: str | None = None
    spans = [(m.start(), m.end(), m.group(1), m.group(2)) for m in _LINK.finditer(rest)]
    bold = _BOLD.search(rest)
    for start, end, label, target in spans:
        inner = _plain(label)
        if not inner or inner.lower().strip(" []") in _GENERIC:
            continue
        wrapped = bold is not None and bold.start() <= start and end <= bold.end()
        if wrapped or "**" in label or "__" in label or not bold:
            title, title_url = label, target
            rest = rest[:start] + " \x00 " + rest[end:]
            break
    links.extend((label, target) for _s, _e, label, target in spans
                 if (label, target) != (title, title_url))
    rest_no_links = _LINK.sub(" ", rest)
    for match in _AUTOLINK.finditer(rest_no_links):
        links.append(("", match.group(1) or match.group(2)))
    rest_no_links = _AUTOLINK.sub(" ", rest_no_links)
    authors: tuple[str, ...] = ()
    incomplete = False
    venue_text = ""
    if not title:
        bold = _BOLD.search(rest_no_links)
        if bold:
            title = bold.group(1) or bold.group(2)
            after = rest_no_links[bold.end():]
        else:
            # "Title. Authors. Venue Year." with no markup at all.
            plain = clean_line(strip_html(rest_no_links.replace("\x00", " ")))
            sentences = [s for s in re.split(r"(?<=[^\s.A-Z])\.\s+|\.$", plain)
                         if s.strip(" []()")]
            if len(sentences) >= 2 and (links or found_arxiv):
                title = sentences[0]
                authors, incomplete = _names(sentences[1])
                venue_text = sentences[2] if len(sentences) > 2 else ""
            after = ""
    else:
        after = rest_no_links.split("\x00", 1)[-1]
    if after and not authors:
        italic = _ITALIC.search(after)
        if italic and after[:italic.start()].strip(" .,-–:") == "":
            authors, incomplete = _names(italic.group(1) or italic.group(2))
            tail = after[italic.end():]
            venue_text = next((s for s in re.split(r"\.\s+|\.$", tail)
                               if s.strip(" .()[]")), "")
    citation = _CITATION.search(rest_no_links)
    if citation and not authors:
        who = citation.group(1)
        if re.search(r"[A-Za-z]", who) and len(who) < 120:
            authors, _ = _names(who)
            incomplete = True  # surnames only
        published = published or make_date(citation.group(2))

    title = _clean_title(title)
    external = [(label, url) for label, url in links if safe_url(url)]
    if title_url is not None:
        external = ([(title, title_url)] if safe_url(title_url) else []) + external
    if not title:
        if not external and not found_arxiv:
            return None  # prose, a TOC entry or a list of badges: not a paper
        return Issue(source, line, 1, "list item has no paper title; skipped",
                     "write the title as **Title** or [Title](url)", "warning")
    if title_url is not None and not external and not found_arxiv and not bold:
        scheme = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*):", title_url)
        if scheme and scheme.group(1).lower() not in ("http", "https"):
            return Issue(source, line, 1, f"list item links to a {scheme.group(1).lower()}: "
                         "URL, not http(s); skipped", "link the paper with an https:// URL",
                         "warning")
        return None  # the title link points inside the list (#anchor, other.md): a TOC entry
    repo = github_repo(title_url) if title_url and safe_url(title_url) else None
    if repo and title_url and (" " not in title or title.lower() == repo.rsplit("/", 1)[-1]
                               .lower()) and not found_arxiv:
        return Issue(source, line, 1, f"list item links only to the GitHub repository {repo}; "
                     "not read as a paper", severity="warning")

    doi = None
    url = None
    record_links: list[tuple[str, str]] = [("code", c) for c in code_links]
    candidates = ([(title, title_url)] if title_url else []) + links
    for label, safe in ((lb, safe_url(t)) for lb, t in candidates):
        if not safe:
            continue
        key = _plain(label).lower().strip(" []")
        found = arxiv_id(safe) if "arxiv.org" in safe.lower() else None
        if found:
            arxiv = arxiv or found
            continue
        found_doi = doi_of(safe, keep_arxiv=True)
        if found_doi:
            doi = doi or doi_of(safe)
            arxiv = arxiv or arxiv_id(found_doi)
            continue
        if github_repo(safe):
            record_links.append(("code", safe))
        elif key in _LINK_KIND:
            record_links.append((_LINK_KIND[key], safe))
        elif "code" in key:
            record_links.append(("code", safe))
        elif url is None and (label == title or key in ("paper", "pdf", "html", "link",
                                                             "openreview", "doi", "abs")):
            url = safe
    arxiv = arxiv or (found_arxiv[0] if found_arxiv else None)

    venue = next((v for v in venues), None)
    if venue is None and venue_text:
        # Not _plain: a lone "*" is part of a name here ("FAT* 2019"), not emphasis.
        venue = venue_or_none(clean_line(strip_html(venue_text.replace("**", ""))).strip(" ()"))
        if venue and (len(venue) > 80 or not re.search(r"[A-Za-z]", venue)):
            venue = None
    if published is None and venue:
        year = _YEAR.search(venue)
        published = make_date(year.group(1)) if year else None
    seen: set[tuple[str, str]] = set()
    unique_links = tuple(x for x in record_links if not (x in seen or seen.add(x)))
    return Record(title=title, authors=authors, published=published, arxiv=arxiv, doi=doi,
                  url=url, venue=venue, tags=unique(tags), categories=categories,
                  links=unique_links, authors_incomplete=incomplete, source=source,
                  line=line)


def _take_badge(badge: tuple[str, str], tags: list[str], venues: list[str],
                code_links: list[str], found_arxiv: list[str]) -> None:
    kind, value = badge
    if kind == "arxiv":
        found_arxiv.append(value)
    elif kind == "code":
        code_links.append(value)
    elif value.lower() in _NOT_TOPICS or re.match(
            r"(?i)^(arxiv|code|github|paper|stars?|license)\b", value):
        return  # a badge for a link, not a topic
    elif _is_venue(value):
        venues.append(value)
    else:
        tags.append(value)
