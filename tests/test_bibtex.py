"""BibTeX output: typed by venue, and impossible to break out of.

Every check reads the output back with real BibTeX parsers: pybtex (which follows BibTeX's own
grammar, where ``\\}`` closes a field like ``}``) and bibtexparser 2. A value that ended its
field or record early would show up as a missing or extra record, a preamble, a comment, a
field the entry does not have, or a field value other than the one written.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

import bibtexparser
import pybtex.errors
import pytest
import yaml
from bibtexparser.model import Entry as BpEntry
from hypothesis import given, settings
from hypothesis import strategies as st
from pybtex.database import parse_string as pybtex_parse
from sitekit import ROOT, SITE_URL

from generator.core import bibtex
from generator.core.config import SiteConfig
from generator.core.entries import ID_RE, Paper, PartialDate, load_collection
from generator.core.files import iter_entry_files
from generator.pages import build_page_set

TODAY = dt.date(2026, 11, 30)
CASES = Path(__file__).parent / "cases"


def make_paper(pid: str = "p", **fields: Any) -> Paper:
    base: dict[str, Any] = {"id": pid, "source": f"papers/{pid}.yaml", "title": "A title",
                            "abstract": "", "category": "c", "tags": ("t",),
                            "added": dt.date(2026, 1, 1)}
    base.update(fields)
    return Paper(**base)


# --- reading the output back --------------------------------------------------------------

_UNESCAPE = {r"\textbackslash{}": "\\", r"\textbraceleft{}": "{", r"\textbraceright{}": "}",
             r"\textasciitilde{}": "~", r"\textasciicircum{}": "^", r"\&": "&", r"\%": "%",
             r"\#": "#", r"\_": "_", r"\$": "$"}
_UNESCAPE_RE = re.compile("|".join(re.escape(k) for k in _UNESCAPE))


def unescape(text: str) -> str:
    """The documented inverse of the text escaping: each escape back to its character, in
    one left-to-right pass (the output has no other backslash)."""
    return _UNESCAPE_RE.sub(lambda m: _UNESCAPE[m.group(0)], text)


def clean(text: str) -> str:
    """What the writer makes of whitespace and control characters (one space, trimmed) and
    of lone surrogates (U+FFFD, as UTF-8 cannot hold them)."""
    text = re.sub(r"[\ud800-\udfff]", "\ufffd", text)
    return " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())


def split_names(field: str) -> list[str]:
    """An author field split where BibTeX splits it: at " and " outside braces."""
    names, depth, start, i = [], 0, 0, 0
    while i < len(field):
        ch = field[i]
        depth += (ch == "{") - (ch == "}")
        if depth == 0 and field[i:i + 5].lower() == " and ":
            names.append(field[start:i])
            start = i = i + 5
            continue
        i += 1
    return names + [field[start:]]


def author_text(name: str) -> str:
    """One written name back to the entry's text."""
    if name.startswith("{") and name.endswith("}") and balanced(name[1:-1]):
        name = name[1:-1]
    return unescape(re.sub(r"(?i)\{(and)\}", r"\1", name))


def balanced(text: str) -> bool:
    """Brace-balanced as BibTeX counts: every brace counts, escaped or not."""
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def parse_both(text: str) -> tuple[dict[str, Any], dict[str, BpEntry]]:
    """Parse with pybtex (strict) and bibtexparser; fail on anything but plain records."""
    pybtex.errors.set_strict_mode(True)
    data = pybtex_parse(text, "bibtex")
    assert list(data.preamble_list) == []
    library = bibtexparser.parse_string(text)
    kinds = {type(block).__name__ for block in library.blocks}
    assert kinds <= {"Entry"}, [b for b in library.blocks if not isinstance(b, BpEntry)]
    assert library.failed_blocks == [] and library.preambles == [] and library.comments == []
    entries = {e.key: e for e in library.entries}
    assert len(entries) == len(library.entries)  # no key twice
    assert list(data.entries) == list(entries)
    return dict(data.entries), entries


