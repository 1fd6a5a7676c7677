"""A small, polite HTTP client for web APIs: base URLs, timeouts, retries, rate limits.

Every network call of the project goes through :class:`HttpClient`, so tests point it at a
local server (base URLs come from the environment) and faults are handled in one place:
5xx and 429 are retried with exponential backoff that honours ``Retry-After``; timeouts and
connection errors are retried; anything else raises :class:`HttpError` with a clear message.

Every answer is untrusted, so the client also bounds what a server can do to us:

* **Credentials stay with their host.** Redirects are followed here, not by urllib: only to
  ``http``/``https`` URLs, at most ``max_redirects`` times, and a hop to another origin
  (scheme, host or port) than the base URL's goes out without the credential headers
  (``Authorization``, ``Cookie``, ``x-api-key``, any header whose name says it is a key,
  token, secret or session, and any the caller lists in ``secret_headers``). They are not
  sent again later in that chain, even if it comes back. Error messages never quote headers,
  and URLs in them have their user info and secret-looking query values masked.
* **Bounded input.** A body larger than ``max_bytes`` fails (before reading, when its
  ``Content-Length`` says so), and one call of :meth:`HttpClient.request` ends within
  ``deadline`` seconds, retries and waits included, so a server trickling a byte a second
  cannot hold a command forever. Both default to the environment
  (``READING_LIST_HTTP_MAX_BYTES``, ``READING_LIST_HTTP_DEADLINE``), then to 32 MiB and
  120 s.
* **Broken replies are HttpErrors**: a truncated body, a reply that is not HTTP, invalid or
  absurdly nested JSON, a number too long to read.
"""

from __future__ import annotations

import email.utils
import http.client
import json
import math
import os
import re
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

USER_AGENT = "reading-list/0.1 (+https://github.com/; curated paper list generator)"
RETRY_STATUSES = {429, 500, 502, 503, 504}
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
MAX_REDIRECTS = 5
DEFAULT_MAX_BYTES = 32 * 1024 * 1024  #: no API answer or feed we read comes near this
DEFAULT_DEADLINE = 120.0  #: room for 3 retries, their backoff and one Retry-After wait
DEADLINE_ENV = "READING_LIST_HTTP_DEADLINE"
MAX_BYTES_ENV = "READING_LIST_HTTP_MAX_BYTES"
CHUNK_BYTES = 64 * 1024

#: Headers that carry credentials: sent only to the base URL's origin.
SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key"})
#: A header a future service adds (``X-Auth-Token``, ``Private-Key``...) is a secret too.
_SECRET_NAME = re.compile(r"auth|cookie|token|secret|passw|session|credential|key",
                          re.IGNORECASE)


class HttpError(Exception):
    """A request that failed for good (after retries). ``status`` is None for network faults."""

    def __init__(self, message: str, status: int | None = None, url: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class _Final(Exception):
    """A fault that retrying cannot mend (too large, deadline, bad redirect): not retried."""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Hand every 3xx back to :class:`HttpClient`, which decides where credentials go."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore
        return None


_OPENER = urllib.request.build_opener(_NoRedirect())


class RateLimiter:
    """A service's published rate limit, shared by every thread that calls it: at most
    ``requests`` request starts in any ``per`` seconds, and at least ``spacing`` seconds
    between two starts.

    A caller *reserves* the earliest start the limit allows, then sleeps until it: the
    reservation is made under a lock, the sleep outside it, so threads queue up in order
    and never start more than the limit allows in any window (a sliding window, which also
    keeps every fixed window a service may count in). :meth:`hold` pushes every later start
    past a server's ``Retry-After``. ``clock`` and ``sleep`` are injectable so tests and
    benchmarks run on a fake clock; ``sleep`` None means ``time.sleep`` looked up at call
    time (a test that stubs ``time.sleep`` stubs it here too).
    """

    def __init__(self, requests: int, per: float, spacing: float = 0.0,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] | None = None,
                 keep_starts: bool = False) -> None:
        if requests < 1 or per <= 0 or spacing < 0:
            raise ValueError("a rate limit needs requests >= 1, per > 0 and spacing >= 0")
        self.requests = requests
        self.per = per
        self.spacing = spacing
        self.clock = clock
        self.sleep = sleep
        self._starts: deque[float] = deque(maxlen=requests)  #: the last starts, oldest first
        self._held_until = -math.inf
        self._lock = threading.Lock()
        #: requests started and seconds waited, for summaries and benchmarks
        self.started = 0
        self.waited = 0.0
        #: every start granted, in order (with ``keep_starts``: tests and benchmarks)
        self.starts: list[float] | None = [] if keep_starts else None

    def _earliest(self, now: float) -> float:
        start = max(now, self._held_until)
        if self._starts:
            start = max(start, self._starts[-1] + self.spacing, self._starts[-1])
            if len(self._starts) == self.requests:
                start = max(start, self._starts[0] + self.per)
        return start

    def next_start(self) -> float:
        """When the next request could start (on ``clock``), without reserving it."""
        with self._lock:
            return self._earliest(self.clock())

    def acquire(self) -> float:
        """Wait for the next start the limit allows; returns the seconds waited. A thread
        that was already waiting when :meth:`hold` was called waits out the hold too."""
        with self._lock:
            now = self.clock()
            start = self._earliest(now)
            self._starts.append(start)
            self.started += 1
            if self.starts is not None:
                self.starts.append(start)
            wait = start - now
        waited = 0.0
        while wait > 0:
            (self.sleep or time.sleep)(wait)
            waited += wait
            with self._lock:
                wait = self._held_until - self.clock()
        with self._lock:
            self.waited += waited
        return waited

    def hold(self, seconds: float) -> None:
        """No request starts in the next ``seconds`` (a server asked, with Retry-After)."""
        with self._lock:
            self._held_until = max(self._held_until, self.clock() + seconds)

    def capacity(self, seconds: float) -> int:
        """How many requests a fresh limiter lets start within ``seconds`` (the windows
        that begin before then, each full, and no more than the spacing allows)."""
        if seconds <= 0:
            return 0
        count = self.requests * math.ceil(seconds / self.per)
        if self.spacing:
            count = min(count, math.ceil(seconds / self.spacing))
        return count


