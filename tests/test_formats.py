"""Format readers for import: fixtures in real exporters' shapes, tricky cases, detection,
scale, and no traceback on any input."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.sources import formats
from generator.sources.formats import Issue, Record, awesome, bibtex, csljson, detect, read, ris
from generator.sources.formats import table as csvtable
from generator.sources.formats.common import arxiv_id, doi_of, parse_date, safe_url

FIXTURES = Path(__file__).parent / "fixtures" / "import"
EXPECTED = sorted((FIXTURES / "expected").glob("*.yaml"))


def _expected_record(data: dict, source: str) -> Record:
    values = dict(data)
    for name in ("authors", "tags", "categories"):
        if name in values:
            values[name] = tuple(values[name])
    if "links" in values:
        values["links"] = tuple(tuple(link) for link in values["links"])
    return Record(source=source, **values)


@pytest.mark.parametrize("expected", EXPECTED, ids=lambda p: p.name.removesuffix(".yaml"))
def test_fixture_reads_as_expected(expected: Path) -> None:
    source = FIXTURES / expected.name.removesuffix(".yaml")
    want = yaml.safe_load(expected.read_text(encoding="utf-8"))
    assert detect(source, source.read_text(encoding="utf-8")) == want["format"]
    records, issues = read(source)
    assert records == [_expected_record(r, str(source)) for r in want["records"]]
    assert [(i.line, i.severity, i.message) for i in issues] == [
        (i["line"], i["severity"], i["message"]) for i in want["issues"]]
    assert all(i.path == str(source) for i in issues)


def test_every_fixture_has_expected_records() -> None:
    sources = {p.name for p in FIXTURES.iterdir() if p.is_file() and p.name != "README.md"}
    assert sources == {p.name.removesuffix(".yaml") for p in EXPECTED}


def test_one_paper_in_several_formats_and_categories() -> None:
    """The lead's merge test relies on 2310.07298 being in many files and two categories."""
    seen: dict[str, set[tuple[str, ...]]] = {}
    for path in FIXTURES.iterdir():
        if path.is_file() and path.name != "README.md":
            for record in read(path)[0]:
                if record.arxiv == "2310.07298":
                    seen.setdefault(path.suffix, set()).add(record.categories)
    assert {".bib", ".csv", ".md"} <= set(seen)
    assert {c[-1] for cats in seen.values() for c in cats if c} >= {
        "C2. Inference", "Attribute Inference", "Attribute inference"}


# ------------------------------------------------------------------------------ BibTeX


def _bib(text: str) -> tuple[list[Record], list[Issue]]:
    return bibtex.parse(text, "x.bib")


def _one_bib(body: str) -> Record:
    records, issues = _bib("@article{k,\n" + body + "\n}\n")
    assert [i for i in issues if i.severity == "error"] == []
    assert len(records) == 1
    return records[0]


@pytest.mark.parametrize(("latex", "text"), [
    (r'M{\"o}bius', "Möbius"),
    (r"Jos\'{e}", "José"),
    (r"Stra{\ss}e", "Straße"),
    (r"Fish \& Chips", "Fish & Chips"),
    (r"pages 1--10", "pages 1–10"),
    (r"{Protected} {BERT} Capitals", "Protected BERT Capitals"),
    (r"$\epsilon$-{DP} and $O(n^2)$", r"$\epsilon$-DP and $O(n^2)$"),
    (r"Balunovi{\'{c}} Tram{\`{e}}r", "Balunović Tramèr"),
    (r"50\% of {\c{c}}a", "50% of ça"),
    (r"a~b", "a b"),
])
def test_latex_becomes_unicode_and_math_stays(latex: str, text: str) -> None:
    assert _one_bib(f"title = {{{latex}}},").title == text


def test_input_macro_never_reads_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.tex"
    secret.write_text("TOPSECRET")
    record = _one_bib(f"title = {{Leak \\input{{{secret}}} \\include{{{secret}}} here}},")
    assert "TOPSECRET" not in record.title
    assert record.title == "Leak here"


def test_malformed_latex_falls_back_to_text() -> None:
    # pylatexenc raises on \href with one argument; the title must still be read.
    assert _one_bib(r"title = {See \href{https://x.org} now},").title == "See https://x.org now"