def expected_fields(paper: Paper) -> dict[str, str]:
    """The raw field values the writer composes for a paper (outer braces removed)."""
    venue = clean(paper.venue or "")
    kind = bibtex.venue_kind(venue)
    out = {"title": "{" + bibtex.escape(paper.title) + "}"}
    names = [n for n in paper.authors if clean(n)]
    if names:
        out["author"] = " and ".join(
            [bibtex._author(n) for n in names] + (["others"] if paper.authors_incomplete
                                                  else []))
    if paper.published:
        out["year"] = str(paper.published.year)
        if paper.published.month:
            out["month"] = bibtex.MONTHS[paper.published.month - 1]
    elif re.search(r"(?<![0-9])(?:1[89]|2[0-9])[0-9]{2}(?![0-9])", venue):
        out["year"] = re.findall(r"(?<![0-9])(?:1[89]|2[0-9])[0-9]{2}(?![0-9])", venue)[-1]
    if venue:
        name = {"inproceedings": "booktitle", "article": "journal"}.get(kind, "howpublished")
        out[name] = bibtex.escape_text(bibtex._journal(venue) if kind == "article" else venue)
    if paper.arxiv:
        out["eprint"] = bibtex.escape_verbatim(paper.arxiv)
        out["archiveprefix"] = "arXiv"
    if paper.doi:
        out["doi"] = bibtex.escape_verbatim(paper.doi)
    url = paper.url or paper.arxiv_url or paper.doi_url
    if url:
        out["url"] = bibtex.escape_verbatim(url)
    return out


def check_records(papers: list[Paper]) -> None:
    """One record per paper, keyed by its id, typed by its venue, with exactly the fields
    composed for it and nothing else, as both parsers read them."""
    text = bibtex.bibliography(papers)
    by_pybtex, by_bp = parse_both(text)
    assert sorted(by_bp) == sorted(p.id for p in papers)
    for paper in papers:
        want = expected_fields(paper)
        record = by_bp[paper.id]
        assert record.entry_type == bibtex.venue_kind(clean(paper.venue or ""))
        got = {k.lower(): v.value for k, v in record.fields_dict.items()}
        got.pop("primaryclass", None)
        assert got == want
        # pybtex: same fields; authors become persons, so compare their count.
        theirs = by_pybtex[paper.id]
        assert theirs.type == record.entry_type
        fields = {k.lower(): v for k, v in theirs.fields.items()}
        fields.pop("primaryclass", None)
        assert fields.keys() == want.keys() - {"author"}
        for name, value in fields.items():
            # month is a macro: pybtex expands it, which shows it was written as one.
            if name == "month":
                assert value == calendar.month_name[bibtex.MONTHS.index(want[name]) + 1]
            else:
                assert value == want[name], name
        persons = theirs.persons.get("author", [])
        assert len(persons) == (len(split_names(want["author"])) if "author" in want else 0)


# --- hostile entries through the loader -----------------------------------------------------

HOSTILE = {
    "math-brace-escape": {"title": "Bounds $}, @preamble{\"pwned\"} x$ and more"},
    "math-unbalanced": {"title": "A $\\}$ b $\\{$ c ${$ d $}}}$ e"},
    "math-backslash-brace": {"title": "Odd $a\\\\}$ and $\\\\{b$ and $\\}\\}$"},
    "text-braces": {"title": "}} @misc{forged, title={x}} {{"},
    "backslash-before-brace": {"title": "a\\} b\\{ c\\\\} d\\"},
    "comment-and-at": {"title": "% comment\n@comment{x}\n@preamble{y}"},
    "line-starts": {"title": "x", "venue": "ICML\n@misc{forged2,\n title={y}}\n%"},
    "authors-hostile": {"title": "x",
                        "authors": ["}, title = {forged", "A and B", "others", "x, y, z, w",
                                    "@preamble{\"z\"}", "\\}"],
                        "authors_incomplete": True},
    "url-hostile": {"title": "x", "url": "https://e.org/}\"x{\\}%7D#}@misc{u,"},
    "doi-hostile": {"title": "x", "doi": "10.1234/}{\\@preamble{x}%"},
    "venue-braces": {"title": "x", "venue": "NeurIPS 2024 Workshop }} @preamble{\"v\"}"},
    "tex-primitives": {"title": "$\\input{/etc/passwd}\\def\\x{y}\\catcode`\\{=12 ^^5c ^^7b$ x"},
    "percent-in-math": {"title": "Rate $50% \\# & x$ y"},
    "whitespace": {"title": "tab\there\nnewline", "venue": "AAAI\t2024"},
}


