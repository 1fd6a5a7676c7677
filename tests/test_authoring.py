"""Writing entries: ids from titles, and YAML that loads back to the same values."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slugify import slugify

from generator.core.authoring import FIELD_ORDER, MAX_SLUG, SCHEMA_URL, dump_entry, make_id
from generator.core.entries import _BAD_TEXT, ID_RE, Paper, load_collection, normalize_space
from generator.core.files import parse_yaml

LONG = ("Membership Inference Attacks Against Fine-Tuned Large Language Models Through "
        "Self-Prompt Calibration")


@pytest.mark.parametrize(("title", "taken", "expected"), [
    # A short name before the colon is the id.
    ("TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy Leaking Agent",
     [], "trojanstego"),
    ("Deep Leakage from Gradients: A Study", [], "deep-leakage-from-gradients"),
    # More than four words before the colon: not a name, so the whole title.
    ("One Two Three Four Five: Six", [], "one-two-three-four-five-six"),
    # Cut at the last whole word within 60 characters, without a dangling "for"/"of".
    (LONG, [], "membership-inference-attacks-against-fine-tuned-large"),
    ("Auditing Differentially Private Machine Learning: How Private is Private SGD?", [],
     "auditing-differentially-private-machine-learning-how-private"),
    # Taken: the name falls back to the title, then a numbered suffix, still at a word end.
    ("TrojanStego: Hidden Agents", ["trojanstego"], "trojanstego-hidden-agents"),
    ("TrojanStego: Hidden Agents", ["trojanstego", "trojanstego-hidden-agents"],
     "trojanstego-hidden-agents-2"),
    ("TrojanStego: Hidden Agents",
     ["trojanstego", "trojanstego-hidden-agents", "trojanstego-hidden-agents-2"],
     "trojanstego-hidden-agents-3"),
    (LONG, ["membership-inference-attacks-against-fine-tuned-large"],
     "membership-inference-attacks-against-fine-tuned-large-2"),
    # A 60-character id leaves no room for "-2": the counter goes after an earlier word.
    ("Membership Inference Attacks Against Fine-Tuned Large Models Today",
     ["membership-inference-attacks-against-fine-tuned-large-models"],
     "membership-inference-attacks-against-fine-tuned-large-2"),
    # Unicode is transliterated; nothing usable gives a placeholder.
    ("Über Röttger's Café", [], "uber-rottger-s-cafe"),
    ("???", [], "paper"),
    ("???", ["paper"], "paper-2"),
])
def test_make_id(title: str, taken: list[str], expected: str) -> None:
    assert make_id(title, taken) == expected


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200), st.sets(st.text(alphabet="abc-", max_size=8), max_size=5))
def test_make_id_is_a_valid_unused_id_cut_at_a_word_boundary(title: str,
                                                            taken: set[str]) -> None:
    taken |= {make_id(title)}  # force the fallbacks too
    new = make_id(title, taken)
    assert ID_RE.match(new) and len(new) <= MAX_SLUG and new not in taken
    full = slugify(title)
    base = new.rsplit("-", 1)[0] if new.rsplit("-", 1)[-1].isdigit() else new
    # No skipped words: the id (without its counter) is the title's slug or a word prefix.
    head = slugify(title.partition(":")[0])
    assert any(base == s or s.startswith(base + "-") for s in (full, head, "paper")), new


def test_dump_entry_field_order_header_and_empty_values() -> None:
    text = dump_entry({"tags": ["a-b", "c"], "title": "T", "added": "2026-11-27",
                       "venue": None, "links": {}, "authors": [], "category": "x",
                       "abstract": "A."})
    assert text == (f"# yaml-language-server: $schema={SCHEMA_URL}\n"
                    'title: "T"\nadded: 2026-11-27\ncategory: x\ntags: [a-b, c]\n'
                    "abstract: >-\n  A.\n")
    assert list(parse_yaml(text).data) == [k for k in FIELD_ORDER if k in parse_yaml(text).data]
    assert dump_entry({"title": "T"}, schema_url=None) == 'title: "T"\n'


def test_long_lists_are_block_lists() -> None:
    authors = [f"Author Number {i}" for i in range(12)]
    text = dump_entry({"authors": authors}, schema_url=None)
    assert text.startswith('authors:\n  - "Author Number 0"\n')
    assert parse_yaml(text).data["authors"] == authors


TRICKY = [
    'Quotes "double" and \'single\'',
    "Colon: after a name: twice",
    "Math $\\mathcal{O}(n^2)$ and $\\epsilon$-DP",
    "Unicode Röttger, 日本語, Ελληνικά and 🙂",
    "Hash # is not a comment #here",
    "- leading dash",
    "? question mark first",
    "yes", "null", "2025", "2505.20110", "true",
    "[brackets] and {braces}",
    "&anchor *alias !tag %percent @at `backtick` |pipe >gt",
    "trailing colon:",
    "back\\slash \\n not a newline",
    "nbsp\u00a0inside",
    "C1 control \x85 and \u2028 separators",
    "non-characters \ufdd0\U0010ffff and BOM \ufeff",
]


def load_one(folder: Path, text: str) -> tuple[Paper | None, list[str]]:
    (folder / "taxonomy.yml").write_text((CASES / "taxonomy.yml").read_text("utf-8"))
    path = folder / "round-trip.yaml"
    path.write_text(text, "utf-8")
    collection, problems = load_collection([path], folder / "taxonomy.yml", TODAY, root=folder)
    errors = [p.format() for p in problems if p.severity == "error"]
    return (collection.by_id["round-trip"] if collection else None), errors


def entry(**fields: Any) -> dict[str, Any]:
    base = {"title": "T", "authors": ["A"], "published": "2025-05", "added": "2026-11-27",
            "arxiv": "2505.20118", "category": "covert-channels", "tags": ["steganography"],
            "abstract": "An abstract."}
    return {**base, **fields}


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_strings_round_trip_through_the_loader(text: str, tmp_path: Path) -> None:
    fields = entry(title=text, authors=[text, "Ada Lovelace"], venue=text,
                   abstract=f"{text}\n\nSecond paragraph: {text}", note=f"Why: {text}",
                   links={"code": "https://example.org/a?b=c#d"}, aliases=["old-id"])
    paper, errors = load_one(tmp_path, dump_entry(fields))
    assert errors == []
    assert paper is not None
    assert paper.title == " ".join(text.split())
    assert paper.authors == (" ".join(text.split()), "Ada Lovelace")
    assert paper.venue == text
    assert paper.abstract == normalize_space(fields["abstract"])
    assert "\n\nSecond paragraph: " in paper.abstract  # the paragraph break survives
    assert paper.note == fields["note"]  # Markdown as written
    assert paper.links == (("code", "https://example.org/a?b=c#d"),)
    assert paper.aliases == ("old-id",)
    assert (paper.arxiv, paper.published.iso, paper.added) == ("2505.20118", "2025-05",
                                                               dt.date(2026, 11, 27))


def test_every_optional_field_round_trips(tmp_path: Path) -> None:
    fields = entry(authors_incomplete=True, doi="10.1000/xyz-1", url="https://example.org/p",
                   venue="EMNLP 2025", links={"project": "https://p.example", "code":
                                              "https://c.example"}, published="2025")
    paper, errors = load_one(tmp_path, dump_entry(fields))
    assert errors == [] and paper is not None
    assert paper.authors_incomplete is True
    assert (paper.doi, paper.url, paper.year) == ("10.1000/xyz-1", "https://example.org/p",
                                                  2025)
    assert paper.links == (("code", "https://c.example"), ("project", "https://p.example"))


# Any text but what check refuses (lone surrogates, C0 controls, U+FFFE/U+FFFF).
PARAGRAPH = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=120) \
    .map(lambda t: " ".join(_BAD_TEXT.sub("", t).split())).filter(bool)


@settings(max_examples=100, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(title=PARAGRAPH, paragraphs=st.lists(PARAGRAPH, min_size=1, max_size=3))
def test_any_text_round_trips(tmp_path_factory, title: str, paragraphs: list[str]) -> None:
    abstract = "\n\n".join(paragraphs)
    note = abstract.replace("<", "lt")  # a note must not look like HTML (its own case)
    paper, errors = load_one(tmp_path_factory.mktemp("rt"),
                             dump_entry(entry(title=title, abstract=abstract, note=note)))
    assert errors == [] and paper is not None
    assert paper.title == title
    assert paper.abstract == abstract
    assert paper.note == note