@pytest.mark.parametrize("body", [
    "eprint = {2301.12345}, archivePrefix = {arXiv},",
    "eprint = {2301.12345v2}, eprinttype = {arxiv},",
    "journal = {arXiv preprint arXiv:2301.12345},",
    "journal = {CoRR}, volume = {abs/2301.12345},",
    "url = {https://arxiv.org/pdf/2301.12345v3.pdf},",
    r"howpublished = {\url{https://arxiv.org/abs/2301.12345}},",
    "note = {arXiv:2301.12345 [cs.CR]},",
    "number = {arXiv:2301.12345},",
    "doi = {10.48550/arXiv.2301.12345},",
])
def test_bibtex_arxiv_ids_wherever_exporters_put_them(body: str) -> None:
    record = _one_bib("title = {T}, " + body)
    assert record.arxiv == "2301.12345"
    assert record.doi is None  # an arXiv DOI only restates the id
    assert record.url is None and record.venue is None


def test_bibtex_old_style_arxiv_id_and_other_eprint_archives() -> None:
    assert _one_bib("title = {T}, eprint = {cs/0112017}, archivePrefix = {arXiv},").arxiv == (
        "cs/0112017")
    assert _one_bib("title = {T}, eprint = {2301.12345}, eprinttype = {hal},").arxiv is None


@pytest.mark.parametrize("doi", ["10.1145/3319535.3354211", "https://doi.org/10.1145/3319535.3354211",
                                 "doi:10.1145/3319535.3354211", "10.1145/3319535.3354211."])
def test_bibtex_doi_forms(doi: str) -> None:
    assert _one_bib(f"title = {{T}}, doi = {{{doi}}},").doi == "10.1145/3319535.3354211"


def test_bibtex_doi_from_a_doi_org_url() -> None:
    record = _one_bib("title = {T}, url = {https://doi.org/10.1145/3319535.3354211},")
    assert (record.doi, record.url) == ("10.1145/3319535.3354211", None)


@pytest.mark.parametrize(("month", "published"), [
    ("jan", "2024-01"), ("{January}", "2024-01"), ("1", "2024-01"), ('"Jan."', "2024-01"),
    ("{13}", "2024"), ("sep", "2024-09"), ("{Sept}", "2024-09"),
])
def test_bibtex_months(month: str, published: str) -> None:
    assert _one_bib(f"title = {{T}}, year = 2024, month = {month},").published == published


def test_biblatex_date_field_wins_over_year() -> None:
    assert _one_bib("title = {T}, year = {2023}, date = {2023-05-26},").published == "2023-05-26"


def test_bibtex_authors_display_names_and_others() -> None:
    record = _one_bib(r"title = {T}, author = {M{\"u}ller, J{\"o}rg and Jos\'e P\'erez and "
                      r"van der Berg, Jr, Jean and {OpenAI Team} and others},")
    assert record.authors == ("Jörg Müller", "José Pérez", "Jean van der Berg Jr",
                              "OpenAI Team")
    assert record.authors_incomplete is True


def test_bibtex_string_macros_concatenation_and_comments() -> None:
    records, issues = _bib(
        '@string{sec = "USENIX Security"}\n@string{full = sec # " Symposium"}\n'
        '@comment{ignored @article{no, title={No}} }\n@preamble{"\\newcommand{\\x}{}"}\n'
        "% a line comment\n"
        '@inproceedings{k, title = {T}, booktitle = full # " 2024"}\n')
    assert issues == []
    assert [r.venue for r in records] == ["USENIX Security Symposium 2024"]
    assert records[0].line == 6


def test_bibtex_google_scholar_brace_escape() -> None:
    record = _one_bib(r"title = {T}, booktitle = {30th $\{$USENIX$\}$ Security Symposium},")
    assert record.venue == "30th USENIX Security Symposium"


def test_broken_bibtex_entry_is_an_issue_and_the_rest_is_read() -> None:
    records, issues = _bib("@article{a, title = {First}}\n\n@article{b,\n  title = {Never closed,\n"
                           "  year = 2020\n\n@article{c, title = {Third}}\n")
    assert [r.title for r in records] == ["First", "Third"]
    assert [(i.line, i.severity) for i in issues] == [(3, "error")]
    assert "@article{b}" in issues[0].message