@pytest.fixture
def hostile_papers(papers_dir: Path) -> list[Paper]:
    for pid, fields in HOSTILE.items():
        data = {"abstract": "A.", "category": "covert-channels", "tags": ["steganography"],
                "added": "2026-01-02", "published": "2025-03", **fields}
        (papers_dir / f"{pid}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True),
                                                "utf-8")
    collection, problems = load_collection(list(iter_entry_files(papers_dir)),
                                           papers_dir / "taxonomy.yml", TODAY,
                                           root=papers_dir.parent)
    assert collection is not None, [p.format() for p in problems]
    assert len(collection.papers) == len(HOSTILE)
    return list(collection.papers)


def test_hostile_entries_give_exactly_their_records(hostile_papers: list[Paper]) -> None:
    check_records(hostile_papers)
    text = bibtex.bibliography(hostile_papers)
    # Every record is balanced and every line inside one is a field line.
    for record in text.split("\n\n"):
        assert balanced(record)
        assert all(line.startswith("  ") for line in record.splitlines()[1:-1])


def test_hostile_values_read_back_as_written(hostile_papers: list[Paper]) -> None:
    _, records = parse_both(bibtex.bibliography(hostile_papers))
    by_id = {p.id: p for p in hostile_papers}
    authors = records["authors-hostile"].fields_dict["author"].value
    assert [author_text(n) for n in split_names(authors)] == \
        [*by_id["authors-hostile"].authors, "others"]
    assert unescape(records["text-braces"].fields_dict["title"].value[1:-1]) == \
        by_id["text-braces"].title
    assert unescape(records["line-starts"].fields_dict["booktitle"].value) == \
        "ICML @misc{forged2, title={y}} %"
    assert records["whitespace"].fields_dict["booktitle"].value == "AAAI 2024"
    url = records["url-hostile"].fields_dict["url"].value.replace(r"\%", "%")
    assert unquote_to_bytes(url.replace(r"\#", "#")) == \
        unquote_to_bytes(by_id["url-hostile"].url)


def test_control_characters_and_surrogates_become_text() -> None:
    # The loader refuses these; the writer does not rely on it.
    paper = make_paper("c", title="a\x0bb \x1b[31m red\x00 \ud800 $x\x07$",
                       authors=("\x1b]0;x\x07Eve",), venue="ICML\x85 2024",
                       url="https://e.org/\x00\ud800")
    record = bibtex.entry(paper)
    record.encode("utf-8")
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", record)
    check_records([paper])


def test_math_stays_readable() -> None:
    for title in (r"Bounds in $\ell_2$ for $O(n^{2})$ sets $\{x\}$",
                  r"$(\varepsilon,\delta)$-DP with $\mathcal{O}(\sqrt{T})$ regret",
                  r"$\frac{1}{2}$ and $\left\{ a \right\}$ and $a \le b$",
                  r"Cost of \$5 and $x$"):
        written = bibtex.escape(title)
        assert written == title.replace("\\$5", "\\$5"), written
    assert bibtex.escape("Cost of \\$5") == "Cost of \\$5"
    assert bibtex.escape("100% & #1_a ~b^c") == r"100\% \& \#1\_a \textasciitilde{}b" \
                                                 r"\textasciicircum{}c"


@pytest.mark.parametrize(("title", "written"), [
    ("$}, @preamble{x$", r"$\rbrace{}, @preamble\lbrace{}x$"),
    (r"$\}$ x", r"$\rbrace{}$ x"),
    (r"$a \{ b$", r"$a \lbrace{} b$"),
    (r"${a}}$", r"${a}\rbrace{}$"),
    (r"$\{ {x \} }$", r"$\{ {x \} }$"),  # the two kinds may interleave: still balanced
    (r"$\input{/etc/passwd}$", r"$\backslash\mathrm{input}{/etc/passwd}$"),
    (r"$\def\x{y}$", r"$\backslash\mathrm{def}\backslash\mathrm{x}{y}$"),
    (r"$a^^5cinput$", r"$a^{}^5cinput$"),
    (r"$50% \# & x$", r"$50\% \# \& x$"),
    (r"$a\\}$", r"$a\\\rbrace{}$"),
    ("x}{y", r"x\textbraceright{}\textbraceleft{}y"),
    ("a\\}", r"a\textbackslash{}\textbraceright{}"),
])
def test_math_is_repaired(title: str, written: str) -> None:
    assert bibtex.escape(title) == written
    assert balanced(written)


