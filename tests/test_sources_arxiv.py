"""arXiv and Crossref clients against a local stand-in server that also plays faults.

The recorded answers below follow the shapes the real services send (Atom from
export.arxiv.org/api/query; JSON from api.crossref.org/works/{doi}), including arXiv's
HTTP-200 traps: an empty feed for an unknown id and an "Error" entry for a malformed one.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generator.sources import arxiv, crossref
from generator.sources.http import USER_AGENT, HttpClient, HttpError

FEED_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/SkuXkYxumgL1drFIL7NufdnpkFc</id>
  <title>arXiv Query: search_query=&amp;id_list={id}&amp;start=0&amp;max_results=1</title>
  <updated>2026-11-27T00:00:00Z</updated>
  <link href="https://arxiv.org/api/query?id_list={id}" type="application/atom+xml"/>
  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
"""


def feed(arxiv_id: str, entry: str = "") -> bytes:
    """An Atom answer for ``arxiv_id`` holding ``entry`` (none: arXiv's unknown-id answer)."""
    head = FEED_HEAD.replace("{id}", arxiv_id).replace("{total}", "1" if entry else "0")
    return (head + entry + "</feed>\n").encode("utf-8")


def entry(arxiv_id: str, version: int, title: str, summary: str, authors: list[str],
          published: str = "2025-05-26T15:20:11Z", extra: str = "") -> str:
    names = "".join(f"    <author><name>{a}</name></author>\n" for a in authors)
    return f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v{version}</id>
    <title>{title}</title>
    <updated>2025-09-01T10:00:00Z</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v{version}" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{arxiv_id}v{version}" rel="related"
          type="application/pdf" title="pdf"/>
    <summary>{summary}</summary>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CR" scheme="http://arxiv.org/schemas/atom"/>
    <published>{published}</published>
{extra}    <arxiv:primary_category term="cs.CL"/>
{names}  </entry>
"""


TROJAN_SUMMARY = """  As large language models (LLMs) become integrated into sensitive workflows,
concerns grow over their potential to leak confidential information. We propose
TrojanStego, a novel threat model in which an adversary fine-tunes an LLM to embed
sensitive context information into natural-looking outputs via linguistic steganography,
without requiring explicit control over inference inputs. Experimental results show that
compromised models reliably transmit 32-bit secrets with 87% accuracy on held-out prompts.
"""
TROJAN = entry("2505.20118", 3,
               "TrojanStego: Your Language Model Can Secretly Be A Steganographic Privacy\n"
               "  Leaking Agent", TROJAN_SUMMARY,
               ["Dominik Meier", "Jan Philip Wahle", "Paul R\u00f6ttger", "Terry Ruas",
                "Bela Gipp"],
               extra="    <arxiv:comment>9 pages, EMNLP 2025</arxiv:comment>\n"
                     "    <arxiv:journal_ref>EMNLP 2025</arxiv:journal_ref>\n"
                     "    <arxiv:doi>10.18653/v1/2025.emnlp-main.1</arxiv:doi>\n")
LATEX_SUMMARY = """  We prove an $O(n^{2}\\log n)$ bound for $\\epsilon$-differentially private
training when $\\epsilon &lt; 1$ and $\\delta \\ll 1/n$, using \\textit{privacy
amplification} &amp; $\\mathcal{R}$-DP accountants.
  In a second paragraph we audit $k \\geq 3$ models.
"""
MANY_AUTHORS = [f"Author Number{i} Lastname" for i in range(1, 61)]
LATEX = entry("2401.01234", 1, "Tight $\\epsilon$-DP Bounds for Memorization in\n  LLMs",
              LATEX_SUMMARY, MANY_AUTHORS, published="2024-01-02T18:59:59Z")
WITHDRAWN = entry("2402.00001", 2, "A Withdrawn Result on Membership Inference",
                  "  This paper has been withdrawn by the authors due to an error in Lemma 2.\n",
                  ["Some One"], published="2024-02-01T00:00:00Z",
                  extra="    <arxiv:comment>This paper has been withdrawn by the authors due"
                        " to a crucial error</arxiv:comment>\n")
ERROR_ENTRY = """  <entry>
    <id>http://arxiv.org/api/errors#incorrect_id_format_for_1234.5678</id>
    <title>Error</title>
    <summary>incorrect id format for 1234.5678</summary>
    <updated>2026-11-27T00:00:00-05:00</updated>
    <link href="http://arxiv.org/api/errors#incorrect_id_format_for_1234.5678"
          rel="alternate" type="text/html"/>
    <author><name>arXiv api core</name></author>
  </entry>