def test_bibtex_keywords_abstract_and_links() -> None:
    record = _one_bib(
        "title = {T}, keywords = {privacy; membership inference, LLM},"
        "abstract = {First paragraph\n  continues.\n\n  Second 95\\% paragraph.},"
        "url = {https://github.com/o/r}, code = {https://github.com/o/r2},")
    assert record.tags == ("privacy", "membership inference", "LLM")
    assert record.abstract == "First paragraph continues.\n\nSecond 95% paragraph."
    assert record.links == (("code", "https://github.com/o/r"), ("code", "https://github.com/o/r2"))
    assert record.url is None


def test_bibtex_venue_is_kept_as_written_but_cleaned() -> None:
    assert _one_bib("title = {T}, journal = {Nat. Mac. Intell.},").venue == "Nat. Mac. Intell."
    assert _one_bib("title = {T}, journal = {arXiv e-prints},").venue is None


def test_bibtex_unsafe_urls_are_dropped() -> None:
    for url in ("javascript:alert(1)", "data:text/html,x", "file:///etc/passwd", "/relative"):
        assert _one_bib(f"title = {{T}}, url = {{{url}}},").url is None


# ------------------------------------------------------------------------------ CSL-JSON


def test_csl_accepts_list_and_items_object_with_item_lines() -> None:
    item = '{"title": "T", "issued": {"date-parts": [["2023", "5"]]}}'
    for text in (f"[\n  {item},\n\n  {item}\n]", f'{{"items": [\n{item},\n{item}]}}'):
        records, issues = csljson.parse(text, "x.json")
        assert issues == [] and [r.published for r in records] == ["2023-05", "2023-05"]
    assert [r.line for r in csljson.parse(f"[\n  {item},\n\n  {item}\n]", "x.json")[0]] == [2, 4]


@pytest.mark.parametrize("text", ['{"title": "T"}', '"text"', "42", '{"items": 3}'])
def test_csl_rejects_json_that_is_not_a_list_of_items(text: str) -> None:
    records, issues = csljson.parse(text, "x.json")
    assert records == [] and len(issues) == 1 and "CSL-JSON must be a list" in issues[0].message


def test_csl_deep_nesting_is_an_issue_not_a_crash() -> None:
    records, issues = csljson.parse("[" * 100_000 + "]" * 100_000, "x.json")
    assert records == [] and "nested too deeply" in issues[0].message


def test_csl_invalid_json_reports_position() -> None:
    issues = csljson.parse('[\n  {"title": "T",}\n]', "x.json")[1]
    assert (issues[0].line, issues[0].col) == (2, 17)


@pytest.mark.parametrize(("field", "value"), [
    ("note", "arXiv: 2301.12345"), ("number", "arXiv:2301.12345"),
    ("URL", "https://arxiv.org/abs/2301.12345v2"), ("DOI", "10.48550/arXiv.2301.12345"),
])
def test_csl_arxiv_id_sources(field: str, value: str) -> None:
    records, _ = csljson.parse(f'[{{"title": "T", "{field}": "{value}"}}]', "x.json")
    assert records[0].arxiv == "2301.12345" and records[0].url is None


def test_csl_names_and_dates() -> None:
    text = ('[{"title": "T", "author": [{"family": "Beethoven", "given": "Ludwig", '
            '"non-dropping-particle": "van"}, {"literal": "Lab, Inc."}, {"family": "Doe", '
            '"given": "J.", "suffix": "Jr."}], "issued": {"raw": "2022-03-04"}}]')
    record = csljson.parse(text, "x.json")[0][0]
    assert record.authors == ("Ludwig van Beethoven", "Lab, Inc.", "J. Doe Jr.")
    assert record.published == "2022-03-04"


# ------------------------------------------------------------------------------ RIS


def test_ris_continuations_dates_and_missing_er() -> None:
    text = ("TY  - JOUR\nTI  - Title\nAU  - Doe, Jane\nDA  - 2023/05//\nPY  - 2023\n"
            "AB  - one\n  two\nKW  - a; b\nER  - \n\nTY  - JOUR\nT1  - Second\nY1  - 2020///\n")
    records, issues = ris.parse(text, "x.ris")
    assert [(r.title, r.published, r.line) for r in records] == [
        ("Title", "2023-05", 1), ("Second", "2020", 11)]
    assert records[0].abstract == "one two" and records[0].tags == ("a", "b")
    assert [(i.line, i.severity) for i in issues] == [(11, "warning")]


def test_ris_in_a_txt_file_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("\ufeffTY  - JOUR\r\nTI  - T\r\nER  - \r\n", encoding="utf-8")
    assert detect(path, path.read_text(encoding="utf-8")) == "ris"
    assert [r.title for r in read(path)[0]] == ["T"]