# --- properties -----------------------------------------------------------------------------

# Pieces an attacker would combine: BibTeX and TeX syntax, name separators, line breaks.
NASTY = ["{", "}", "\\", "\\{", "\\}", "$", "\\$", "%", "#", "&", "_", "~", "^", "^^", "@",
         ",", "=", '"', "'", " ", "\n", "\t", " and ", "and", "others", "@preamble{", "@comment{",
         "}, title = {", "$}$", "${$", "\\input{x}", "é", "a", "Z", "1", ".", "-", "/"]
text = st.lists(st.sampled_from(NASTY) | st.characters(), max_size=20).map("".join)
ids = st.lists(st.text("abz019", min_size=1, max_size=5), min_size=1, max_size=3).map("-".join)


@st.composite
def papers(draw: Any) -> list[Paper]:
    chosen = draw(st.lists(ids, min_size=1, max_size=4, unique=True))
    assert all(ID_RE.fullmatch(pid) for pid in chosen)
    out = []
    for pid in chosen:
        year = draw(st.integers(1990, 2026))
        month = draw(st.none() | st.integers(1, 12))
        venue = draw(st.none() | text | st.sampled_from(
            ["NeurIPS 2024", "TMLR", "arXiv", "Nature 2023", "Workshop {x}"]))
        out.append(make_paper(
            pid, title=draw(text.filter(lambda t: t.strip())),
            authors=tuple(draw(st.lists(text, max_size=4))),
            authors_incomplete=draw(st.booleans()),
            published=draw(st.none() | st.just(PartialDate(year, month))),
            arxiv=draw(st.none() | text.filter(bool) | st.just("cs/0112017")),
            doi=draw(st.none() | text.filter(bool)),
            url=draw(st.none() | text.filter(bool)), venue=venue))
    return out


@settings(max_examples=100, deadline=None)
@given(papers())
def test_random_fields_give_exactly_the_records(batch: list[Paper]) -> None:
    check_records(batch)


@settings(max_examples=300, deadline=None)
@given(text)
def test_text_escaping_is_inverted_by_unescape(value: str) -> None:
    written = bibtex.escape_text(value)
    assert balanced(written)
    assert unescape(written) == clean(value)
    if "$" not in value:  # a title without math reads back the same
        assert unescape(bibtex.escape(value)) == clean(value)


math_text = st.lists(st.sampled_from(
    ["{", "}", "\\{", "\\}", "\\", "\\\\", "^", "%", "#", "&", "a", "x", " ", "_", "2",
     "\\alpha", "\\input", "\\frac", "\\mathrm", "\\é", "^^", "@"]),
    min_size=1, max_size=30).map("".join)


def _tokens(math: str) -> list[str]:
    """TeX's view: control words, control symbols, single characters."""
    return re.findall(r"\\[^\W\d_]+|\\.?|.", math, re.S)


def _pairs_up(math: str, opening: str, closing: str) -> bool:
    depth = 0
    for token in _tokens(math):
        depth += (token == opening) - (token == closing)
        if depth < 0:
            return False
    return depth == 0


def _words(math: str) -> set[str]:
    return {t[1:] for t in _tokens(math) if t[1:2].isalpha()}


@settings(max_examples=500, deadline=None)
@given(math_text)
def test_math_output_is_balanced_and_allowlisted(math: str) -> None:
    written = bibtex._escape_math(math)
    assert balanced(written)
    assert "^^" not in written
    assert _words(written) <= bibtex.MATH_COMMANDS
    # Math that is already fine is written as it is.
    fine = (_pairs_up(math, "{", "}") and _pairs_up(math, "\\{", "\\}")
            and _words(math) <= bibtex.MATH_COMMANDS and "\\" not in _tokens(math)
            and not re.search(r"[%#&]|\^\^", math))
    if fine:
        assert written == math


# --- the record type ------------------------------------------------------------------------

