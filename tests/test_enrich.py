"""`reading-list enrich` against loopback stand-ins for arXiv, Semantic Scholar, Crossref and
OpenAlex that answer in the services' shapes and play their faults (500, 429 with
Retry-After, timeouts, malformed bodies, partial batch answers, a server that dies)."""

from __future__ import annotations

import datetime as dt
import io
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from test_sources_arxiv import FEED_HEAD, LATEX, TROJAN, WITHDRAWN, entry

from generator.commands import cli, enrich
from generator.core.entries import load_collection
from generator.core.files import iter_entry_files
from generator.sources import metadata

TODAY = dt.date(2026, 11, 30)
HEADER = "# yaml-language-server: $schema=../generator/schema.json\n"

# --- the stand-ins -------------------------------------------------------------------------

CODE_ENTRY = entry("2403.00002", 1, "Watermarks That Survive Fine-Tuning",
                   "  We watermark weights. Code: https://github.com/lab/wm-survive.\n",
                   ["Ann Author", "Ben Author"], published="2024-03-01T10:00:00Z",
                   extra="    <arxiv:comment>12 pages; code at "
                         "https://github.com/lab/wm-survive</arxiv:comment>\n")
S2_RECORDS: dict[str, Any] = {
    "ARXIV:2505.20118": {
        "paperId": "a1", "title": "TrojanStego: Your Language Model Can Secretly Be A "
        "Steganographic Privacy Leaking Agent", "abstract": "S2's shorter abstract.",
        "authors": [{"authorId": "1", "name": "Dominik Meier"}], "venue": "EMNLP",
        "year": 2025, "publicationDate": "2025-05-26",
        "externalIds": {"ArXiv": "2505.20118", "DOI": "10.18653/v1/2025.emnlp-main.1"}},
    "ARXIV:2401.01234": {
        "paperId": "b2", "title": "Tight $\\epsilon$-DP Bounds for Memorization in LLMs",
        "abstract": None, "authors": [], "venue": "arXiv.org", "year": 2024,
        "publicationDate": None,
        "externalIds": {"ArXiv": "2401.01234", "DOI": "10.48550/arXiv.2401.01234"}},
    "DOI:10.1145/3576915.3623097": {
        "paperId": "c3", "title": "Membership Inference in the Wild", "abstract": None,
        "authors": [{"name": "Cara Doe"}, {"name": "Dan Roe"}],
        "venue": "Conference on Computer and Communications Security", "year": 2023,
        "publicationDate": "2023-11-21", "externalIds": {"DOI": "10.1145/3576915.3623097"}},
}
CROSSREF: dict[str, Any] = {
    "10.1145/3576915.3623097": {"status": "ok", "message": {
        "DOI": "10.1145/3576915.3623097", "title": ["Membership Inference in the Wild"],
        "author": [{"given": "Cara", "family": "Doe"}, {"given": "Dan", "family": "Roe"}],
        "container-title": ["Proceedings of the 2023 ACM SIGSAC Conference"],
        "published-print": {"date-parts": [[2023, 11, 21]]},
        "abstract": "<jats:title>Abstract</jats:title><jats:p>We run <jats:italic>membership"
                    "</jats:italic> inference &amp; audits where $n&lt;m$ holds.</jats:p>"}},
    "10.1000/no-abstract": {"status": "ok", "message": {
        "DOI": "10.1000/no-abstract", "title": ["A Journal Paper Without Abstract"],
        "author": [{"given": "Eve", "family": "Poe"}],
        "container-title": ["Journal of Leaks"],
        "issued": {"date-parts": [[2022, 3]]}}},
}
OPENALEX: dict[str, Any] = {
    "10.1000/no-abstract": {
        "id": "https://openalex.org/W1", "doi": "https://doi.org/10.1000/no-abstract",
        "title": "A Journal Paper Without Abstract", "publication_date": "2022-03-04",
        "authorships": [{"author": {"display_name": "Eve Poe"}}],
        "primary_location": {"source": {"display_name": "Journal of Leaks",
                                        "type": "journal"}},
        "abstract_inverted_index": {"Leaks": [0, 3], "are": [1], "everywhere;": [2],
                                    "hide.": [5], "cannot": [4]}},
}