@dataclass
class HttpClient:
    """HTTP with a base URL, a minimum interval between requests, retries and limits.

    ``sleep`` and ``clock`` are injectable so tests run without real waiting. One client
    may be shared by several threads when it has a ``limiter`` (the service's rate limit,
    thread-safe); ``min_interval`` alone spaces the requests of one thread.
    """

    base_url: str
    timeout: float = 20.0  #: seconds for connecting and for each read
    retries: int = 3
    backoff: float = 1.0  #: first retry delay in seconds, doubled each time
    max_retry_after: float = 60.0  #: never wait longer than this for one Retry-After
    min_interval: float = 0.0  #: polite rate limit: seconds between request starts
    headers: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    #: largest body accepted, in bytes (None: ``READING_LIST_HTTP_MAX_BYTES`` or 32 MiB)
    max_bytes: int | None = None
    #: seconds one request may take, retries and waits included (None:
    #: ``READING_LIST_HTTP_DEADLINE`` or 120)
    deadline: float | None = None
    max_redirects: int = MAX_REDIRECTS
    #: further header names that must not leave the base URL's origin
    secret_headers: frozenset[str] = frozenset()
    #: the service's rate limit, shared by every thread using this client (instead of
    #: ``min_interval``); a ``Retry-After`` holds it for all of them
    limiter: RateLimiter | None = None
    _last: float | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Join ``path`` to the base URL and encode ``params`` (sorted, for stable URLs)."""
        base = self.base_url.rstrip("/") + "/"
        full = urllib.parse.urljoin(base, path.lstrip("/")) if path else self.base_url
        if params:
            query = urllib.parse.urlencode(sorted((k, v) for k, v in params.items()
                                                  if v is not None))
            full += ("&" if "?" in full else "?") + query
        return full

    def is_secret(self, header: str) -> bool:
        """Whether ``header`` carries a credential (never sent to another origin)."""
        name = header.lower()
        return (name in SECRET_HEADERS or name in {h.lower() for h in self.secret_headers}
                or bool(_SECRET_NAME.search(name)))

    def _throttle(self) -> float:
        """Wait for the rate limit; returns the seconds waited."""
        if self.limiter is not None:
            return self.limiter.acquire()
        wait = 0.0
        with self._lock:
            if self.min_interval and self._last is not None:
                wait = self._last + self.min_interval - self.clock()
                if wait > 0:
                    self.sleep(wait)
            self._last = self.clock()
        return max(wait, 0.0)

    def request(self, method: str, path: str, params: Mapping[str, Any] | None = None,
                body: Any = None, headers: Mapping[str, str] | None = None) -> bytes:
        """Send a request and return the body; retries transient faults; raises HttpError."""
        url = self.url(path, params)
        shown = redact(url)
        limit = _limit(self.max_bytes, MAX_BYTES_ENV, DEFAULT_MAX_BYTES, int, url)
        budget = _limit(self.deadline, DEADLINE_ENV, DEFAULT_DEADLINE, float, url)
        if _scheme(url) not in ("http", "https"):
            raise HttpError(f"only http and https URLs are fetched, not {shown}", None, url)
        data = None
        all_headers = {"User-Agent": USER_AGENT, **self.headers, **(headers or {})}
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            all_headers["Content-Type"] = "application/json"
        end = self.clock() + budget
        last_error = "no attempt made"
        status: int | None = None
        for attempt in range(self.retries + 1):
            # Our own pacing is not the server's slowness: a wait for the next window of
            # a rate limit (minutes, for some services) does not count against the deadline.
            end += self._throttle()
            delay = self.backoff * (2 ** attempt)
            try:
                return self._attempt(method, url, data, all_headers, limit, end, budget)
            except _Final as exc:
                raise HttpError(f"{exc} from {shown}", None, url) from None
            except urllib.error.HTTPError as exc:
                exc.close()
                status = exc.code
                last_error = f"HTTP {exc.code} {_reason(exc.reason)}"
                if exc.code not in RETRY_STATUSES:
                    raise HttpError(f"{last_error} from {shown}", exc.code, url) from None
                retry_after = _retry_after(exc.headers.get("Retry-After"))
                if retry_after is not None:
                    if retry_after > self.max_retry_after:
                        raise HttpError(f"{last_error} from {shown}: asked to retry after "
                                        f"{retry_after:.0f} s", exc.code, url) from None
                    delay = max(delay, retry_after)
                    if self.limiter is not None:  # the other threads wait as well
                        self.limiter.hold(retry_after)
            except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
                # OSError: refused, reset, socket timeout; HTTPException: a reply that is
                # not HTTP (BadStatusLine), a body cut short (IncompleteRead), and the like.
                status = None
                last_error = f"network error: {_network_reason(exc)}"
            except ValueError as exc:  # a URL http.client refuses (control characters...)
                raise HttpError(f"cannot request {shown}: {_reason(exc)}", None, url) from None
            if attempt < self.retries:
                if self.clock() + delay >= end:
                    raise HttpError(f"{last_error} from {shown} (gave up after "
                                    f"{attempt + 1} attempts: the deadline of {budget:g} s "
                                    "would pass before the next one)", status, url)
                self.sleep(delay)
        raise HttpError(f"{last_error} from {shown} (after {self.retries + 1} attempts)",
                        status, url)

    def _attempt(self, method: str, url: str, data: bytes | None, headers: dict[str, str],
                 limit: int, end: float, budget: float) -> bytes:
        """One attempt: follow redirects (credentials only to the base origin), read the
        body within ``limit`` bytes and before ``end``. Raises urllib/OSError faults for
        :meth:`request` to retry, :class:`_Final` for faults it must not retry."""
        home = _origin(self.base_url)
        if _origin(url) != home:  # a path that is a URL of its own: no credentials there
            headers = self._public(headers)
        for hop in range(self.max_redirects + 1):
            remaining = end - self.clock()
            if remaining <= 0:
                raise _Final(f"no complete answer within the deadline of {budget:g} s")
            req = urllib.request.Request(url, data=data, method=method, headers=headers)
            try:
                resp = _OPENER.open(req, timeout=min(self.timeout, remaining))
            except urllib.error.HTTPError as exc:
                location = exc.headers.get("Location") if exc.code in REDIRECT_STATUSES else None
                if location is None:
                    raise
                exc.close()
                if hop == self.max_redirects:
                    raise _Final(f"more than {self.max_redirects} redirects") from None
                url = _redirect_target(url, location)
                if _origin(url) != home:
                    headers = self._public(headers)
                if exc.code == 303 or (exc.code in (301, 302) and method == "POST"):
                    # What browsers do (and urllib did): the answer is fetched with GET.
                    method, data = "GET", None
                    headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
                continue
            with resp:
                return self._read(resp, limit, end, budget)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _public(self, headers: Mapping[str, str]) -> dict[str, str]:
        return {k: v for k, v in headers.items() if not self.is_secret(k)}

    def _read(self, resp: Any, limit: int, end: float, budget: float) -> bytes:
        """The body, read in chunks so that size and time are checked as it arrives."""
        declared = getattr(resp, "length", None)  # Content-Length as http.client parsed it
        if declared is not None and declared > limit:
            raise _Final(f"answer of {declared:,} bytes is larger than the limit of "
                         f"{limit:,} bytes")
        chunks: list[bytes] = []
        size = 0
        while True:
            if self.clock() > end:
                raise _Final(f"answer not complete within the deadline of {budget:g} s "
                             f"({size:,} bytes received)")
            chunk = resp.read1(CHUNK_BYTES)  # returns what has arrived, not a full chunk
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise _Final(f"answer larger than the limit of {limit:,} bytes")
            chunks.append(chunk)
        if declared is not None and size < declared:
            # read1 does not raise IncompleteRead for a Content-Length body: check here.
            raise http.client.IncompleteRead(b"".join(chunks), declared - size)
        return b"".join(chunks)

    def get(self, path: str, params: Mapping[str, Any] | None = None,
            headers: Mapping[str, str] | None = None) -> bytes:
        """GET ``path`` and return the body."""
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
    except json.JSONDecodeError as exc:
        reason = str(exc)
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 ({exc.reason} at byte {exc.start})"
    except RecursionError:
        reason = "nested too deeply"
    except ValueError:  # Python refuses integers of more than 4,300 digits
        reason = "a number too long to read"
    raise HttpError(f"malformed JSON from {redact(url)}: {reason}", None, url)


def _limit(value: float | None, env: str, default: float, kind: type, url: str) -> Any:
    """The option, else the environment variable, else the default; a bad value of the
    variable is an HttpError (reported like any other fault, never a traceback)."""
    if value is not None:
        return value
    text = os.environ.get(env, "").strip()
    if not text:
        return default
    try:
        number = kind(text)
    except ValueError:
        number = 0
    if not number > 0 or number == float("inf"):
        raise HttpError(f"{env}={text!r} is not a positive number "
                        f"({'bytes' if kind is int else 'seconds'})", None, url)
    return number


def _scheme(url: str) -> str:
    return urllib.parse.urlsplit(url).scheme.lower()


def _origin(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the default port filled in: what "same origin" compares."""
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # not a number: an origin of its own, equal to nothing sensible
        port = -1
    if port is None:
        port = {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def _redirect_target(current: str, location: str) -> str:
    """The absolute URL a redirect points at; anything but http(s) is refused."""
    # Quoted as urllib's own redirect handler does (a Location may hold spaces or UTF-8).
    target = urllib.parse.urljoin(current, location.strip())
    target = urllib.parse.quote(target, encoding="iso-8859-1", safe=string.punctuation)
    target = urllib.parse.urldefrag(target)[0]
    scheme = _scheme(target)
    if scheme not in ("http", "https"):
        raise _Final(f"redirected to a {_reason(scheme or 'relative')}: URL, which is not "
                     "followed (only http and https)")
    return target


def redact(url: str) -> str:
    """``url`` for messages: user info and the values of secret-looking query parameters
    (``token``, ``api_key``, ``sig``...) replaced by ``***``."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "(an invalid URL)"
    netloc = parts.netloc
    if "@" in netloc:
        netloc = "***@" + netloc.rsplit("@", 1)[1]
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        if any(_SECRET_NAME.search(k) or k.lower() in ("sig", "signature") for k, _ in pairs):
            query = urllib.parse.urlencode(
                [(k, "***" if _SECRET_NAME.search(k) or k.lower() in ("sig", "signature")
                  else v) for k, v in pairs], safe="*")
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def _reason(value: object, limit: int = 200) -> str:
    """A server's or the OS's words for a fault, short and on one line (they are quoted in
    messages: a reason phrase is the server's text)."""
    text = " ".join(str(value).split())
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _network_reason(exc: BaseException) -> str:
    """What went wrong on the wire, in words (urllib wraps the cause in a URLError)."""
    cause: object = getattr(exc, "reason", exc)
    if isinstance(cause, http.client.RemoteDisconnected):
        return "the server closed the connection without answering"
    if isinstance(cause, http.client.BadStatusLine):
        return f"the reply is not HTTP (it starts {_reason(repr(cause.line[:60]))})"
    if isinstance(cause, http.client.IncompleteRead):
        return (f"the answer was cut short ({len(cause.partial):,} bytes read, "
                f"{cause.expected:,} more expected)")
    if isinstance(cause, http.client.HTTPException):
        return f"bad HTTP reply ({type(cause).__name__}: {_reason(cause)})"
    if isinstance(cause, TimeoutError):
        return "timed out"
    return _reason(cause)


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