# Every venue of the default list, with the type a researcher would cite it as.
VENUE_KINDS = {
    # The default list's venues in the style of docs/entries.md (issue 16) ...
    "ACL 2024: System Demonstrations": "inproceedings", "ICCV 2023: AROW Workshop":
    "inproceedings", "ICLR 2018: Workshop Track": "inproceedings",
    "ICLR 2024: LLM Agents Workshop": "inproceedings",
    "MODELS 2025: Companion Proceedings": "inproceedings",
    "NeurIPS 2021: I (Still) Can't Believe It's Not Better! Workshop": "inproceedings",
    "NeurIPS 2023: Instruction Tuning and Instruction Following Workshop": "inproceedings",
    "NeurIPS 2024: Responsibly Building the Next Generation of Multimodal Foundational "
    "Models (RBFM) Workshop": "inproceedings",
    "NeurIPS 2025: Position Paper Track": "inproceedings", "Neural Networks 2025": "article",
    "IEEE TPAMI 2024": "article",
    # ... and as they were written before, which other lists still write.
    "AAAI 2024": "inproceedings", "AAAI 2025": "inproceedings", "ACL 2024": "inproceedings",
    "ACL 2024 (System Demonstrations)": "inproceedings", "ACL 2025": "inproceedings",
    "ACL 2026": "inproceedings", "ACM MM 2024": "inproceedings", "ACM TOSEM": "article",
    "AIES 2018": "inproceedings", "ASE 2024": "inproceedings", "CARDIS 2023": "inproceedings",
    "COLM 2024": "inproceedings", "CVPR 2023": "inproceedings", "CVPR 2024": "inproceedings",
    "CVPR 2025": "inproceedings", "EMNLP 2024": "inproceedings",
    "EMNLP 2025": "inproceedings", "EMNLP 2026": "inproceedings",
    "FAT* 2019": "inproceedings", "FSE 2025": "inproceedings",
    "Findings of ACL 2023": "inproceedings", "Findings of ACL 2024": "inproceedings",
    "Findings of ACL 2025": "inproceedings", "Findings of EMNLP 2022": "inproceedings",
    "Findings of EMNLP 2023": "inproceedings", "Findings of EMNLP 2024": "inproceedings",
    "Foundations and Trends in Privacy and Security": "article",
    "GCPR 2024": "inproceedings", "High-Confidence Computing 2024": "article",
    "ICCV 2023": "inproceedings", "ICCV 2023 Workshops (AROW)": "inproceedings",
    "ICLR 2018": "inproceedings", "ICLR 2018 Workshop": "inproceedings",
    "ICLR 2021": "inproceedings", "ICLR 2022": "inproceedings", "ICLR 2024": "inproceedings",
    "ICLR 2024 LLM Agents Workshop": "inproceedings",
    "ICLR 2024 submission (rejected; openreview.net/forum?id=mPOVOwsDOO)": "misc",
    "ICLR 2025": "inproceedings", "ICLR 2026": "inproceedings", "ICML 2018": "inproceedings",
    "ICML 2022": "inproceedings", "ICML 2023": "inproceedings", "ICML 2024": "inproceedings",
    "ICML 2025": "inproceedings", "ICSE 2023": "inproceedings", "ICSE 2024": "inproceedings",
    "ICSE 2026": "inproceedings", "IEEE CLOUD 2025": "inproceedings",
    "IEEE ICDMW 2022": "inproceedings", "IEEE S&P 2022": "inproceedings",
    "IEEE S&P 2023": "inproceedings", "IEEE S&P 2024": "inproceedings",
    "IEEE S&P 2026": "inproceedings", "IEEE Software 2024": "article",
    "IEEE TVCG 2024": "article", "LREC-COLING 2024": "inproceedings",
    "MODELS 2025 Companion (MODELS-C)": "inproceedings", "NAACL 2024": "inproceedings",
    "NAACL 2025": "inproceedings", "Nature Machine Intelligence 2023": "article",
    "Nature Machine Intelligence 2024": "article",
    "NeurIPS 2021 Workshop: I (Still) Can't Believe It's Not Better!": "inproceedings",
    "NeurIPS 2023": "inproceedings",
    "NeurIPS 2023 Workshop on Instruction Tuning and Instruction Following": "inproceedings",
    "NeurIPS 2024": "inproceedings",
    "NeurIPS 2024 Workshop on Responsibly Building the Next Generation of Multimodal "
    "Foundational Models (RBFM)": "inproceedings",
    "NeurIPS 2025": "inproceedings", "NeurIPS 2025 (Position Paper track)": "inproceedings",
    "Neural Networks (2025)": "article", "SaTML 2025": "inproceedings", "TMLR": "article",
    "TMLR 2025": "article", "TPAMI 2024": "article", "USENIX Security 2024": "inproceedings",
    "npj Computational Materials 2025": "article",
}