@dataclass
class Fake:
    """The four services on one loopback server: records, scripted faults, requests."""

    url: str = ""
    arxiv: dict[str, str] = field(default_factory=lambda: {
        "2505.20118": TROJAN, "2401.01234": LATEX, "2403.00002": CODE_ENTRY,
        "2402.00001": WITHDRAWN})
    s2: dict[str, Any] = field(default_factory=lambda: json.loads(json.dumps(S2_RECORDS)))
    crossref: dict[str, Any] = field(default_factory=lambda: dict(CROSSREF))
    openalex: dict[str, Any] = field(default_factory=lambda: dict(OPENALEX))
    faults: dict[str, list[str]] = field(default_factory=dict)  #: service -> faults, in order
    requests: list[tuple[str, str, Any, dict[str, str]]] = field(default_factory=list)
    die_after: int | None = None  #: drop every connection after this many requests
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict[str, str]:
        return {"ARXIV_API_URL": f"{self.url}/arxiv/api/query",
                "SEMANTIC_SCHOLAR_API_URL": f"{self.url}/s2",
                "CROSSREF_API_URL": f"{self.url}/crossref",
                "OPENALEX_API_URL": f"{self.url}/openalex"}

    def asked(self, service: str) -> list[Any]:
        return [body for name, _, body, _ in self.requests if name == service]


def _service(path: str) -> str:
    return path.lstrip("/").split("/", 1)[0]


class Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def _handle(self, body: Any) -> None:
        fake: Fake = self.server.fake
        parsed = urllib.parse.urlsplit(self.path)
        service = _service(parsed.path)
        with fake.lock:
            fake.requests.append((service, self.path, body, dict(self.headers)))
            count = len(fake.requests)
            queue = fake.faults.get(service) or []
            fault = queue.pop(0) if queue else None
        if fake.die_after is not None and count > fake.die_after:
            self.close_connection = True  # the server is gone: no answer at all
            return
        if fault == "500":
            return self._send(500, b'{"message": "Internal Server Error"}')
        if fault == "429":
            return self._send(429, b'{"message": "Too Many Requests"}',
                              headers={"Retry-After": "7"})
        if fault == "timeout":
            time.sleep(1.5)
            return self._send(200, b"[]")
        if fault == "malformed":
            return self._send(200, b"<html>Rate exceeded.</html>", "text/html")
        if service == "arxiv":
            ids = urllib.parse.parse_qs(parsed.query)["id_list"][0].split(",")
            entries = "".join(fake.arxiv[i] for i in ids if i in fake.arxiv)
            head = FEED_HEAD.replace("{id}", ",".join(ids)).replace("{total}", str(len(ids)))
            return self._send(200, (head + entries + "</feed>\n").encode(),
                              "application/atom+xml; charset=utf-8")
        if service == "s2":
            answer = [fake.s2.get(k) for k in body["ids"]]
            return self._send(200, json.dumps(answer).encode())
        if service == "crossref":
            doi = urllib.parse.unquote(parsed.path).removeprefix("/crossref/works/")
            if doi in fake.crossref:
                return self._send(200, json.dumps(fake.crossref[doi]).encode())
            return self._send(404, b"Resource not found.", "text/plain")
        if service == "openalex":
            doi = urllib.parse.unquote(parsed.path).removeprefix("/openalex/works/doi:")
            if doi in fake.openalex:
                return self._send(200, json.dumps(fake.openalex[doi]).encode())
            return self._send(404, b'{"error": "Not Found"}')
        self._send(404, b"{}")

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        self._handle(None)

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        self._handle(json.loads(self.rfile.read(length) or b"null"))


