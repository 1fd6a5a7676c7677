"""`reading-list add` end to end, against local stand-ins for arXiv and Crossref."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_sources_arxiv import (
    CROSSREF_WORK,
    LATEX,
    MANY_AUTHORS,
    TROJAN,
    TROJAN_SUMMARY,
    WITHDRAWN,
    Reply,
    StubServer,
    entry,
    feed,
    stub,  # noqa: F401 - the fixture
)
from test_terminal_output import hostile_collection

from generator.commands import add, cli
from generator.core.entries import Collection, load_collection
from generator.core.files import iter_entry_files
from generator.sources import arxiv, crossref

REPO = Path(__file__).resolve().parent.parent
TODAY = "2026-11-30"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            stub: StubServer) -> Iterator[Path]:  # noqa: F811
    """A copy of the real list without TrojanStego, with arXiv/Crossref at the stand-in."""
    papers = tmp_path / "papers"
    shutil.copytree(REPO / "papers", papers)
    (papers / "trojanstego.yaml").unlink()
    # Laid out like this repository, so entries get a $schema header that resolves.
    (tmp_path / "generator").mkdir()
    shutil.copy(REPO / "generator" / "schema.json", tmp_path / "generator" / "schema.json")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ARXIV_API_URL", stub.url)
    monkeypatch.setenv("CROSSREF_API_URL", stub.url.replace("/api/query", ""))
    no_wait = {"sleep": lambda s: None, "backoff": 0.01, "timeout": 2.0}
    monkeypatch.setattr(add, "arxiv_client", lambda: arxiv.client_from_env(**no_wait))
    monkeypatch.setattr(add, "crossref_client", lambda: crossref.client_from_env(**no_wait))
    monkeypatch.setattr(add, "is_interactive", lambda: False)
    stub.on("2505.20118", Reply(body=feed("2505.20118", TROJAN)))
    yield tmp_path


def run(*argv: str) -> int:
    return cli.main(["add", *argv, "--date", TODAY])


def files(project: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (project / "papers").iterdir()}


def load_all(project: Path):
    papers = project / "papers"
    return load_collection(list(iter_entry_files(papers)), papers / "taxonomy.yml",
                           dt.date.fromisoformat(TODAY), root=project)


def test_add_writes_an_entry_that_passes_check_and_builds(project: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    assert run("2505.20118", "--category", "covert-channels",
               "--tags", "steganography,data-exfiltration") == 0
    out, err = capsys.readouterr()
    assert out.strip() == "wrote papers/trojanstego.yaml"
    assert "suggested category:" in err  # shown even when the options decide
    text = (project / "papers" / "trojanstego.yaml").read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=../generator/schema.json\n")
    collection, problems = load_all(project)
    assert collection is not None, [p.format() for p in problems]
    assert not [p for p in problems if p.path.endswith("trojanstego.yaml")]
    paper = collection.by_id["trojanstego"]
    assert paper.arxiv == "2505.20118"
    assert paper.doi == "10.18653/v1/2025.emnlp-main.1"
    assert paper.venue == "EMNLP 2025"
    assert paper.published is not None and paper.published.iso == "2025-05-26"
    assert paper.added == dt.date(2026, 11, 30)
    assert paper.authors[2] == "Paul R\u00f6ttger"
    assert paper.category == "covert-channels"
    assert paper.tags == ("steganography", "data-exfiltration")
    assert cli.main(["check", "--date", TODAY]) == 0
    # ... and it builds into a page of the site.
    from generator.pages import build_page_set
    from generator.plugin.settings import load_site_config

    config = load_site_config(REPO / "mkdocs.yml")
    pages = build_page_set(collection, config, dt.date.fromisoformat(TODAY))
    page = next(p for p in pages.pages if p.path.startswith("papers/trojanstego"))
    assert "TrojanStego" in page.text


@pytest.mark.parametrize("source", ["https://arxiv.org/pdf/2505.20118v2.pdf",
                                    "https://arxiv.org/abs/2505.20118v1", "arXiv:2505.20118"])
def test_add_accepts_urls_and_versions(project: Path, source: str, stub: StubServer  # noqa: F811
                                       ) -> None:
    assert run(source, "--category", "covert-channels", "--tags", "steganography") == 0
    assert (project / "papers" / "trojanstego.yaml").exists()
    assert "id_list=2505.20118&" in stub.requests[-1][0] + "&"


def test_latex_and_many_authors_survive_the_round_trip(project: Path,
                                                       stub: StubServer) -> None:  # noqa: F811
    stub.on("2401.01234", Reply(body=feed("2401.01234", LATEX)))
    assert run("2401.01234", "--category", "privacy-and-memorization", "--tags",
               "differential-privacy,memorization", "--note", "Tight *bounds*.") == 0
    written = [p for p in (project / "papers").glob("tight*.yaml")]
    assert len(written) == 1
    collection, problems = load_all(project)
    assert collection is not None, [p.format() for p in problems]
    paper = collection.by_id[written[0].stem]
    expected = arxiv.parse_feed(feed("2401.01234", LATEX), "2401.01234")
    assert paper.title == expected.title == "Tight $\\epsilon$-DP Bounds for Memorization in LLMs"
    assert paper.abstract == expected.abstract
    assert "$\\epsilon < 1$" in paper.abstract and "\n\n" in paper.abstract
    assert paper.authors == tuple(MANY_AUTHORS)
    assert paper.note == "Tight *bounds*."
    assert paper.doi is None and paper.venue is None


def test_duplicate_arxiv_id_is_refused_without_asking_arxiv(
        project: Path, stub: StubServer, capsys: pytest.CaptureFixture[str]) -> None:  # noqa: F811
    shutil.copy(REPO / "papers" / "trojanstego.yaml", project / "papers" / "ts.yaml")
    before = files(project)
    assert run("https://arxiv.org/abs/2505.20118v3", "--category", "covert-channels",
               "--tags", "steganography") == 1
    err = capsys.readouterr().err
    assert "arxiv 2505.20118 is already on the list as papers/ts.yaml" in err
    assert "nothing written" in err
    assert files(project) == before
    assert stub.requests == []


def test_duplicate_doi_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = project / "papers" / "same-doi.yaml"
    text = (REPO / "papers" / "trojanstego.yaml").read_text("utf-8")
    other.write_text(text.replace('arxiv: "2505.20118"', "doi: 10.18653/v1/2025.emnlp-main.1"),
                     "utf-8")
    before = files(project)
    assert run("2505.20118", "--category", "covert-channels", "--tags", "steganography") == 1
    assert "already on the list as papers/same-doi.yaml" in capsys.readouterr().err
    assert files(project) == before


@pytest.mark.parametrize("replies, message", [
    ([Reply(body=feed("2512.99999"))], "arXiv has no paper 2512.99999"),
    ([Reply(body=feed("2512.99999", WITHDRAWN.replace("2402.00001", "2512.99999")))],
     "withdrawn"),
    ([Reply(body=b"<feed xmlns='http://www.w3.org/2005/Atom'><entry><title>Trunc")],
     "not an Atom feed"),
    ([Reply(500, b"oops")], "cannot reach the service (HTTP 500"),
])
def test_failures_write_nothing_and_explain(project: Path, stub: StubServer,  # noqa: F811
                                            capsys: pytest.CaptureFixture[str],
                                            replies: list[Reply], message: str) -> None:
    stub.on("2512.99999", *replies)
    before = files(project)
    assert run("2512.99999", "--category", "covert-channels", "--tags", "steganography") == 1
    err = capsys.readouterr().err
    assert message in err and "nothing written" in err
    assert "Traceback" not in err
    assert files(project) == before


def test_503_then_success_writes(project: Path, stub: StubServer) -> None:  # noqa: F811
    stub.on("2505.20118", Reply(503, b"busy", {"Retry-After": "1"}),
            Reply(body=feed("2505.20118", TROJAN)))
    assert run("2505.20118", "--category", "covert-channels", "--tags", "steganography") == 0
    assert len(stub.requests) == 2


def test_network_down(project: Path, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ARXIV_API_URL", "http://127.0.0.1:9/api/query")  # discard port
    before = files(project)
    assert run("2505.20118", "--category", "covert-channels", "--tags", "steganography") == 1
    err = capsys.readouterr().err
    assert "cannot reach the service" in err and "network error" in err
    assert files(project) == before


def test_without_labels_non_interactive_shows_suggestion_and_writes_nothing(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files(project)
    assert run("2505.20118") == 2
    err = capsys.readouterr().err
    assert "because the most similar entries on the list are:" in err
    assert "choose a category and tags: pass --category and --tags (suggested: --category" in err
    assert files(project) == before


def test_yes_accepts_the_suggestion_from_the_nearest_entries(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("2505.20118", "--yes") == 0
    err = capsys.readouterr().err
    collection, _ = load_all(project)
    assert collection is not None
    paper = collection.by_id["trojanstego"]
    similar = [line.split()[1] for line in err.splitlines() if line.startswith("  0.")]
    assert similar, err
    near = [collection.by_id[Path(s).stem] for s in similar]
    assert paper.category in {n.category for n in near}
    assert set(paper.tags) <= {t for n in near for t in n.tags}
    assert f"suggested category: {paper.category}" in err


def test_interactive_confirmation(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(add, "is_interactive", lambda: True)
    answers = iter(["covert-channels", ""])  # type a category, accept the suggested tags
    prompts: list[str] = []
    monkeypatch.setattr("builtins.input", lambda p: prompts.append(p) or next(answers))
    assert run("2505.20118") == 0
    collection, _ = load_all(project)
    assert collection is not None
    assert collection.by_id["trojanstego"].category == "covert-channels"
    assert prompts[0].startswith("category [") and prompts[1].startswith("tags")


def test_invalid_category_is_caught_before_writing(project: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    before = files(project)
    assert run("2505.20118", "--category", "covert-channel", "--tags", "steganography") == 1
    err = capsys.readouterr().err
    assert "papers/trojanstego.yaml:" in err and "unknown category 'covert-channel'" in err
    assert "would not pass check" in err and "nothing written" in err
    assert files(project) == before


@pytest.mark.parametrize("argv", [("hello",), (), ("2505.20118", "--doi", "10.1/x"),
                                  ("--doi", "nonsense")])
def test_bad_arguments(project: Path, argv: tuple[str, ...],
                       capsys: pytest.CaptureFixture[str]) -> None:
    assert run(*argv) == 2
    assert capsys.readouterr().err.startswith("add: ")


def test_add_by_doi_through_crossref(project: Path, stub: StubServer) -> None:  # noqa: F811
    stub.on("10.1145/3576915.3623097", Reply(body=json.dumps(CROSSREF_WORK).encode(),
                                             content_type="application/json"))
    assert run("--doi", "https://doi.org/10.1145/3576915.3623097", "--category",
               "extraction-and-inversion", "--tags", "model-stealing") == 0
    collection, problems = load_all(project)
    assert collection is not None, [p.format() for p in problems]
    paper = collection.by_id["stealing-the-decoding-algorithms-of-language-models"]
    assert paper.doi == "10.1145/3576915.3623097"
    assert paper.published is not None and paper.published.iso == "2023-11-15"
    assert paper.venue is not None and paper.venue.startswith("Proceedings of the 2023 ACM")
    assert paper.authors[0] == "Ali Naseh"


def test_doi_without_abstract_asks_for_one(project: Path, stub: StubServer,  # noqa: F811
                                           capsys: pytest.CaptureFixture[str]) -> None:
    work = json.loads(json.dumps(CROSSREF_WORK))
    del work["message"]["abstract"]
    stub.on("10.1145/3576915.3623097", Reply(body=json.dumps(work).encode()))
    before = files(project)
    assert run("--doi", "10.1145/3576915.3623097", "--category", "extraction-and-inversion",
               "--tags", "model-stealing") == 2
    assert "--abstract" in capsys.readouterr().err
    assert files(project) == before
    assert run("--doi", "10.1145/3576915.3623097", "--category", "extraction-and-inversion",
               "--tags", "model-stealing", "--abstract", "We steal decoding settings.") == 0


def test_unknown_doi(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = files(project)
    assert run("--doi", "10.9999/nope", "--category", "covert-channels", "--tags",
               "steganography") == 1
    assert "Crossref has no work with DOI 10.9999/nope" in capsys.readouterr().err
    assert files(project) == before


def test_manual_template_is_flagged_by_check_until_filled(project: Path) -> None:
    assert run("--manual", "A Hand-Written Entry: On Things") == 0
    path = project / "papers" / "a-hand-written-entry.yaml"
    text = path.read_text("utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    assert 'title: "A Hand-Written Entry: On Things"' in text
    assert cli.main(["check", "--date", TODAY, str(path)]) == 1
    filled = (text.replace("authors: []", "authors: [Ada Lovelace]")
              .replace('category: ""', "category: covert-channels")
              .replace("tags: []", "tags: [steganography]")
              .replace('abstract: ""', 'abstract: "We hide things."'))
    path.write_text(filled, "utf-8")
    assert cli.main(["check", "--date", TODAY, str(path)]) == 0
    assert run("--manual") == 0
    assert (project / "papers" / "new-paper.yaml").exists()


def _raw_controls(text: str) -> list[str]:
    """Control characters in ``text`` other than the line breaks the command writes."""
    return [c for c in text if c != "\n" and (ord(c) < 32 or 0x7f <= ord(c) <= 0x9f)]


def test_a_hostile_doi_is_shown_escaped(project: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    # A percent-encoded DOI decodes to any character; the messages that quote it (and what
    # the service answers about it) reach the terminal with the escapes shown, not obeyed.
    before = files(project)
    assert run("--doi", "10.1145/%1b]0;pwned%07%1b[2J", "--category", "covert-channels",
               "--tags", "steganography") == 1
    err = capsys.readouterr().err
    assert _raw_controls(err) == []
    assert r"fetching DOI 10.1145/\x1b]0;pwned\x07\x1b[2J from Crossref" in err
    assert "Traceback" not in err and files(project) == before


def test_similar_entries_titles_are_shown_escaped(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # The suggestion quotes the titles of the most similar entries on the list. check
    # refuses control characters in entries, so the hostile title is handed in past the
    # loader (see tests/test_terminal_output.py): printing must be safe on its own.
    hostile = hostile_collection(project / "papers")
    shown = dataclasses.replace(hostile.by_id["adaptguard"], title="\x1b[2J\x1b]0;pwned\x07 Guard",
                                abstract=" ".join(TROJAN_SUMMARY.split()))
    collection = Collection(tuple(shown if p.id == "adaptguard" else p
                                  for p in hostile.papers), hostile.taxonomy)
    monkeypatch.setattr(add, "load", lambda args: (collection, []))
    assert run("2505.20118", "--category", "covert-channels", "--tags", "steganography") == 0
    err = capsys.readouterr().err
    assert _raw_controls(err) == []
    assert r"\x1b[2J\x1b]0;pwned\x07 Guard" in err


@pytest.mark.parametrize(("summary_extra", "comment", "expected"), [
    # The abstract names one repository (a trailing full stop is not part of it).
    ("Code is at https://github.com/tbd-lab/trojanstego.", "9 pages",
     "https://github.com/tbd-lab/trojanstego"),
    # Only the arXiv comment names it.
    ("", "9 pages. Code: https://github.com/tbd-lab/TrojanStego/tree/main",
     "https://github.com/tbd-lab/TrojanStego"),
    # Two different repositories: which one is the paper's own cannot be told.
    ("We build on https://github.com/other/base.", "Code: https://github.com/tbd-lab/ts",
     None),
    # GitHub's own pages are not a repository.
    ("See https://github.com/topics/steganography for more.", "9 pages", None),
])
def test_add_proposes_a_code_link_named_by_the_paper(project: Path, stub: StubServer,  # noqa: F811
                                                     capsys: pytest.CaptureFixture[str],
                                                     summary_extra: str, comment: str,
                                                     expected: str | None) -> None:
    text = entry("2505.20118", 3, "TrojanStego: Your Language Model Can Secretly Be A "
                 "Steganographic Privacy Leaking Agent", TROJAN_SUMMARY + summary_extra,
                 ["Dominik Meier", "Bela Gipp"],
                 extra=f"    <arxiv:comment>{comment}</arxiv:comment>\n")
    stub.on("2505.20118", Reply(body=feed("2505.20118", text)))
    assert run("2505.20118", "--category", "covert-channels", "--tags", "steganography") == 0
    err = capsys.readouterr().err
    collection, problems = load_all(project)
    assert collection is not None, [p.format() for p in problems]
    paper = collection.by_id["trojanstego"]
    assert dict(paper.links).get("code") == expected
    assert (f"code: {expected}" in err) == (expected is not None)


def test_add_by_doi_proposes_a_code_link_from_the_abstract(project: Path,
                                                          stub: StubServer) -> None:  # noqa: F811
    stub.on("10.1145/3576915.3623097", Reply(body=json.dumps(CROSSREF_WORK).encode(),
                                             content_type="application/json"))
    assert run("--doi", "10.1145/3576915.3623097", "--abstract",
               "We steal decoding algorithms. Code: https://github.com/alinaseh/stealing",
               "--category", "extraction-and-inversion", "--tags", "model-stealing") == 0
    collection, problems = load_all(project)
    assert collection is not None, [p.format() for p in problems]
    paper = collection.by_id["stealing-the-decoding-algorithms-of-language-models"]
    assert dict(paper.links) == {"code": "https://github.com/alinaseh/stealing"}