# Venues a list may name beyond the default one, including the traps between the rules.
MORE_VENUES = {
    None: "misc", "": "misc", "arXiv": "misc", "arXiv preprint": "misc",
    "Under review at ICML 2025": "misc", "ACL Rolling Review": "misc",
    "Technical report, OpenAI": "misc", "PhD thesis, MIT": "misc", "Some blog": "misc",
    "Unknown Venue": "misc", "ICML": "inproceedings", "ICLR2024": "inproceedings",
    "NAACL 2024": "inproceedings", "EACL 2024": "inproceedings", "CCS 2023": "inproceedings",
    "ACM CCS 2023": "inproceedings", "NDSS 2024": "inproceedings", "KDD 2023": "inproceedings",
    "WWW 2024": "inproceedings", "The Web Conference 2024": "inproceedings",
    "SIGIR 2023": "inproceedings", "CHI 2024": "inproceedings", "COLING 2022": "inproceedings",
    "AISTATS 2024": "inproceedings", "UAI 2023": "inproceedings", "FAccT 2023": "inproceedings",
    "IJCAI 2024": "inproceedings", "ECCV 2024": "inproceedings",
    "IEEE Symposium on Security and Privacy": "inproceedings",
    "IEEE Security and Privacy 2024": "inproceedings", "EuroS&P 2024": "inproceedings",
    "USENIX Security Symposium": "inproceedings", "CVPR 2023 Workshops": "inproceedings",
    "Proceedings of the 40th International Conference on Machine Learning": "inproceedings",
    "Proceedings of the IEEE/CVF Conference on Computer Vision": "inproceedings",
    "PMLR (Proceedings of Machine Learning Research)": "inproceedings",
    "PoPETs 2024": "article", "PETS 2023": "article",
    "Proceedings on Privacy Enhancing Technologies": "article",
    "Proceedings of the ACM on Programming Languages": "article",
    "Proc. ACM Manag. Data": "article", "Proceedings of the IEEE": "article",
    "Proceedings of the IEEE, 2021": "article", "PNAS": "article", "PVLDB": "article",
    "Proceedings of the National Academy of Sciences": "article",
    "JMLR": "article", "TACL": "article", "Nature": "article", "Science": "article",
    "Science Advances": "article", "IEEE TIFS": "article", "IEEE TDSC": "article",
    "IEEE Transactions on Information Forensics and Security": "article",
    "ACM Computing Surveys": "article", "Journal of Machine Learning Research": "article",
    "Pattern Recognition Letters": "article", "IEEE Security & Privacy Magazine": "article",
    "Transactions of the ACL": "article", "Communications of the ACM": "article",
    "Machine Learning": "article", "Machine Learning for Health": "misc",
    "Conference on Computer Vision and Pattern Recognition": "inproceedings",
    "Computer Science": "misc",
}


def default_venues() -> set[str]:
    venues = set()
    for path in (ROOT / "papers").glob("*.yaml"):
        data = yaml.safe_load(path.read_text("utf-8"))
        if data.get("venue"):
            venues.add(data["venue"])
    return venues


def test_every_default_venue_has_an_expected_type() -> None:
    missing = sorted(default_venues() - VENUE_KINDS.keys())
    assert missing == [], "add these venues with their BibTeX type to VENUE_KINDS"


@pytest.mark.parametrize(("venue", "kind"), sorted(
    {**VENUE_KINDS, **MORE_VENUES}.items(), key=lambda kv: str(kv[0])))
def test_venue_kind(venue: str | None, kind: str) -> None:
    assert bibtex.venue_kind(venue) == kind