# ------------------------------------------------------------------------------ CSV


def test_csv_unknown_columns_reported_once_with_known_names() -> None:
    text = "Title,Notes,Stars\nA,x,1\nB,y,2\n"
    records, issues = csvtable.parse(text, "x.csv")
    assert [r.title for r in records] == ["A", "B"]
    assert [i.message for i in issues] == ["unknown column 'Notes' is not read",
                                           "unknown column 'Stars' is not read"]
    assert all("title, authors" in i.hint and i.severity == "warning" for i in issues)


def test_csv_without_title_column_is_one_error() -> None:
    records, issues = csvtable.parse("name of paper,year\nA,2020\n", "x.csv")
    assert records == [] and "no title column" in issues[0].message


def test_csv_excel_sep_line_and_semicolons() -> None:
    records, issues = csvtable.parse('sep=;\nTitle;Year;Tags\n"A, b";2021;x, y\n', "x.csv")
    assert issues == []
    assert [(r.title, r.published, r.tags, r.line) for r in records] == [
        ("A, b", "2021", ("x", "y"), 3)]


@pytest.mark.parametrize(("cell", "names", "incomplete", "ambiguous"), [
    ("Ada Lovelace; Alan Turing", ("Ada Lovelace", "Alan Turing"), False, False),
    ("Lovelace, Ada; Turing, Alan", ("Ada Lovelace", "Alan Turing"), False, False),
    ("Lovelace, Ada and Turing, Alan", ("Ada Lovelace", "Alan Turing"), False, False),
    ("Ada Lovelace, Alan Turing and Grace Hopper", ("Ada Lovelace", "Alan Turing",
                                                    "Grace Hopper"), False, False),
    ("Ada Lovelace, Alan Turing, et al.", ("Ada Lovelace", "Alan Turing"), True, False),
    ("Lovelace, A., Turing, A.", ("A. Lovelace", "A. Turing"), False, False),
    ("Lovelace, Ada, Turing", ("Lovelace, Ada, Turing",), False, True),
    ("Ada Lovelace", ("Ada Lovelace",), False, False),
])
def test_csv_author_separators(cell: str, names: tuple, incomplete: bool,
                               ambiguous: bool) -> None:
    assert csvtable.split_authors(cell) == (names, incomplete, ambiguous)


def test_csv_ambiguous_authors_warns() -> None:
    issues = csvtable.parse("title,authors\nT,\"Lovelace, Ada, Turing\"\n", "x.csv")[1]
    assert [i.severity for i in issues] == ["warning"] and "separate authors" in issues[0].hint


def test_csv_reader_errors_are_issues_and_nul_is_dropped() -> None:
    huge = "x" * 200_000  # over the csv module's field limit
    records, issues = csvtable.parse(f'title\nA\n"{huge}"\n', "x.csv")
    assert [r.title for r in records] == ["A"]
    assert [(i.line, i.severity) for i in issues] == [(3, "error")]
    assert "CSV error: field larger than field limit" in issues[0].message
    assert [r.title for r in csvtable.parse('title\n"B\x00"\n', "x.csv")[0]] == ["B"]


# ------------------------------------------------------------------------------ Markdown


def _md(text: str, source: str = "list.md") -> tuple[list[Record], list[Issue]]:
    return awesome.parse(text, source)


@pytest.mark.parametrize("link", [
    "https://arxiv.org/abs/2301.12345", "https://arxiv.org/abs/2301.12345v3",
    "https://arxiv.org/pdf/2301.12345v2.pdf", "https://arxiv.org/pdf/2301.12345",
    "https://arxiv.org/html/2301.12345v1", "http://export.arxiv.org/abs/2301.12345",
])
def test_awesome_arxiv_links_any_version(link: str) -> None:
    records, issues = _md(f"## Papers\n- [Some Paper Title]({link})\n")
    assert issues == [] and records[0].arxiv == "2301.12345" and records[0].url is None


