"""A small, polite HTTP client for web APIs: base URLs, timeouts, retries, rate limits.

Every network call of the project goes through :class:`HttpClient`, so tests point it at a
local server (base URLs come from the environment) and faults are handled in one place:
5xx and 429 are retried with exponential backoff that honours ``Retry-After``; timeouts and
connection errors are retried; anything else raises :class:`HttpError` with a clear message.
"""

from __future__ import annotations

import email.utils
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "reading-list/0.1 (+https://github.com/; curated paper list generator)"
RETRY_STATUSES = {429, 500, 502, 503, 504}


class HttpError(Exception):
    """A request that failed for good (after retries). ``status`` is None for network faults."""

    def __init__(self, message: str, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.url = url


@dataclass
class HttpClient:
    """HTTP with a base URL, a minimum interval between requests, and retries.

    ``sleep`` and ``clock`` are injectable so tests run without real waiting.
    """

    base_url: str
    timeout: float = 20.0
    retries: int = 3
    backoff: float = 1.0  #: first retry delay in seconds, doubled each time
    max_retry_after: float = 60.0  #: never wait longer than this for one Retry-After
    min_interval: float = 0.0  #: polite rate limit: seconds between request starts
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    _last: float | None = field(default=None, init=False, repr=False)

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Join ``path`` to the base URL and encode ``params`` (sorted, for stable URLs)."""
        base = self.base_url.rstrip("/") + "/"
        full = urllib.parse.urljoin(base, path.lstrip("/")) if path else self.base_url
        if params:
            query = urllib.parse.urlencode(sorted((k, v) for k, v in params.items()
                                                  if v is not None))
            full += ("&" if "?" in full else "?") + query
        return full

    def _throttle(self) -> None:
        if self.min_interval and self._last is not None:
            wait = self._last + self.min_interval - self.clock()
            if wait > 0:
                self.sleep(wait)
        self._last = self.clock()

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None,
                body: Any = None, headers: Mapping[str, str] | None = None) -> bytes:
        """Send a request and return the body; retries transient faults; raises HttpError."""
        url = self.url(path, params)
        data = None
        all_headers = {"User-Agent": USER_AGENT, **self.headers, **(headers or {})}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        last_error = "no attempt made"
        status: int | None = None
        for attempt in range(self.retries + 1):
            self._throttle()
            req = urllib.request.Request(url, data=data, method=method, headers=all_headers)
            delay = self.backoff * (2 ** attempt)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.read()
            except urllib.error.HTTPError as exc:
                status = exc.code
                last_error = f"HTTP {exc.code} {exc.reason}"
                if exc.code not in RETRY_STATUSES:
                    raise HttpError(f"{last_error} from {url}", exc.code, url) from None
                retry_after = _retry_after(exc.headers.get("Retry-After"))
                if retry_after is not None:
                    if retry_after > self.max_retry_after:
                        raise HttpError(f"{last_error} from {url}: asked to retry after "
                                        f"{retry_after:.0f} s", exc.code, url) from None
                    delay = max(delay, retry_after)
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                status = None
                reason = getattr(exc, "reason", exc)
                last_error = f"network error: {reason}"
            if attempt < self.retries:
                self.sleep(delay)
        raise HttpError(f"{last_error} from {url} (after {self.retries + 1} attempts)",
                        status, url)

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> bytes:
        return self.request("GET", path, params, headers=headers)

    def get_json(self, path: str, params: Mapping[str, Any] | None = None,
                 headers: Mapping[str, str] | None = None) -> Any:
        """GET and decode JSON; a malformed body raises HttpError."""
        return _decode(self.get(path, params, headers), self.url(path, params))

    def post_json(self, path: str, body: Any, params: Mapping[str, Any] | None = None,
                  headers: Mapping[str, str] | None = None) -> Any:
        """POST a JSON body and decode the JSON answer."""
        raw = self.request("POST", path, params, body=body, headers=headers)
        return _decode(raw, self.url(path, params))


def _decode(raw: bytes, url: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HttpError(f"malformed JSON from {url}: {exc}", None, url) from None


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