def test_records_carry_the_fields_of_their_type() -> None:
    conference = make_paper("conf", venue="EMNLP 2025", arxiv="2505.20118",
                            published=PartialDate(2025, 5), authors=("A B", "C D"),
                            authors_incomplete=True)
    assert bibtex.entry(conference) == (
        "@inproceedings{conf,\n  title = {{A title}},\n  author = {A B and C D and others},\n"
        "  year = {2025},\n  month = may,\n  booktitle = {EMNLP 2025},\n"
        "  eprint = {2505.20118},\n  archivePrefix = {arXiv},\n"
        "  url = {https://arxiv.org/abs/2505.20118}\n}\n")
    journal = bibtex.entry(make_paper("j", venue="Nature Machine Intelligence 2024",
                                      doi="10.1038/s42256-024-00857-z"))
    assert journal.startswith("@article{j,")
    assert "  journal = {Nature Machine Intelligence},\n  year" not in journal
    assert "  year = {2024},\n  journal = {Nature Machine Intelligence},\n" in journal
    preprint = bibtex.entry(make_paper("pre", arxiv="cs/0112017"))
    assert preprint.startswith("@misc{pre,")
    assert "  eprint = {cs/0112017},\n  archivePrefix = {arXiv},\n  primaryClass = {cs},\n" \
        in preprint
    assert "howpublished" not in preprint
    other = bibtex.entry(make_paper("o", venue="Some Venue", url="https://e.org/x"))
    assert other.startswith("@misc{o,") and "  howpublished = {Some Venue},\n" in other
    assert "year" not in other


def test_a_key_outside_the_id_rules_is_made_safe() -> None:
    record = bibtex.entry(make_paper("a b,}{c"))
    assert record.startswith("@misc{a-b---c,\n")
    parse_both(record)


# --- the default list and the page ------------------------------------------------------------

def default_collection() -> Any:
    files = sorted((ROOT / "papers").glob("*.yaml"))
    collection, problems = load_collection(files, ROOT / "papers" / "taxonomy.yml", TODAY,
                                           root=ROOT)
    assert collection is not None, [p.format() for p in problems]
    return collection


def test_default_list_round_trips() -> None:
    papers = list(default_collection().papers)
    assert len(papers) == 200
    check_records(papers)
    _, records = parse_both(bibtex.bibliography(papers))
    conference_venues = {v for v, k in VENUE_KINDS.items() if k == "inproceedings"}
    for paper in papers:
        record = records[paper.id]
        title = record.fields_dict["title"].value[1:-1]
        if "$" not in paper.title:
            assert unescape(title) == paper.title
        names = split_names(record.fields_dict["author"].value) if paper.authors else []
        assert [author_text(n) for n in names] == \
            list(paper.authors) + (["others"] if paper.authors_incomplete else [])
        if paper.venue in conference_venues:
            assert record.entry_type == "inproceedings"
            assert unescape(record.fields_dict["booktitle"].value) == paper.venue


def test_copy_box_shows_the_entry(tmp_path: Path, hostile_papers: list[Paper],
                                  papers_dir: Path) -> None:
    config = SiteConfig(site_name="Test list", site_url=SITE_URL, root=ROOT)
    collection, _ = load_collection(list(iter_entry_files(papers_dir)),
                                    papers_dir / "taxonomy.yml", TODAY, root=papers_dir.parent)
    pageset = build_page_set(collection, config, TODAY)
    for paper in collection.papers:
        page = pageset.page(f"papers/{paper.id}/index.md").text
        box = re.search(r'<div class="highlight rl-bibtex"><pre><span></span><code>(.*?)'
                        r"</code></pre></div>", page, re.S)
        assert box is not None
        assert html.unescape(box.group(1)) == bibtex.entry(paper)
    assert pageset.files["papers.bib"].decode() == bibtex.bibliography(collection.papers)


@pytest.mark.skipif(shutil.which("bibtex") is None, reason="no TeX installation")
def test_real_bibtex_reads_one_record_per_paper(tmp_path: Path,
                                                hostile_papers: list[Paper]) -> None:
    """BibTeX itself (the writer of today's .bbl files) sees exactly the papers' records."""
    (tmp_path / "refs.bib").write_text(bibtex.bibliography(hostile_papers), "utf-8")
    (tmp_path / "doc.aux").write_text("\\citation{*}\n\\bibdata{refs}\n\\bibstyle{plain}\n")
    run = subprocess.run(["bibtex", "doc"], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode < 2, run.stdout  # 1 is warnings (papers without authors)
    assert "error message" not in run.stdout, run.stdout
    keys = re.findall(r"\\bibitem\{([^}]*)\}", (tmp_path / "doc.bbl").read_text("utf-8"))
    assert sorted(keys) == sorted(p.id for p in hostile_papers)