def test_awesome_shapes() -> None:
    text = """# My List

## Attacks
### Membership
- [2023/05] **[Bold Link Title](https://arxiv.org/abs/2305.00001)** ![LLM](BADGE/LLM-589cf4) \
![NeurIPS](BADGE/NeurIPS-2023-blue)
* **Bold Title** [[paper](https://openreview.net/forum?id=abc)] [[code](https://github.com/o/r)] [[project](https://o.github.io/r)]
1. **Numbered Title**. *Ada Lovelace, Alan Turing*. ICML 2019. [[pdf](https://arxiv.org/pdf/1901.00001.pdf)]
1. Plain Title. Ada Lovelace, Alan Turing. ACL 2020. [[pdf]](https://arxiv.org/pdf/2001.00001)
- [Linked Title](https://doi.org/10.1145/1.2) (Lovelace et al., 2018) [![arXiv](https://img.shields.io/badge/arXiv-1801.00001-b31b1b.svg)](https://arxiv.org/abs/1801.00001)
"""
    records, issues = _md(text.replace("BADGE", "https://img.shields.io/badge"))
    assert issues == []
    got = [(r.title, r.published, r.arxiv, r.doi, r.url, r.venue, r.tags, r.authors, r.links)
           for r in records]
    assert got == [
        ("Bold Link Title", "2023-05", "2305.00001", None, None, "NeurIPS 2023", ("LLM",), (),
         ()),
        ("Bold Title", None, None, None, "https://openreview.net/forum?id=abc", None, (), (),
         (("code", "https://github.com/o/r"), ("project", "https://o.github.io/r"))),
        ("Numbered Title", "2019", "1901.00001", None, None, "ICML 2019", (),
         ("Ada Lovelace", "Alan Turing"), ()),
        ("Plain Title", "2020", "2001.00001", None, None, "ACL 2020", (),
         ("Ada Lovelace", "Alan Turing"), ()),
        ("Linked Title", "2018", "1801.00001", "10.1145/1.2", None, None, (), ("Lovelace",),
         ()),
    ]
    assert all(r.categories == ("Attacks", "Membership") for r in records)
    assert records[-1].authors_incomplete is True


def test_awesome_headings_title_and_file_name_fallback() -> None:
    item = "- **A Paper** [[paper](https://example.org/p)]\n"
    # A first "#" heading followed by more headings is the list's name, not a category.
    assert _md("# Awesome X\n## Privacy\n" + item)[0][0].categories == ("Privacy",)
    # Items right under the only heading: that heading is their category.
    assert _md("# C4. Membership Inference\n" + item)[0][0].categories == (
        "C4. Membership Inference",)
    assert _md(item, "lists/membership_inference.md")[0][0].categories == (
        "membership inference",)
    assert _md(item, "README.md")[0][0].categories == ()
    assert _md("## 🔐 Privacy :lock:\n### Sub (12)\n" + item)[0][0].categories == (
        "Privacy", "Sub")


def test_awesome_skips_toc_sections_code_comments_and_tables() -> None:
    text = """# List
## Contents
- [Privacy](#privacy)
- [Survey](collection/survey.md) (3)
## Privacy
- [Kept](https://arxiv.org/abs/2301.00001)
- just a prose bullet
```
- [In code](https://arxiv.org/abs/2301.00002)
```
<!-- - [In comment](https://arxiv.org/abs/2301.00003) -->
<!--
- [In long comment](https://arxiv.org/abs/2301.00004)
-->
| [In table](https://arxiv.org/abs/2301.00005) |
## Contributing
- [Template](https://arxiv.org/abs/2301.00006)
## License
- [MIT](https://opensource.org/licenses/MIT)
"""
    records, issues = _md(text)
    assert [r.title for r in records] == ["Kept"] and issues == []


def test_awesome_non_papers_and_unsafe_links_are_warnings() -> None:
    text = ("## Tools\n- [ml_privacy_meter](https://github.com/privacytrustlab/ml_privacy_meter)"
            " - a library\n- [Click](javascript:alert(1))\n"
            "- **Real <script>alert(1)</script>Title** [[code](javascript:x)] "
            "[[paper](data:text/html,x)]\n")
    records, issues = _md(text)
    assert [(r.title, r.url, r.links) for r in records] == [("Real Title", None, ())]
    assert [i.line for i in issues] == [2, 3]
    assert "GitHub repository" in issues[0].message and "javascript" in issues[1].message


def test_awesome_badges_venue_topic_and_stars() -> None:
    text = ("## P\n- **T** [[paper](https://example.org/t)] "
            "![USENIX_Security'25](https://img.shields.io/badge/USENIX_Security'25-f1b800) "
            "![Diffusion](https://img.shields.io/badge/Diffusion-a99cf4) "
            "![Stars](https://img.shields.io/github/stars/owner/repo?style=social)\n")
    record = _md(text)[0][0]
    assert record.venue == "USENIX Security'25" and record.tags == ("Diffusion",)
    assert record.links == (("code", "https://github.com/owner/repo"),)