"""


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/atom+xml; charset=utf-8"


@dataclass
class StubServer:
    """Answers GET requests by key (arXiv: the id_list; Crossref: the DOI), one scripted
    reply after another (the last one repeats), and records every request."""

    url: str
    script: dict[str, list[Reply]]
    requests: list[tuple[str, dict[str, str]]]

    def on(self, key: str, *replies: Reply) -> None:
        self.script[key] = list(replies)


def _key(path: str) -> str:
    parsed = urllib.parse.urlsplit(path)
    query = urllib.parse.parse_qs(parsed.query)
    if "id_list" in query:
        return query["id_list"][0]
    return urllib.parse.unquote(parsed.path).removeprefix("/works/")


@pytest.fixture
def stub() -> Iterator[StubServer]:
    script: dict[str, list[Reply]] = {}
    requests: list[tuple[str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            requests.append((self.path, dict(self.headers)))
            replies = script.get(_key(self.path)) or [Reply(404, b"Resource not found.")]
            reply = replies.pop(0) if len(replies) > 1 else replies[0]
            if reply.delay:
                time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield StubServer(f"http://127.0.0.1:{server.server_port}/api/query", script, requests)
    finally:
        server.shutdown()
        server.server_close()


def fast_client(url: str, **options: object) -> HttpClient:
    """Like the real clients, minus the waiting (sleep is recorded, not slept)."""
    defaults: dict[str, object] = {"timeout": 2.0, "retries": 2, "backoff": 0.01,
                                   "min_interval": arxiv.MIN_INTERVAL, "sleep": lambda s: None}
    defaults.update(options)
    return HttpClient(url, **defaults)  # type: ignore[arg-type]


# --- ids and URLs -------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2505.20118", "2505.20118"),
    ("2505.20118v2", "2505.20118"),
    ("arXiv:2505.20118", "2505.20118"),
    ("https://arxiv.org/abs/2505.20118", "2505.20118"),
    ("https://arxiv.org/abs/2505.20118v3", "2505.20118"),
    ("http://arxiv.org/pdf/2505.20118v1.pdf", "2505.20118"),
    ("https://arxiv.org/pdf/2505.20118", "2505.20118"),
    ("arxiv.org/abs/2505.20118/", "2505.20118"),
    ("https://export.arxiv.org/abs/2505.20118?context=cs", "2505.20118"),
    ("https://www.arxiv.org/abs/1706.03762v7", "1706.03762"),
    ("0704.0001", "0704.0001"),
    ("cs/0112017", "cs/0112017"),
    ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
    ("math.GT/0309136", "math.GT/0309136"),
    ("  2505.20118  ", "2505.20118"),
])
def test_parse_arxiv_id_accepts_ids_and_urls(text: str, expected: str) -> None:
    assert arxiv.parse_arxiv_id(text) == expected


@pytest.mark.parametrize("text", ["", "2505.2011", "2513.20118", "0705.12345", "10.1145/3576915",
                                  "https://example.org/abs/2505.20118", "trojanstego",
                                  "2505.20118v", "https://arxiv.org/list/cs.CR/recent"])
def test_parse_arxiv_id_rejects_other_text(text: str) -> None:
    assert arxiv.parse_arxiv_id(text) is None


def test_unwrap_joins_wrapped_lines_and_keeps_paragraphs_and_latex() -> None:
    assert arxiv.unwrap("  One $a\n\\leq b$ two\nthree.\n  Second  para.\n") == \
        "One $a \\leq b$ two three.\n\nSecond para."


# --- parsing recorded answers --------------------------------------------------------------

def test_normal_paper_becomes_fields() -> None:
    paper = arxiv.parse_feed(feed("2505.20118", TROJAN), "2505.20118")
    assert paper.title == ("TrojanStego: Your Language Model Can Secretly Be A Steganographic "
                           "Privacy Leaking Agent")
    assert paper.authors == ("Dominik Meier", "Jan Philip Wahle", "Paul R\u00f6ttger",
                             "Terry Ruas", "Bela Gipp")
    assert paper.published == "2025-05-26"  # the first version, not <updated>
    assert paper.arxiv == "2505.20118"
    assert paper.doi == "10.18653/v1/2025.emnlp-main.1"
    assert paper.journal_ref == "EMNLP 2025"
    assert paper.abstract.startswith("As large language models (LLMs) become integrated into "
                                     "sensitive workflows, concerns grow")
    assert "\n" not in paper.abstract
    assert paper.fields()["venue"] == "EMNLP 2025"


def test_latex_and_many_authors_are_kept_exactly() -> None:
    paper = arxiv.parse_feed(feed("2401.01234", LATEX), "2401.01234")
    assert paper.title == "Tight $\\epsilon$-DP Bounds for Memorization in LLMs"
    assert paper.abstract == (
        "We prove an $O(n^{2}\\log n)$ bound for $\\epsilon$-differentially private training "
        "when $\\epsilon < 1$ and $\\delta \\ll 1/n$, using \\textit{privacy amplification} & "
        "$\\mathcal{R}$-DP accountants.\n\nIn a second paragraph we audit $k \\geq 3$ models.")
    assert paper.authors == tuple(MANY_AUTHORS)
    assert paper.doi is None and paper.journal_ref is None
    assert paper.published == "2024-01-02"


def test_unknown_id_empty_feed_is_a_clear_error() -> None:
    with pytest.raises(arxiv.SourceError, match="arXiv has no paper 2599.99999"):
        arxiv.parse_feed(feed("2599.99999"), "2599.99999")


def test_error_entry_is_not_mistaken_for_a_paper() -> None:
    with pytest.raises(arxiv.SourceError, match="rejected the id .*incorrect id format"):
        arxiv.parse_feed(feed("1234.5678", ERROR_ENTRY), "1234.5678")


def test_withdrawn_paper_is_refused() -> None:
    with pytest.raises(arxiv.SourceError, match="withdrawn"):
        arxiv.parse_feed(feed("2402.00001", WITHDRAWN), "2402.00001")


def test_comment_mentioning_withdrawal_elsewhere_is_not_withdrawn() -> None:
    body = TROJAN.replace("9 pages, EMNLP 2025", "v2 replaces an earlier version withdrawn")
    assert arxiv.parse_feed(feed("2505.20118", body), "2505.20118").title


@pytest.mark.parametrize("raw", [
    b"Rate exceeded.",
    b"<html><body>Service unavailable</body></html>",
    feed("2505.20118", TROJAN)[:600],  # truncated mid-document
    b"",
])
def test_malformed_answers_are_clear_errors(raw: bytes) -> None:
    with pytest.raises(arxiv.SourceError, match="not an Atom feed"):
        arxiv.parse_feed(raw, "2505.20118")


def test_entry_for_another_id_is_not_accepted() -> None:
    with pytest.raises(arxiv.SourceError, match="no paper"):
        arxiv.parse_feed(feed("2505.20118", TROJAN), "2505.20119")


# --- over HTTP, with faults ----------------------------------------------------------------

def test_fetch_sends_id_and_user_agent(stub: StubServer) -> None:
    stub.on("2505.20118", Reply(body=feed("2505.20118", TROJAN)))
    paper = arxiv.fetch("2505.20118", fast_client(stub.url))
    assert paper.arxiv == "2505.20118"
    path, headers = stub.requests[0]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    assert query["id_list"] == ["2505.20118"]
    assert headers["User-Agent"] == USER_AGENT


def test_503_then_success_is_retried(stub: StubServer) -> None:
    stub.on("2505.20118", Reply(503, b"busy"), Reply(body=feed("2505.20118", TROJAN)))
    sleeps: list[float] = []
    paper = arxiv.fetch("2505.20118", fast_client(stub.url, sleep=sleeps.append))
    assert paper.title.startswith("TrojanStego")
    assert len(stub.requests) == 2
    assert sleeps and max(sleeps) >= arxiv.MIN_INTERVAL - 0.5  # the polite gap was kept


def test_429_retry_after_is_honoured(stub: StubServer) -> None:
    stub.on("2505.20118", Reply(429, b"slow down", {"Retry-After": "7"}),
            Reply(body=feed("2505.20118", TROJAN)))
    sleeps: list[float] = []
    arxiv.fetch("2505.20118", fast_client(stub.url, sleep=sleeps.append, min_interval=0))
    assert 7.0 in sleeps


def test_persistent_500_raises_http_error(stub: StubServer) -> None:
    stub.on("2505.20118", Reply(500, b"oops"))
    with pytest.raises(HttpError, match="HTTP 500"):
        arxiv.fetch("2505.20118", fast_client(stub.url))
    assert len(stub.requests) == 3  # first try + 2 retries


def test_timeout_raises_http_error(stub: StubServer) -> None:
    stub.on("2505.20118", Reply(body=feed("2505.20118", TROJAN), delay=1.0))
    started = time.monotonic()
    with pytest.raises(HttpError, match="network error|timed out"):
        arxiv.fetch("2505.20118", fast_client(stub.url, timeout=0.2, retries=1))
    assert time.monotonic() - started < 1.5


def test_client_from_env_uses_arxiv_api_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    client = arxiv.client_from_env()
    assert client.base_url == "http://127.0.0.1:9/api/query"
    assert client.min_interval == arxiv.MIN_INTERVAL
    monkeypatch.delenv("ARXIV_API_URL")
    assert arxiv.client_from_env().base_url == "https://export.arxiv.org/api/query"


# --- Crossref -------------------------------------------------------------------------------

CROSSREF_WORK = {
    "status": "ok", "message-type": "work", "message-version": "1.0.0",
    "message": {
        "DOI": "10.1145/3576915.3623097", "type": "proceedings-article",
        "title": ["Stealing the   Decoding Algorithms of Language Models"],
        "author": [{"given": "Ali", "family": "Naseh", "sequence": "first"},
                   {"given": "Kalpesh", "family": "Krishna", "sequence": "additional"},
                   {"name": "The Example Consortium", "sequence": "additional"}],
        "container-title": ["Proceedings of the 2023 ACM SIGSAC Conference on Computer and "
                            "Communications Security"],
        "published-print": {"date-parts": [[2023, 11, 21]]},
        "published-online": {"date-parts": [[2023, 11, 15]]},
        "issued": {"date-parts": [[2023, 11, 15]]},
        "abstract": "<jats:title>Abstract</jats:title><jats:p>A key component of generating "
                    "text from modern language models (LM) is the selection and tuning of "
                    "decoding algorithms &amp; their $k$ values.</jats:p><jats:p>Second.</jats:p>",
        "URL": "https://doi.org/10.1145/3576915.3623097",
    },
}


@pytest.mark.parametrize("text, expected", [
    ("10.1145/3576915.3623097", "10.1145/3576915.3623097"),
    ("https://doi.org/10.1145/3576915.3623097", "10.1145/3576915.3623097"),
    ("doi:10.1038/s42256-024-00857-z", "10.1038/s42256-024-00857-z"),
    ("not a doi", None),
    ("10.12/x", None),
])
def test_parse_doi(text: str, expected: str | None) -> None:
    assert crossref.parse_doi(text) == expected


def test_crossref_work_becomes_fields(stub: StubServer) -> None:
    stub.on("10.1145/3576915.3623097", Reply(body=json.dumps(CROSSREF_WORK).encode(),
                                             content_type="application/json"))
    work = crossref.fetch("10.1145/3576915.3623097", fast_client(stub.url.replace(
        "/api/query", ""), min_interval=0))
    assert work.title == "Stealing the Decoding Algorithms of Language Models"
    assert work.authors == ("Ali Naseh", "Kalpesh Krishna", "The Example Consortium")
    assert work.published == "2023-11-15"  # the earliest of print/online/issued
    assert work.venue.startswith("Proceedings of the 2023 ACM SIGSAC")
    assert work.abstract == ("A key component of generating text from modern language models "
                             "(LM) is the selection and tuning of decoding algorithms & their "
                             "$k$ values.\n\nSecond.")
    assert stub.requests[0][0] == "/works/10.1145/3576915.3623097"


def test_crossref_unknown_doi_is_a_clear_error(stub: StubServer) -> None:
    with pytest.raises(arxiv.SourceError, match="Crossref has no work with DOI 10.9999/nope"):
        crossref.fetch("10.9999/nope", fast_client(stub.url.replace("/api/query", "")))


def test_crossref_malformed_json_is_a_clear_error(stub: StubServer) -> None:
    stub.on("10.1145/x", Reply(body=b'{"status": "ok", "message": {"title": ['))
    with pytest.raises(arxiv.SourceError, match="not JSON"):
        crossref.fetch("10.1145/x", fast_client(stub.url.replace("/api/query", "")))


@pytest.mark.parametrize("data", [[], {"status": "ok"}, {"message": {"title": []}},
                                  {"message": "x"}])
def test_crossref_records_without_a_work_are_clear_errors(data: object) -> None:
    with pytest.raises(arxiv.SourceError):
        crossref.parse_work(data, "10.1/x")


def test_crossref_year_only_date() -> None:
    data = {"message": {"title": ["T"], "issued": {"date-parts": [[2021]]}}}
    assert crossref.parse_work(data, "10.1/x").published == "2021"


def _best_time(func, arg, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        func(arg)
        best = min(best, time.perf_counter() - start)
    return best


@pytest.mark.parametrize("piece", ["<jats:title>", "<jats:p", "<a", "x<>", "\n \t",
                                   "<jats:p>&amp;</jats:p>"])
def test_crossref_cleaning_is_linear_in_the_input(piece: str) -> None:
    """An abstract crafted for backtracking (thousands of unclosed tags) costs about 16 times
    more at 16 times the size, not 256 times: compared as a ratio, not a clock time."""
    small, large = piece * 2_000 + "end", piece * 32_000 + "end"
    ratio = _best_time(crossref.jats_to_text, large) / max(
        _best_time(crossref.jats_to_text, small), 1e-6)
    assert ratio < 64, f"{ratio:.0f}x the time for 16x the input"


def test_crossref_cleaning_keeps_text_that_only_looks_like_markup() -> None:
    assert crossref.jats_to_text("a < b <jats:italic>c</jats:italic> <> d>e") == "a < b c <> d>e"
    assert crossref.jats_to_text("<jats:title>x<jats:p>y</jats:p>") == "x\n\ny"
    assert crossref.jats_to_text("one\n  \ntwo\nthree") == "one\n\ntwo three"


@pytest.mark.parametrize("message", [
    {"title": ["T"], "author": 5}, {"title": ["T"], "author": [{"given": {"x": 1}}]},
    {"title": ["T"], "issued": "2020"}, {"title": ["T"], "issued": {"date-parts": "2020"}},
    {"title": ["T"], "issued": {"date-parts": [[2020, 10 ** 400]]}},
    {"title": ["T"], "issued": {"date-parts": [[True]]}}, {"title": ["T"], "abstract": ["x"]},
    {"title": ["T"], "DOI": 7, "URL": ["u"]},
])
def test_crossref_answers_of_the_wrong_shape_do_not_raise(message: dict) -> None:
    """Every level of the answer is checked: a wrong type is left out, never a traceback."""
    work = crossref.parse_work({"message": message}, "10.1/x")
    assert (work.title, work.authors, work.published, work.doi, work.url, work.abstract) == (
        "T", (), None, "10.1/x", None, None)


def test_arxiv_answer_that_is_not_xml_skips_feedparsers_slow_parser(monkeypatch) -> None:
    """feedparser's fallback for text that is not XML costs ~25 us a byte (a minute for the
    2 MiB an arXiv answer may have), only for the answer to be refused: expat refuses it
    first, and the real feed still goes through feedparser."""
    def never(raw: bytes) -> None:
        raise AssertionError("feedparser ran on an answer that is not XML")

    real = arxiv.feedparser.parse
    monkeypatch.setattr(arxiv.feedparser, "parse", never)
    with pytest.raises(arxiv.SourceError, match="not an Atom feed: '<feed><a <a"):
        arxiv.parse_feed(b"<feed>" + b"<a " * 700_000, "2401.01234")
    monkeypatch.setattr(arxiv.feedparser, "parse", real)
    assert arxiv.parse_feed(feed("2505.20118", TROJAN), "2505.20118").arxiv == "2505.20118"
    assert arxiv.client_from_env().max_bytes == arxiv.MAX_ANSWER_BYTES == 2 * 1024 * 1024
