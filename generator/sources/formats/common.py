"""Cleaning shared by the format readers: text, identifiers, URLs, dates and names."""

from __future__ import annotations

import html
import re
import unicodedata
from urllib.parse import unquote, urlsplit

import nh3

from ...core.entries import ARXIV_ID

# Control characters and invisible direction overrides: a title is one line of visible text.
_INVISIBLE = re.compile("[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f"
                        "\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ufff9-\ufffb]")
_SPACE = re.compile(r"\s+")
_HAS_SPACE = re.compile(r"\s")

_ARXIV_BARE = re.compile(rf"^(?:arxiv:\s*)?({ARXIV_ID})(?:v\d+)?$", re.IGNORECASE)
_ARXIV_URL = re.compile(
    rf"(?<![\w-])arxiv\.org/(?:abs|pdf|html|format)/({ARXIV_ID})(?:v\d+)?(?:\.pdf)?(?=$|[?#/\s])",
    re.IGNORECASE)
_ARXIV_TEXT = re.compile(rf"\barxiv[:\s]\s*(?:abs/)?({ARXIV_ID})(?:v\d+)?\b", re.IGNORECASE)
_ARXIV_DOI = re.compile(rf"^10\.48550/arxiv\.({ARXIV_ID})(?:v\d+)?$", re.IGNORECASE)
_DOI = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>{}]+)")
_DOI_HOSTS = ("doi.org", "dx.doi.org", "www.doi.org")
_ACM_DOI = re.compile(r"^/doi/(?:(?:abs|pdf|full|fullHtml|epdf)/)?(10\.\d{4,9}/.+)$")


def clean_line(text: object) -> str:
    """One line of visible text: controls dropped, whitespace runs collapsed."""
    if not isinstance(text, str):
        return ""
    text = _INVISIBLE.sub("", text)
    return _SPACE.sub(" ", text).strip()


def clean_paragraphs(text: object) -> str:
    """Running text such as an abstract: paragraphs kept (one blank line), lines joined."""
    if not isinstance(text, str):
        return ""
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    paragraphs = re.split(r"\n[ \t\u00a0]*\n", text.strip())
    return "\n\n".join(" ".join(p.split()) for p in paragraphs if p.strip())


def strip_html(text: str) -> str:
    """Text from a string whose ``<...>`` is markup (Markdown, CSL rich text).

    nh3 removes every tag (and the content of script/style); entities are then decoded, so
    ``a &lt; b`` and ``<i>in vitro</i>`` both end as plain text.
    """
    if "<" not in text and "&" not in text:
        return text
    if "<" in text:
        text = nh3.clean(text, tags=set())
    return html.unescape(text)


def strip_symbols(text: str) -> str:
    """Drop emoji and ``:shortcode:`` decorations at either end of a title or heading."""
    text = re.sub(r"^(?:\s*:[a-z0-9_+-]+:)+|(?::[a-z0-9_+-]+:\s*)+$", "", text.strip())
    start, end = 0, len(text)
    while start < end and _decoration(text[start]):
        start += 1
    while end > start and _decoration(text[end - 1]):
        end -= 1
    return text[start:end].strip()


def _decoration(ch: str) -> bool:
    return ch.isspace() or unicodedata.category(ch) in ("So", "Sk", "Mn", "Cf") or ch in "\ufe0f"


def safe_url(url: object) -> str | None:
    """``url`` if it is an absolute http(s) URL with a host and no whitespace, else None."""
    if not isinstance(url, str):
        return None
    url = _INVISIBLE.sub("", url).strip().strip("<>")
    if not url or len(url) > 2000 or _HAS_SPACE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return url


def arxiv_id(text: object) -> str | None:
    """The arXiv id in a bare id, an ``arXiv:`` mention, an arXiv URL or an arXiv DOI."""
    if not isinstance(text, str) or not text:
        return None
    text = text.strip()
    for pattern in (_ARXIV_BARE, _ARXIV_DOI):
        match = pattern.match(text)
        if match:
            return _arxiv_case(match.group(1))
    match = _ARXIV_URL.search(text) or _ARXIV_TEXT.search(text)
    if match:
        return _arxiv_case(match.group(1))
    doi = doi_of(text, keep_arxiv=True)
    match = _ARXIV_DOI.match(doi or "")
    return _arxiv_case(match.group(1)) if match else None


def _arxiv_case(ident: str) -> str:
    # Archive names are lowercase (cs, math, hep-th); subject classes uppercase (math.GT).
    if "/" not in ident:
        return ident
    archive, number = ident.split("/", 1)
    if "." in archive:
        name, subject = archive.split(".", 1)
        archive = f"{name.lower()}.{subject.upper()}"
    else:
        archive = archive.lower()
    return f"{archive}/{number}"