# ------------------------------------------------------------------------------ detection


@pytest.mark.parametrize(("name", "text", "fmt"), [
    ("a.bib", "", "bibtex"), ("a.ris", "", "ris"), ("a.csv", "", "csv"), ("a.md", "", "markdown"),
    ("a.xml", "", "feed"), ("a.json", '[{"title": "T"}]', "csl-json"),
    ("a.json", '{"items": [{"type": "article"}]}', "csl-json"),
    ("a.txt", "\n\nTY  - JOUR\nTI  - T\nER  - \n", "ris"),
    ("refs", "% comment\n@article{k, title={T}}\n", "bibtex"),
    ("feed", '<?xml version="1.0"?>\n<feed xmlns="http://www.w3.org/2005/Atom">', "feed"),
    ("list.txt", "# Awesome\n- [T](https://arxiv.org/abs/2301.00001)\n", "markdown"),
    ("sheet.txt", "Title;Authors\nT;A\n", "csv"),
])
def test_detect(name: str, text: str, fmt: str) -> None:
    assert detect(name, text) == fmt


@pytest.mark.parametrize(("name", "text", "message"), [
    ("a.json", '{"name": "package", "version": "1"}', "not CSL-JSON"),
    ("a.json", "[1, 2, 3]", "not CSL-JSON"),
    ("a.json", "{not json", "invalid JSON"),
    ("notes.txt", "just some words\nand more\n", "cannot tell the format"),
])
def test_detect_refuses_with_a_clear_error(name: str, text: str, message: str) -> None:
    with pytest.raises(formats.FormatError) as caught:
        detect(name, text)
    assert message in caught.value.message and caught.value.hint


def test_read_reports_invalid_utf8_with_position(tmp_path: Path) -> None:
    path = tmp_path / "latin1.bib"
    path.write_bytes(b"@article{k,\n  title = {Caf\xe9},\n}\n")
    assert read(path) == ([], [Issue(str(path), 2, 15, "file is not valid UTF-8 (byte 0xe9)",
                                     "save the file as UTF-8")])


def test_read_caps_the_size_and_reports_missing_files(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.md"
    path.write_text("x" * 2000)
    monkeypatch.setattr(formats, "MAX_SOURCE_BYTES", 1000)
    records, issues = read(path)
    assert records == [] and "over the 1,000-byte limit" in issues[0].message
    assert "cannot read the file" in read(tmp_path / "missing.bib")[1][0].message


def test_read_unknown_format_is_one_issue(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello\n")
    records, issues = read(path)
    assert records == [] and issues[0].message == "cannot tell the format of notes.txt"


def test_read_feed_through_the_existing_importer() -> None:
    feed = Path(__file__).parent / "fixtures" / "feeds"
    atom = next((p for p in sorted(feed.glob("*")) if p.suffix in (".xml", ".atom")), None)
    if atom is None:
        pytest.skip("no feed fixture")
    records, issues = read(atom, "feed")
    assert issues == [] and records and all(r.arxiv for r in records)


# ------------------------------------------------------------------------------ helpers


@pytest.mark.parametrize(("text", "ident"), [
    ("2505.20118", "2505.20118"), ("arXiv:2505.20118v2", "2505.20118"),
    ("cs/0112017", "cs/0112017"), ("math.GT/0309136v1", "math.GT/0309136"),
    ("https://arxiv.org/abs/hep-th/9901001", "hep-th/9901001"), ("0704.0001", "0704.0001"),
    ("2513.00001", None), ("1234.5", None), ("see arXiv 2301.12345 for", "2301.12345"),
    ("https://notarxiv.org/abs/2301.12345", None),
])
def test_arxiv_id(text: str, ident: str | None) -> None:
    assert arxiv_id(text) == ident


@pytest.mark.parametrize(("text", "doi"), [
    ("https://dl.acm.org/doi/pdf/10.1145/3319535.3354211", "10.1145/3319535.3354211"),
    ("https://doi.org/10.1007%2F978-3-031-54409-5_13", "10.1007/978-3-031-54409-5_13"),
    ("https://example.org/10.1145/1.2", None), ("10.48550/arXiv.2301.12345", None),
])
def test_doi_of(text: str, doi: str | None) -> None:
    assert doi_of(text) == doi


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JAVASCRIPT:alert(1)", "data:,x",
                                 "ftp://x.org/a", "//x.org/a", "https:///nohost",
                                 "https://x.org/a b", "vbscript:x"])
