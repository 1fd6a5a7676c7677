"""Shared helpers for the browser tests and scripts: Debian's Chromium through Playwright, and
a loopback server for a built site that gzips what it sends and records every request."""

from __future__ import annotations

import gzip
import hashlib
import http.server
import mimetypes
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_CHROMIUM = ("no chromium installed (apt-get install chromium); .ci/run installs it so CI "
               "always runs these tests")
#: Flags for a quiet headless Chromium: nothing of its own goes to the network.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
#: What a static host (GitHub Pages, Netlify) sends compressed.
COMPRESSED = (".html", ".css", ".js", ".json", ".xml", ".svg", ".txt", ".bib", ".map")


def launch(playwright: Any) -> Any:
    """Debian's Chromium, headless, through Playwright."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


@dataclass
class Request:
    """One request the server answered: path, status and bytes of body sent."""

    path: str
    status: int
    size: int


@dataclass
class Log:
    """Every request a site server answered, in order."""

    requests: list[Request] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()

    def snapshot(self) -> list[Request]:
        with self.lock:
            return list(self.requests)


class _Handler(http.server.BaseHTTPRequestHandler):
    """Serves files under ``root`` the way a static host does: ``dir/`` gives
    ``dir/index.html``, text is gzipped when the client accepts it."""

    root: Path
    log: Log
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
        path = unquote(urlsplit(self.path).path)
        target = (self.root / path.lstrip("/")).resolve()
        if self.root not in (target, *target.parents):
            return self._send(path, 404, b"not found", "text/plain")
        if target.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return self._record(path, 301, 0)
            target = target / "index.html"
        if not target.is_file():
            page = self.root / "404.html"
            body = page.read_bytes() if page.is_file() else b"not found"
            return self._send(path, 404, body, "text/html; charset=utf-8")
        kind = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        if kind.startswith("text/") or kind.endswith(("javascript", "json", "xml")):
            kind += "; charset=utf-8"
        data = target.read_bytes()
        # An ETag as static hosts send: the browser revalidates (no-cache) and a file it has
        # gets a 304 without a body, which is not a second download.
        etag = '"' + hashlib.blake2b(data, digest_size=8).hexdigest() + '"'
        if self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return self._record(path, 304, 0)
        self._send(path, 200, data, kind, target.suffix in COMPRESSED, etag)

    def _send(self, path: str, status: int, body: bytes, kind: str,
              compress: bool = True, etag: str | None = None) -> None:
        headers = {"Content-Type": kind, "Cache-Control": "no-cache"}
        if etag:
            headers["ETag"] = etag
        if compress and "gzip" in self.headers.get("Accept-Encoding", ""):
            # mtime=0: the same bytes every time, so sizes are reproducible.
            body = gzip.compress(body, compresslevel=9, mtime=0)
            headers["Content-Encoding"] = "gzip"
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self._record(path, status, len(body))

    def _record(self, path: str, status: int, size: int) -> None:
        with self.log.lock:
            self.log.requests.append(Request(path, status, size))


@contextmanager
def serve(site: Path) -> Iterator[tuple[str, Log]]:
    """Serve a built site on a loopback port: yields its base URL and the request log."""
    log = Log()
    handler = type("Handler", (_Handler,), {"root": site.resolve(), "log": log})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", log
    finally:
        server.shutdown()
        server.server_close()