def doi_of(text: object, keep_arxiv: bool = False) -> str | None:
    """The bare, lowercase DOI in ``text``: a DOI, ``doi:``, a doi.org or ACM DL URL.

    An arXiv DOI (10.48550/arXiv.<id>) only restates the arXiv id, so it is dropped
    unless ``keep_arxiv``; the reader records the id instead.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    text = text.strip()
    candidate: str | None = None
    if re.match(r"^https?://", text, re.IGNORECASE):
        try:
            parts = urlsplit(text)
        except ValueError:
            return None
        host = (parts.hostname or "").lower()
        path = unquote(parts.path)
        if host in _DOI_HOSTS:
            candidate = path.lstrip("/")
        elif host.endswith("dl.acm.org"):
            match = _ACM_DOI.match(path)
            candidate = match.group(1) if match else None
        else:
            return None
    else:
        text = re.sub(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)\s*", "", text, flags=re.I)
        match = _DOI.search(text)
        candidate = match.group(1) if match else None
    if not candidate or not re.match(r"^10\.\d{4,9}/\S+$", candidate):
        return None
    candidate = candidate.rstrip(".,;:)]}'\"").lower()
    if not keep_arxiv and _ARXIV_DOI.match(candidate):
        return None
    return candidate if re.match(r"^10\.\d{4,9}/\S+$", candidate) else None


_MONTHS = {name: i for i, names in enumerate(
    [("jan", "january", "janv"), ("feb", "february", "febr"), ("mar", "march"),
     ("apr", "april"), ("may",), ("jun", "june"), ("jul", "july"),
     ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"),
     ("nov", "november"), ("dec", "december")], start=1) for name in names}


def month_number(text: object) -> int | None:
    """1-12 from ``jan``, ``January``, ``Jan.``, ``1`` or ``01``; None otherwise."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text if 1 <= text <= 12 else None
    if not isinstance(text, str):
        return None
    word = text.strip().strip("{}").strip().rstrip(".").lower()
    if word.isdigit() and len(word) <= 2:
        number = int(word)
        return number if 1 <= number <= 12 else None
    return _MONTHS.get(word)


def make_date(year: object, month: object = None, day: object = None) -> str | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``, as precise as the valid parts given."""
    try:
        y = int(str(year).strip()) if year is not None and str(year).strip().isdigit() else None
    except ValueError:
        y = None
    if y is None or not 1000 <= y <= 2999:
        return None
    m = month_number(month) if month is not None else None
    if m is None:
        return f"{y:04d}"
    d = None
    if day is not None and str(day).strip().isdigit() and len(str(day).strip()) <= 2:
        d = int(str(day).strip())
        import calendar

        if not 1 <= d <= calendar.monthrange(y, m)[1]:
            d = None
    return f"{y:04d}-{m:02d}" + (f"-{d:02d}" if d else "")


_ISO_DATE = re.compile(r"^\s*(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?(?:[T ].*)?\s*$")


def parse_date(text: object) -> str | None:
    """A date written as ``2023``, ``2023-05``, ``2023/05/26``, ``2023.05`` or ``May 2023``."""
    if isinstance(text, int) and not isinstance(text, bool):
        return make_date(text)
    if not isinstance(text, str):
        return None
    match = _ISO_DATE.match(text)
    if match:
        return make_date(match.group(1), match.group(2), match.group(3))
    match = re.match(r"^\s*(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?,?\s+(?:(\d{1,2}),?\s+)?(\d{4})\s*$",
                     text)
    if match and month_number(match.group(2)):
        return make_date(match.group(4), match.group(2), match.group(1) or match.group(3))
    return None


def split_list(text: object, separators: str = ",;") -> tuple[str, ...]:
    """Keywords or tags: split on the given separators, cleaned, duplicates dropped."""
    if not isinstance(text, str):
        return ()
    parts = re.split("[" + re.escape(separators) + "]", text)
    return unique(clean_line(p) for p in parts)


def unique(items: object) -> tuple[str, ...]:
    """Non-empty items in first-seen order, without case-insensitive repeats."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:  # type: ignore[attr-defined]
        if item and item.casefold() not in seen:
            seen.add(item.casefold())
            out.append(item)
    return tuple(out)


def display_name(name: str) -> str:
    """"Last, First" or "Last, Jr., First" as "First Last" / "First Last Jr."."""
    parts = [p.strip() for p in name.split(",")]
    if len(parts) == 2 and parts[0] and parts[1]:
        return clean_line(f"{parts[1]} {parts[0]}")
    if len(parts) == 3 and parts[0] and parts[2]:
        return clean_line(f"{parts[2]} {parts[0]} {parts[1]}")
    return clean_line(name)


_INCOMPLETE = re.compile(r"^(?:others|et\.?\s*al\.?|and\s+others|\.\.\.|…)$", re.IGNORECASE)


def is_more_authors(name: str) -> bool:
    """Whether ``name`` stands for omitted authors: "others", "et al.", "...". """
    return bool(_INCOMPLETE.match(name.strip()))


_ARXIV_VENUE = re.compile(r"^(?:arxiv\b.*|corr|corr\s+abs/.*|arxiv\.org|preprint|e-?print"
                          r"|arxiv e-prints|ssrn.*|openreview\.net)$", re.IGNORECASE)


def venue_or_none(text: str) -> str | None:
    """A cleaned venue, or None when it only says "arXiv"/"CoRR"/"preprint"."""
    text = clean_line(text).strip(" ,;")
    if not text or _ARXIV_VENUE.match(text.rstrip(".")):
        return None
    return text


def github_repo(url: str) -> str | None:
    """``https://github.com/owner/repo`` for a URL inside a GitHub repository, else None."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if (parts.hostname or "").lower() not in ("github.com", "www.github.com"):
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) < 2 or segments[0].lower() in ("orgs", "topics", "search", "sponsors",
                                                   "features", "marketplace", "about"):
        return None
    repo = segments[1].removesuffix(".git")
    return f"https://github.com/{segments[0]}/{repo}"