def test_safe_url_is_http_only(url: str) -> None:
    assert safe_url(url) is None


def test_parse_date_no_more_precise_than_given() -> None:
    assert [parse_date(t) for t in ("2023", "2023-5", "2023/05/26", "May 2023", "26 May 2023",
                                    "2023-02-30", "Spring 2023", "99")] == [
        "2023", "2023-05", "2023-05-26", "2023-05", "2023-05-26", "2023-02", None, None]


# ------------------------------------------------------------------------------ scale


def _generated_list(items: int) -> str:
    """An awesome-list in the fixture's pattern: nested sections, badges, dated items."""
    template = (FIXTURES / "awesome-lm-privacy.md").read_text(encoding="utf-8")
    head = template.split("## C. Privacy", 1)[0]
    lines = [head, "## C. Privacy"]
    for i in range(items):
        if i % 50 == 0:
            lines.append(f"\n### C{i // 50}. Section {i // 50}")
        year, month = 2020 + i % 6, 1 + i % 12
        lines.append(
            f"- [{year}/{month:02d}] **[Generated paper number {i} on membership inference]"
            f"(https://arxiv.org/abs/{year % 100:02d}{month:02d}.{i:05d}v2)** "
            "![LLM](https://img.shields.io/badge/LLM-589cf4) "
            f"![ICLR'{year % 100}](https://img.shields.io/badge/ICLR'{year % 100}-f1b800) "
            f"[[code](https://github.com/lab/repo{i})]")
    return "\n".join(lines) + "\n"


def _best_time(text: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        records, _issues = awesome.parse(text, "big.md")
        best = min(best, time.perf_counter() - start)
    assert records
    return best


def test_a_large_awesome_list_reads_in_linear_time() -> None:
    small, large = _generated_list(30), _generated_list(3000)
    assert len(large.splitlines()) > 3000
    records = awesome.parse(large, "big.md")[0]
    assert len(records) == 3000 and records[-1].arxiv == "2512.02999"
    ratio = _best_time(large, 3) / _best_time(small, 10)
    # 100x the items: a linear reader takes about 100x as long; allow for noise, not n^2.
    assert ratio < 300, ratio


# ------------------------------------------------------------------------------ no traceback


_TEXT = st.text(st.characters(codec="utf-8"), max_size=400)
_MARKUP = st.lists(st.sampled_from([
    "@article{", "@string{x=", "}", "{", '"', "#", ",", "=", "\\", "\\input{", "$", "title",
    "author = {", " and ", "TY  - ", "ER  - ", "AU  - ", "\n", "[", "]", "(", ")", "**", "*",
    "- ", "1. ", "## ", "```", "<!--", "-->", "![", "https://arxiv.org/abs/2301.12345",
    "javascript:", ";", "\t", "\x00", "\ufeff", "{\"items\": [", "\"title\": ", "é",
]), max_size=60).map("".join)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.one_of(_TEXT, _MARKUP))
@pytest.mark.parametrize("reader", [bibtex.parse, csljson.parse, ris.parse, csvtable.parse,
                                    awesome.parse], ids=["bibtex", "csl", "ris", "csv", "md"])
def test_no_traceback_on_any_text(reader, text: str) -> None:  # type: ignore[no-untyped-def]
    records, issues = reader(text, "fuzz")
    assert all(isinstance(r, Record) and r.title for r in records)
    assert all(isinstance(i, Issue) and i.line >= 1 for i in issues)
    for record in records:
        for name in ("url",):
            assert getattr(record, name) is None or getattr(record, name).startswith("http")
        assert all(url.startswith("http") for _kind, url in record.links)
        assert not any(ch in record.title for ch in "\x00\x07\x1b\u202e")


@settings(max_examples=60, deadline=None)
@given(text=st.one_of(_TEXT, _MARKUP), name=st.sampled_from(
    ["a.txt", "a.json", "a", "a.bib", "a.md", "a.csv"]))
def test_detect_never_raises_anything_but_format_error(text: str, name: str) -> None:
    try:
        assert detect(name, text) in formats.FORMATS
    except formats.FormatError as exc:
        assert exc.message