@pytest.fixture
def fake() -> Iterator[Fake]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.fake = Fake(url=f"http://127.0.0.1:{server.server_port}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.fake  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Clients that record their waits instead of waiting."""
    waits: list[float] = []
    monkeypatch.setattr(enrich, "clients_factory", lambda env: metadata.clients_from_env(
        env, sleep=waits.append, backoff=0.01, timeout=0.5, retries=1))
    return waits


@pytest.fixture
def project(tmp_path: Path, papers_dir: Path, fake: Fake, sleeps: list[float],
            monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name, value in fake.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMANTIC_SCHOLAR_API_KEY", raising=False)
    return tmp_path


def write(project: Path, name: str, text: str, folder: str = "papers") -> Path:
    path = project / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def kept_in_order(before: str, after: str) -> bool:
    """Every line of ``before`` is in ``after``, in the same order."""
    rest = iter(after.splitlines())
    return all(line in rest for line in before.splitlines())


def run(*argv: str) -> int:
    return cli.main(["enrich", *argv, "--date", TODAY.isoformat()])


def load(project: Path):
    papers = project / "papers"
    return load_collection(list(iter_entry_files(papers)), papers / "taxonomy.yml", TODAY,
                           root=project)


TROJAN_YAML = HEADER + """\
# Imported from the lab's BibTeX; authors were cut at the first one.
title: "TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy Leaking Agent"
authors: [Dominik Meier]
authors_incomplete: true
added: 2026-11-27
arxiv: "2505.20118"
category: covert-channels
tags: [steganography, data-exfiltration]   # reviewed
note: Kept as written.
"""
LATEX_YAML = """\
title: Tight $\\epsilon$-DP Bounds for Memorization in LLMs
authors: [Someone Else]
published: 2024-01
added: 2026-11-01
arxiv: "2401.01234"
category: privacy-and-memorization
tags: [memorization]
abstract: >-
  Our curated abstract, with code at https://github.com/dp-lab/tight-bounds.
"""
DOI_YAML = """\
title: Membership Inference in the Wild
authors: [Cara Doe, Dan Roe]
added: 2026-11-01
doi: 10.1145/3576915.3623097
category: privacy-and-memorization
tags: [membership-inference]
"""
OPENALEX_YAML = """\
title: A Journal Paper Without Abstract
added: 2026-11-01
doi: 10.1000/no-abstract
category: privacy-and-memorization
tags: [memorization]
"""


# --- filling in ------------------------------------------------------------------------------

def test_enrich_fills_gaps_from_every_service_and_the_list_checks(
        project: Path, fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    trojan = write(project, "trojanstego.yaml", TROJAN_YAML)
    tight = write(project, "tight.yaml", LATEX_YAML)
    wild = write(project, "wild.yaml", DOI_YAML)
    journal = write(project, "journal.yaml", OPENALEX_YAML)
    assert run() == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == [
        "papers/journal.yaml: abstract added (OpenAlex), authors added (Crossref), "
        "published added (Crossref), venue added (Crossref)",
        "papers/tight.yaml: code link added (abstract)",
        "papers/trojanstego.yaml: abstract added (arXiv), authors 1 -> 5 (arXiv), published "
        "added (arXiv), venue added (arXiv), doi added (arXiv)",
        "papers/wild.yaml: abstract added (Crossref), published added (Semantic Scholar), "
        "venue added (Semantic Scholar)",
    ]
    assert out[4:] == ["enrich: 4 entries: 4 enriched (13 fields), 0 complete",
                       "still missing: code 3, doi 1, venue 1",
                       "requests: arXiv 1, Semantic Scholar 1, Crossref 2, OpenAlex 1"]
    collection, problems = load(project)
    assert collection is not None, [p.format() for p in problems]
    paper = collection.by_id["trojanstego"]
    assert len(paper.authors) == 5 and not paper.authors_incomplete
    assert paper.abstract.startswith("As large language models (LLMs) become integrated")
    assert (paper.venue, paper.doi, str(paper.published)) == (
        "EMNLP 2025", "10.18653/v1/2025.emnlp-main.1", "2025-05-26")
    # The file is edited in place: header, comments, order and untouched fields kept.
    text = trojan.read_text("utf-8")
    assert text.startswith(HEADER + "# Imported from the lab's BibTeX")
    assert "authors_incomplete" not in text
    assert "tags: [steganography, data-exfiltration]   # reviewed\nabstract: >-\n" \
        "  As large language models" in text and text.endswith("\nnote: Kept as written.\n")
    keys = [line.split(":")[0] for line in text.splitlines() if line[:1].isalpha()]
    assert keys == ["title", "authors", "published", "added", "arxiv", "doi", "venue",
                    "category", "tags", "abstract", "note"]
    # The curator's abstract stays; the repository it names becomes the code link.
    tight_paper = collection.by_id["tight"]
    assert tight_paper.abstract.startswith("Our curated abstract")
    assert dict(tight_paper.links) == {"code": "https://github.com/dp-lab/tight-bounds"}
    assert tight_paper.venue is None and tight_paper.doi is None  # arXiv.org, arXiv's DOI
    assert tight.read_text("utf-8") == LATEX_YAML.replace(
        'arxiv: "2401.01234"\n',
        'arxiv: "2401.01234"\nlinks:\n  code: "https://github.com/dp-lab/tight-bounds"\n')
    # JATS cleaned, math kept; the inverted index rebuilt.
    assert collection.by_id["wild"].abstract == \
        "We run membership inference & audits where $n<m$ holds."
    assert collection.by_id["journal"].abstract == \
        "Leaks are everywhere; Leaks cannot hide."
    assert collection.by_id["journal"].authors == ("Eve Poe",)
    assert str(collection.by_id["journal"].published) == "2022-03"
    assert kept_in_order(DOI_YAML, wild.read_text("utf-8"))
    assert kept_in_order(OPENALEX_YAML, journal.read_text("utf-8"))
    # Batched: one arXiv request for both arXiv papers, then one Semantic Scholar batch for
    # the papers still lacking something (arXiv gave TrojanStego all it lacked).
    assert len(fake.asked("arxiv")) == 1
    assert [b["ids"] for b in fake.asked("s2")] == [
        ["DOI:10.1000/no-abstract", "ARXIV:2401.01234", "DOI:10.1145/3576915.3623097"]]
    assert cli.main(["check", "--date", TODAY.isoformat()]) == 0


def test_arxiv_ids_are_batched_and_rate_limited(project: Path, fake: Fake, sleeps: list[float],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metadata, "ARXIV_BATCH", 2)
    for arxiv_id, title in (("2505.20118", "TrojanStego"),
                            ("2401.01234", "Tight $\\epsilon$-DP Bounds for Memorization"),
                            ("2403.00002", "Watermarks That Survive Fine-Tuning")):
        write(project, f"p{arxiv_id[-1]}.yaml", f'title: "{title}"\nadded: 2026-11-01\n'
              f'arxiv: "{arxiv_id}"\ncategory: covert-channels\ntags: [steganography]\n')
    assert run("--only", "abstract") == 0
    paths = [p for name, p, _, _ in fake.requests if name == "arxiv"]
    assert len(paths) == 2
    asked = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query) for p in paths]
    assert [(q["id_list"][0], q["max_results"][0]) for q in asked] == [
        ("2403.00002,2401.01234", "2"), ("2505.20118", "1")]  # p2, p4 | p8
    assert any(w >= 2.9 for w in sleeps), sleeps  # arXiv: one request every 3 seconds


def test_code_link_from_the_arxiv_answer_and_withdrawn_abstracts(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, "wm.yaml", 'title: Watermarks That Survive Fine-Tuning\nadded: 2026-11-01\n'
          'arxiv: "2403.00002"\ncategory: covert-channels\ntags: [steganography]\n')
    write(project, "gone.yaml", 'title: A Withdrawn Result on Membership Inference\n'
          'added: 2026-11-01\narxiv: "2402.00001"\ncategory: covert-channels\n'
          'tags: [steganography]\n')
    assert run("--only", "code,abstract,authors") == 0
    out = capsys.readouterr().out
    assert "papers/gone.yaml: authors added (arXiv); arXiv 2402.00001 has been withdrawn: " \
        "its abstract is not used" in out
    collection, _ = load(project)
    assert collection is not None
    assert dict(collection.by_id["wm"].links) == {"code": "https://github.com/lab/wm-survive"}
    assert collection.by_id["gone"].abstract == ""


def test_curators_values_stay_unless_overwrite_which_says_old_and_new(
        project: Path, fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    text = TROJAN_YAML.replace("added: 2026-11-27\n", "published: 2025\nadded: 2026-11-27\n"
                               'venue: "EMNLP (Findings)"\n')
    path = write(project, "trojanstego.yaml", text)
    assert run("--only", "venue,published", "--dry-run") == 0
    assert "papers/trojanstego.yaml" not in capsys.readouterr().out  # nothing missing
    assert run("--only", "venue,published", "--overwrite", "--dry-run") == 0
    dry = capsys.readouterr().out
    assert path.read_text("utf-8") == text
    assert run("--only", "venue,published", "--overwrite") == 0
    real = capsys.readouterr().out
    line = ('papers/trojanstego.yaml: published "2025" -> "2025-05-26" (arXiv), '
            'venue "EMNLP (Findings)" -> "EMNLP 2025" (arXiv)')
    assert line in dry.splitlines() and line in real.splitlines()
    assert dry.replace("dry run: nothing written\n", "") == real
    assert "published: 2025-05-26\n" in path.read_text("utf-8")


def test_only_limits_the_fields(project: Path) -> None:
    path = write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "doi") == 0
    after = path.read_text("utf-8")
    assert after == TROJAN_YAML.replace('arxiv: "2505.20118"\n', 'arxiv: "2505.20118"\n'
                                        'doi: "10.18653/v1/2025.emnlp-main.1"\n')


def test_dry_run_writes_nothing(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--dry-run") == 0
    out = capsys.readouterr().out
    assert "papers/trojanstego.yaml: abstract added (arXiv)" in out
    assert out.rstrip().endswith("dry run: nothing written")
    assert path.read_text("utf-8") == TROJAN_YAML
    assert sorted(p.name for p in project.iterdir()) == ["papers"]  # no checkpoint either


def test_inbox_entries_keep_their_placeholders_and_are_enriched(project: Path) -> None:
    path = write(project, "trojanstego.yaml", TROJAN_YAML.replace(
        "category: covert-channels", "category: choose-a-category").replace(
        "[steganography, data-exfiltration]", "[choose-tags]"), folder="papers/inbox")
    assert run("papers/inbox/") == 0
    text = path.read_text("utf-8")
    assert "category: choose-a-category" in text and "abstract: >-" in text


def test_a_wrong_id_does_not_pull_in_another_papers_data(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(project, "other.yaml", "title: Gradient Inversion of Federated Diffusion\n"
                 'added: 2026-11-01\narxiv: "2505.20118"\ncategory: covert-channels\n'
                 "tags: [steganography]\n")
    before = path.read_text("utf-8")
    assert run() == 0
    out = capsys.readouterr().out
    assert 'arXiv\'s record for 2505.20118 is titled "TrojanStego: Your Language Model' in out
    assert "Semantic Scholar's record for ARXIV:2505.20118 is titled" in out
    assert path.read_text("utf-8") == before


def test_a_doi_already_on_the_list_is_not_added_twice(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, "published.yaml", "title: TrojanStego (EMNLP version)\nadded: 2026-11-01\n"
          "doi: 10.18653/v1/2025.emnlp-main.1\nabstract: x\ncategory: covert-channels\n"
          "tags: [steganography]\nauthors: [A]\npublished: 2025\nvenue: EMNLP 2025\n"
          "links: {code: 'https://github.com/a/b'}\n")
    path = write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "doi,venue") == 0
    out = capsys.readouterr().out
    assert ("papers/trojanstego.yaml: venue added (arXiv); doi 10.18653/v1/2025.emnlp-main.1 "
            "(arXiv) not added: papers/published.yaml has it (the same paper twice?)") in out
    assert "doi:" not in path.read_text("utf-8")
    assert load(project)[0] is not None


def test_published_after_added_is_not_used(project: Path) -> None:
    path = write(project, "trojanstego.yaml", TROJAN_YAML.replace("2026-11-27", "2025-01-02"))
    assert run("--only", "published") == 0
    assert "published" not in path.read_text("utf-8")


def test_a_layout_the_editor_cannot_change_is_not_written(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = ('{title: "TrojanStego", added: 2026-11-27, arxiv: "2505.20118",\n'
            ' category: covert-channels, tags: [steganography]}\n')
    path = write(project, "trojanstego.yaml", text)
    assert run("--only", "abstract") == 1
    out = capsys.readouterr().out
    assert "papers/trojanstego.yaml: abstract added (arXiv); not written: the top-level " \
        "fields do not each start a line; fill in the fields by hand" in out
    assert "1 not written" in out
    assert path.read_text("utf-8") == text


def test_an_entry_with_other_problems_is_enriched_and_keeps_only_those(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An unknown field: an error the file already had, which enrich neither adds nor fixes.
    path = write(project, "trojanstego.yaml", TROJAN_YAML + "source_row: 12\n")
    assert run("--only", "abstract") == 0
    assert "abstract: >-" in path.read_text("utf-8")
    assert cli.main(["check", "--date", TODAY.isoformat()]) == 1
    errors = [line for line in capsys.readouterr().err.splitlines() if ": error: " in line]
    assert len(errors) == 1 and "unknown field 'source_row'" in errors[0]


def test_a_value_the_loader_rejects_is_not_written(project: Path, fake: Fake,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    # The per-field schema check normally stops this first; the loader is the last guard.
    monkeypatch.setattr(enrich, "_fits", lambda name, value: True)
    fake.s2["DOI:10.1145/3576915.3623097"]["venue"] = "V" * 400
    path = write(project, "wild.yaml", DOI_YAML)
    assert run("--only", "venue") == 1
    out = capsys.readouterr().out
    assert "papers/wild.yaml: venue added (Semantic Scholar); not written: the entry would " \
        "not pass check: 'venue' is longer than 300 characters" in out
    assert path.read_text("utf-8") == DOI_YAML


def test_authors_capped_by_openalex_stay_marked_incomplete(project: Path, fake: Fake) -> None:
    fake.crossref.pop("10.1000/no-abstract")
    fake.openalex["10.1000/no-abstract"]["authorships"] = [
        {"author": {"display_name": f"Author {i}"}} for i in range(100)]
    path = write(project, "journal.yaml", OPENALEX_YAML.replace(
        "added:", "authors: [Eve Poe]\nauthors_incomplete: true\nadded:"))
    assert run("--only", "authors") == 0
    text = path.read_text("utf-8")
    assert "Author 99" in text and "authors_incomplete: true" in text


# --- untrusted text -----------------------------------------------------------------------

def test_untrusted_text_is_cleaned(project: Path, fake: Fake) -> None:
    fake.s2["DOI:10.1145/3576915.3623097"].update({
        "abstract": "<script>alert(1)</script><p>We <b>audit</b>\u202e models &amp; find "
                    "$a<b$ and $$x <y>$$.</p>\n\n  Second\tparagraph at "
                    "https://github.com/org/tool/tree/main.",
        "venue": "Proc. <i>CCS</i>\u0007 2023"})
    path = write(project, "wild.yaml", DOI_YAML)
    assert run("--only", "abstract,venue,code") == 0
    collection, problems = load(project)
    assert collection is not None, problems
    paper = collection.by_id["wild"]
    assert paper.abstract == ("We audit models & find $a<b$ and $$x <y>$$.\n\n"
                              "Second paragraph at https://github.com/org/tool/tree/main.")
    assert paper.venue == "Proc. CCS 2023"
    assert dict(paper.links) == {"code": "https://github.com/org/tool"}
    assert "<script" not in path.read_text("utf-8")


@pytest.mark.parametrize("texts, expected", [
    (["see https://github.com/org/repo."], "https://github.com/org/repo"),
    (["(https://www.github.com/org/repo.git)"], "https://github.com/org/repo"),
    (["http://github.com/org/repo/blob/main/x.py and https://github.com/ORG/repo"],
     "https://github.com/org/repo"),
    (["https://github.com/org/a and https://github.com/org/b"], None),
    (["https://github.com/org"], None),
    (["https://github.com/features/copilot"], None),
    (["https://org.github.io/repo"], None),
    (["javascript:https://github.com/org/repo"], "https://github.com/org/repo"),
    (["ftp://github.com/org/repo"], None),
    ([None, "code: https://github.com/a-b/c_d.e"], "https://github.com/a-b/c_d.e"),
])
def test_find_code_link(texts: list[str | None], expected: str | None) -> None:
    assert metadata.find_code_link(*texts) == expected


@pytest.mark.parametrize("index, expected", [
    ({"b": [1], "a": [0, 2]}, "a b a"),
    ({"a": [0], "b": [1e9]}, ""),
    ({"a": [-1]}, ""),
    ({"a": "0"}, ""),
    ([], ""),
    (None, ""),
])
def test_rebuild_abstract(index: Any, expected: str) -> None:
    assert metadata.rebuild_abstract(index) == expected


def test_rebuild_abstract_refuses_huge_indexes() -> None:
    assert metadata.rebuild_abstract({"w": list(range(30_000))}) == ""


def test_venue_and_doi_filters() -> None:
    assert metadata.usable_venue("arXiv.org") is None
    assert metadata.usable_venue(" CoRR ") is None
    assert metadata.usable_venue("NeurIPS") == "NeurIPS"
    assert metadata.usable_doi("10.48550/arXiv.2401.01234") is None
    assert metadata.usable_doi("https://doi.org/10.1145/1.2") == "10.1145/1.2"


# --- faults -----------------------------------------------------------------------------------

def test_a_failing_service_is_named_and_exit_is_1(
        project: Path, fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    fake.faults["arxiv"] = ["500"] * 10
    fake.s2["ARXIV:2505.20118"]["abstract"] = None
    path = write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "abstract,venue") == 1
    out = capsys.readouterr().out
    assert "papers/trojanstego.yaml: venue added (Semantic Scholar); abstract not filled: " \
        "arXiv failed (HTTP 500" in out
    assert "arXiv failed: HTTP 500 Internal Server Error from " in out
    assert "(1 paper not fully enriched; run enrich again later)" in out
    assert 'venue: "EMNLP"\n' in path.read_text("utf-8")  # what did come in is kept
    # Nothing recorded as done: the next run asks arXiv again.
    fake.faults.clear()
    assert run("--only", "abstract,venue") == 0
    assert "abstract: >-" in path.read_text("utf-8")


def test_another_service_can_make_up_for_a_failing_one(
        project: Path, fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    fake.faults["arxiv"] = ["500"] * 10
    path = write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "abstract") == 0
    assert "abstract added (Semantic Scholar)" in capsys.readouterr().out
    assert "S2's shorter abstract." in path.read_text("utf-8")


def test_429_with_retry_after_is_waited_out(project: Path, fake: Fake,
                                            sleeps: list[float]) -> None:
    fake.faults["s2"] = ["429"]
    path = write(project, "wild.yaml", DOI_YAML)
    assert run("--only", "venue") == 0
    assert 7.0 in sleeps
    assert 'venue: "Conference on Computer and Communications Security"' in \
        path.read_text("utf-8")
    assert len(fake.asked("s2")) == 2


def test_timeouts_fail_the_service_not_the_run(
        project: Path, fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    fake.faults["arxiv"] = ["timeout"] * 4
    fake.s2["ARXIV:2505.20118"]["abstract"] = None
    write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "abstract") == 1
    assert "arXiv failed: network error: timed out" in capsys.readouterr().out


@pytest.mark.parametrize("service", ["arxiv", "s2"])
def test_malformed_answers_are_failures(project: Path, fake: Fake, service: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    fake.faults[service] = ["malformed"] * 4
    fake.s2["ARXIV:2505.20118"]["abstract"] = None
    fake.arxiv.pop("2505.20118")
    write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "abstract") == 1
    out = capsys.readouterr().out
    expected = {"arxiv": "arXiv failed: arXiv answered something that is not an Atom feed",
                "s2": "Semantic Scholar failed: malformed JSON from "}[service]
    assert expected in out


def test_a_partial_batch_answer_enriches_the_known_papers(
        project: Path, fake: Fake, capsys: pytest.CaptureFixture[str]) -> None:
    fake.arxiv.clear()
    write(project, "trojanstego.yaml", TROJAN_YAML)
    unknown = write(project, "unknown.yaml", TROJAN_YAML.replace("2505.20118", "2501.99999")
                    .replace("TrojanStego: Your", "Unknown Paper: Your"))
    assert run("--only", "venue") == 0
    out = capsys.readouterr().out
    assert "papers/trojanstego.yaml: venue added (Semantic Scholar)" in out
    assert "still missing: venue 1" in out
    assert fake.asked("s2")[0]["ids"] == ["ARXIV:2505.20118", "ARXIV:2501.99999"]
    assert unknown.read_text("utf-8") == TROJAN_YAML.replace("2505.20118", "2501.99999") \
        .replace("TrojanStego: Your", "Unknown Paper: Your")


def test_semantic_scholar_key_is_sent_when_set(project: Path, fake: Fake,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SEMANTIC_SCHOLAR_API_KEY", "k-123")
    write(project, "wild.yaml", DOI_YAML)
    assert run("--only", "venue") == 0
    headers = [h for name, _, _, h in fake.requests if name == "s2"][0]
    assert {k.lower(): v for k, v in headers.items()}.get("x-api-key") == "k-123"


# --- resuming ---------------------------------------------------------------------------------

def _four(project: Path) -> list[Path]:
    papers = []
    for i, (arxiv_id, title) in enumerate((
            ("2401.01234", "Tight $\\epsilon$-DP Bounds for Memorization in LLMs"),
            ("2402.00001", "A Withdrawn Result on Membership Inference"),
            ("2403.00002", "Watermarks That Survive Fine-Tuning"),
            ("2505.20118", "TrojanStego"))):
        papers.append(write(project, f"p{i}.yaml", f'title: "{title}"\nadded: 2026-11-27\n'
                            f'arxiv: "{arxiv_id}"\ncategory: covert-channels\n'
                            "tags: [steganography]\n"))
    return papers


def test_a_rerun_after_the_server_died_continues_where_it_stopped(
        project: Path, fake: Fake, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(enrich, "CHUNK", 2)
    papers = _four(project)
    fake.die_after = 2  # the first chunk's arXiv and Semantic Scholar answers, then nothing
    assert run("--only", "authors,venue") == 1
    out = capsys.readouterr().out
    assert "papers/p0.yaml: authors added (arXiv)" in out
    assert "papers/p2.yaml: authors added (arXiv)" not in out
    assert "arXiv failed: network error" in out
    assert "authors:" in papers[0].read_text("utf-8")
    assert "authors:" not in papers[2].read_text("utf-8")
    state = json.loads((project / ".reading-list" / "enrich.json").read_text("utf-8"))
    assert len(state["checked"]) == 2  # p0 and p1: asked, venue not to be had
    assert (project / ".reading-list" / ".gitignore").read_text("utf-8").endswith("*\n")
    # Back up: only the second chunk is asked for.
    fake.die_after = None
    fake.requests.clear()
    assert run("--only", "authors,venue") == 0
    out = capsys.readouterr().out
    assert "2 skipped (asked before, unchanged since)" in out
    queries = [urllib.parse.parse_qs(urllib.parse.urlsplit(p).query)["id_list"][0]
               for name, p, _, _ in fake.requests if name == "arxiv"]
    assert queries == ["2403.00002,2505.20118"]
    assert "authors:" in papers[2].read_text("utf-8")
    # A third run asks nothing at all; an edited file is asked about again.
    fake.requests.clear()
    assert run("--only", "authors,venue") == 0
    assert fake.requests == []
    papers[0].write_text(papers[0].read_text("utf-8") + "note: edited\n", "utf-8")
    assert run("--only", "authors,venue") == 0
    assert len(fake.asked("s2")) == 1


def test_an_interrupted_run_keeps_what_it_wrote(project: Path, fake: Fake,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(enrich, "CHUNK", 2)
    papers = _four(project)
    real = metadata.fetch_arxiv
    calls = []

    def interrupted(*args: Any, **kwargs: Any) -> metadata.Lookup:
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt  # Ctrl-C during the second chunk
        return real(*args, **kwargs)

    monkeypatch.setattr(metadata, "fetch_arxiv", interrupted)
    assert run("--only", "authors") == 130
    assert "interrupted" in capsys.readouterr().err
    assert "authors:" in papers[0].read_text("utf-8")
    assert "authors:" not in papers[3].read_text("utf-8")
    monkeypatch.setattr(metadata, "fetch_arxiv", real)
    fake.requests.clear()
    assert run("--only", "authors") == 0
    assert len(fake.asked("arxiv")) == 1
    assert all("authors:" in p.read_text("utf-8") for p in papers)


# --- usage ------------------------------------------------------------------------------------

def test_usage_errors_exit_2_before_any_request(project: Path, fake: Fake,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "abstract,colour") == 2
    assert "unknown field in --only: colour (choose from abstract, authors" in \
        capsys.readouterr().err
    assert run("papers/nope/") == 2
    assert "no such file or folder: papers/nope" in capsys.readouterr().err
    assert fake.requests == []


def test_unreadable_files_are_reported_and_others_enriched(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(project, "broken.yaml", "title: [unclosed\n")
    write(project, "trojanstego.yaml", TROJAN_YAML)
    assert run("--only", "doi") == 1
    out = capsys.readouterr().out
    assert "papers/broken.yaml: cannot read it: " in out
    assert "papers/trojanstego.yaml: doi added (arXiv)" in out


def test_enrich_files_is_callable_without_the_cli(project: Path, fake: Fake) -> None:
    path = write(project, "trojanstego.yaml", TROJAN_YAML, folder="papers/inbox")
    out = io.StringIO()
    summary = enrich.enrich_files(
        [path], only={"doi"}, overwrite=False, dry_run=False, env=fake.env(), out=out,
        today=TODAY, clients=metadata.clients_from_env(fake.env(), sleep=lambda s: None))
    assert summary.exit_code == 0 and summary.count("enriched") == 1
    assert out.getvalue().splitlines()[0] == "papers/inbox/trojanstego.yaml: doi added (arXiv)"
