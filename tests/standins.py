"""Loopback stand-ins for the metadata services, answering in their real shapes from a table
of papers: arXiv's API (Atom, batched ``id_list``) and Semantic Scholar's batch endpoint.

Used by the import tests and by ``benchmarks/bench_import.py`` (instant answers, so what is
measured is our side: parsing, merging, checking, writing, and the configured waits)."""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import yaml

_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <id>https://arxiv.org/api/standin</id>
  <title>arXiv Query: search_query=&amp;id_list={ids}&amp;start=0&amp;max_results={n}</title>
  <updated>2026-12-01T00:00:00Z</updated>
  <opensearch:itemsPerPage>{n}</opensearch:itemsPerPage>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
"""


@dataclass(frozen=True)
class Paper:
    """What the stand-ins know of one paper."""

    arxiv: str
    title: str
    abstract: str
    authors: tuple[str, ...]
    published: str = "2024-05-01"  #: YYYY-MM-DD of the first version


def atom_entry(p: Paper) -> str:
    names = "".join(f"    <author><name>{escape(a)}</name></author>\n" for a in p.authors)
    return f"""  <entry>
    <id>http://arxiv.org/abs/{p.arxiv}v1</id>
    <updated>{p.published}T12:00:00Z</updated>
    <published>{p.published}T12:00:00Z</published>
    <title>{escape(p.title)}</title>
    <summary>  {escape(p.abstract)}
</summary>
{names}    <link href="http://arxiv.org/abs/{p.arxiv}v1" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/{p.arxiv}v1" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CR" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CR" scheme="http://arxiv.org/schemas/atom"/>
  </entry>
"""


@dataclass
class StandIn:
    """The running stand-in: its base URL, the environment that points clients at it, and
    the requests it answered."""

    papers: Mapping[str, Paper]
    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def env(self) -> dict[str, str]:
        return {"ARXIV_API_URL": f"{self.url}/arxiv/api/query",
                "SEMANTIC_SCHOLAR_API_URL": f"{self.url}/s2",
                "CROSSREF_API_URL": f"{self.url}/crossref",
                "OPENALEX_API_URL": f"{self.url}/openalex"}


class _Handler(BaseHTTPRequestHandler):
    server: Any

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        stand: StandIn = self.server.stand
        parsed = urllib.parse.urlsplit(self.path)
        with stand.lock:
            stand.requests.append(("GET", parsed.path))
        if parsed.path.startswith("/arxiv/"):
            query = urllib.parse.parse_qs(parsed.query)
            ids = query.get("id_list", [""])[0].split(",")
            found = [stand.papers[i] for i in ids if i in stand.papers]
            body = _HEAD.format(ids=",".join(ids), n=len(ids), total=len(found))
            body += "".join(atom_entry(p) for p in found) + "</feed>\n"
            return self._send(200, body.encode(), "application/atom+xml; charset=utf-8")
        self._send(404, b'{"message": "Not Found"}', "application/json")

    def do_POST(self) -> None:  # noqa: N802
        stand: StandIn = self.server.stand
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"null")
        with stand.lock:
            stand.requests.append(("POST", self.path))
        if self.path.startswith("/s2/graph/v1/paper/batch"):
            # Semantic Scholar answers null for ids it does not know; these stand-ins know
            # nothing arXiv did not already say, so every answer is null.
            ids = body.get("ids", []) if isinstance(body, dict) else []
            return self._send(200, json.dumps([None] * len(ids)).encode(),
                              "application/json")
        self._send(404, b'{"message": "Not Found"}', "application/json")


@contextmanager
def serve(papers: Mapping[str, Paper]) -> Iterator[StandIn]:
    """Run the stand-ins on a free loopback port for the ``with`` block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.stand = StandIn(papers, url=f"http://127.0.0.1:{server.server_port}")  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.stand  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def list_papers(folder: Path) -> dict[str, Paper]:
    """The papers of a list folder that have an arXiv id and an abstract, as the stand-ins
    serve them (the default list: real metadata of 200 papers)."""
    out = {}
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text("utf-8"))
        if not isinstance(data, dict) or not data.get("arxiv") or not data.get("abstract"):
            continue
        published = str(data.get("published") or "2024-01")
        published = (published + "-01-01")[:10] if len(published) == 4 else \
            (published + "-01")[:10]
        out[data["arxiv"]] = Paper(data["arxiv"], " ".join(data["title"].split()),
                                   " ".join(data["abstract"].split()),
                                   tuple(data.get("authors") or ()), published)
    return out
