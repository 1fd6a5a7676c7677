"""Popularity signal providers: Semantic Scholar, Hugging Face papers, GitHub.

Each provider answers one question: "what are today's values of my signals for these
papers?" It returns a :class:`FetchResult` and never raises for a paper or a service that
fails: failures are data, so one broken service affects only its own values.

Base URLs come from the environment (``SEMANTIC_SCHOLAR_API_URL``, ``HF_API_URL``,
``GITHUB_API_URL``) so tests and mirrors can point elsewhere; all requests go through
:class:`~generator.sources.http.HttpClient` (timeouts, retries honouring Retry-After).

**Scale.** Each service is asked as its published limits allow (:data:`LIMITS`, one
thread-safe :class:`~generator.sources.http.RateLimiter` per provider): Semantic Scholar
500 papers per request (its batch endpoint), GitHub 100 repositories per GraphQL query when
``GITHUB_TOKEN`` is set (REST, one repository per request, without it: GraphQL needs a
token), and Hugging Face, which has no batch endpoint, one paper per request from a few
threads sharing the limiter. A provider asked with a ``budget`` takes the papers in the
order given (the caller puts the stalest first), and leaves the rest, as ``deferred``, once
the next request could not start before the budget ends.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..core.entries import ARXIV_VERSION_RE, Paper
from ..core.metrics import COUNT_RANGE, describe, is_count
from .http import HttpClient, HttpError, RateLimiter

Progress = Callable[[str, int, int], None]  # provider name, done, total

#: After this many failures in a row a provider stops asking: when the network is down or
#: the quota is spent, the remaining requests would fail too, only slower.
MAX_CONSECUTIVE_FAILURES = 3

S2_DEFAULT_URL = "https://api.semanticscholar.org"
HF_DEFAULT_URL = "https://huggingface.co"
GITHUB_DEFAULT_URL = "https://api.github.com"
S2_BATCH_SIZE = 500  # the batch endpoint's documented maximum
GITHUB_GRAPHQL_BATCH = 100  # repositories per query: GraphQL's documented node page size


@dataclass(frozen=True)
class Limit:
    """A published rate limit as we apply it: ``requests`` per ``per`` seconds, at least
    ``spacing`` seconds apart, asked from ``workers`` threads (see docs/fork.md)."""

    requests: int
    per: float
    spacing: float = 0.0
    workers: int = 1
    source: str = ""  #: what the service publishes, and where

    def limiter(self, clock: Callable[[], float] = time.monotonic,
                sleep: Callable[[float], None] | None = None) -> RateLimiter:
        return RateLimiter(self.requests, self.per, self.spacing, clock=clock, sleep=sleep)


#: The services' published limits (looked up 2026-12) and what we use of them.
LIMITS = {
    # An API key: an introductory 1 request per second on every endpoint. Without one, a
    # pool shared by every anonymous caller (documented as 100 requests per 5 minutes for
    # years, and throttled hard from shared CI addresses): one request per 3 s.
    "semantic-scholar-key": Limit(1, 1.0, source="1 request/s with an API key"),
    "semantic-scholar": Limit(1, 3.0, source="shared anonymous pool; 100 per 5 min"),
    # Hub API requests from an anonymous address: 500 per 5-minute window. We use 90% of
    # it (other tools on the same runner count too), at most 10 a second, from 4 threads.
    "hugging-face": Limit(450, 300.0, spacing=0.1, workers=4,
                          source="500 Hub API requests per 5 min per IP, anonymous"),
    # REST without a token: 60 requests an hour per address; GitHub asks for serial
    # requests (secondary limits), so one thread.
    "github": Limit(60, 3600.0, spacing=1.0, source="REST: 60 requests/h anonymous"),
    # GraphQL with a token: 5,000 points an hour (a personal token), 1,000 for the
    # GITHUB_TOKEN of an Actions run, the lower one used here; a query of 100 repositories
    # costs 1 point.
    "github-graphql": Limit(1000, 3600.0, spacing=1.0,
                            source="GraphQL: 1,000 points/h with an Actions token"),
}
GITHUB_REPO_RE = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/"
    r"([A-Za-z0-9._-]+?)(?:\.git)?/?(?:[/?#].*)?$")


@dataclass
class FetchResult:
    """One provider's answer: values for the papers it could measure, and what failed."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)  #: id -> signal -> n
    unknown: list[str] = field(default_factory=list)  #: ids the service does not know
    failures: list[tuple[str, str]] = field(default_factory=list)  #: (id, message)
    asked: int = 0  #: papers this provider had an identifier for
    #: ids left for the next run: the budget ran out before they could be asked
    deferred: list[str] = field(default_factory=list)


class Provider:
    """The interface: a name, the signals it measures, and :meth:`fetch`."""

    name = "provider"
    label = "Provider"
    signals: tuple[str, ...] = ()
    batch_size = 1  #: keys per request

    def __init__(self, client: HttpClient, workers: int = 1) -> None:
        self.client = client
        self.workers = max(1, workers)

    def key(self, paper: Paper) -> str | None:
        """The identifier this service knows the paper by (None: not measurable here)."""
        raise NotImplementedError

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None,
              budget: float | None = None) -> FetchResult:
        """Today's values for the papers this provider can measure, asked in the order
        given; with a ``budget`` (seconds), the papers not asked in time are ``deferred``."""
        raise NotImplementedError

    def capacity(self, seconds: float) -> int | None:
        """How many keys the rate limit lets us ask about in ``seconds`` (None: no limit
        is known, so no estimate)."""
        limiter = self.client.limiter
        return None if limiter is None else limiter.capacity(seconds) * self.batch_size

    def split(self, papers: Sequence[Paper], seconds: float | None
              ) -> tuple[list[Paper], list[Paper]]:
        """``papers`` (in priority order) cut where the rate limit cannot cover more in
        ``seconds``: (to ask, left for later). Papers sharing a key stay together."""
        room = None if seconds is None else self.capacity(seconds)
        if room is None:
            return list(papers), []
        keys: dict[str, int] = {}
        ask, later = [], []
        for paper in papers:
            key = self.key(paper)
            if key is None:
                ask.append(paper)
                continue
            index = keys.setdefault(key, len(keys))
            (ask if index < room else later).append(paper)
        return ask, later

    def _clock(self) -> Callable[[], float]:
        limiter = self.client.limiter
        return limiter.clock if limiter is not None else self.client.clock

    def _deadline(self, budget: float | None) -> float | None:
        return None if budget is None else self._clock()() + budget

    def _out_of_time(self, deadline: float | None) -> bool:
        """Whether the next request could not start before ``deadline``."""
        if deadline is None:
            return False
        limiter = self.client.limiter
        start = limiter.next_start() if limiter is not None else self.client.clock()
        return start >= deadline

    def _targets(self, papers: Sequence[Paper]) -> dict[str, list[str]]:
        """key -> paper ids (several entries may share a repository), in the order given."""
        targets: dict[str, list[str]] = {}
        for paper in papers:
            key = self.key(paper)
            if key:
                targets.setdefault(key, []).append(paper.id)
        return targets

    def _one_by_one(self, papers: Sequence[Paper], progress: Progress | None,
                    get: Callable[[str], dict[str, int] | None],
                    budget: float | None = None) -> FetchResult:
        """Fetch per key from ``workers`` threads with a circuit breaker; ``get`` returns
        None for an unknown key. Outcomes are collected per key and listed in the order
        given, so the result does not depend on which thread finished first."""
        targets = list(self._targets(papers).items())
        result = FetchResult(asked=sum(len(ids) for _, ids in targets))
        deadline = self._deadline(budget)
        outcomes: list[tuple[str, Any]] = [("deferred", None)] * len(targets)
        lock = threading.Lock()
        state = {"next": 0, "streak": 0, "done": 0}
        last_error = [""]
        crashed: list[BaseException] = []

        def finish(i: int, outcome: tuple[str, Any]) -> None:
            outcomes[i] = outcome
            state["done"] += len(targets[i][1])
            if progress:
                progress(self.name, state["done"], result.asked)

        def work() -> None:
            while True:
                with lock:
                    i = state["next"]
                    if i >= len(targets) or crashed:
                        return
                    state["next"] += 1
                    if state["streak"] >= MAX_CONSECUTIVE_FAILURES:
                        finish(i, ("failed", f"not asked after {state['streak']} failures "
                                             f"in a row ({last_error[0]})"))
                        continue
                if self._out_of_time(deadline):
                    with lock:
                        finish(i, ("deferred", None))
                    continue
                try:
                    values = get(targets[i][0])
                except HttpError as exc:
                    with lock:
                        state["streak"] += 1
                        last_error[0] = str(exc)
                        finish(i, ("failed", str(exc)))
                except BaseException as exc:  # a bug: the provider fails, as one thread did
                    with lock:
                        crashed.append(exc)
                    return
                else:
                    with lock:
                        state["streak"] = 0
                        finish(i, ("unknown", None) if values is None else ("values", values))

        threads = [threading.Thread(target=work, name=f"{self.name}-{n}", daemon=True)
                   for n in range(min(self.workers, len(targets)))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if crashed:
            raise crashed[0]
        for (_, ids), (kind, data) in zip(targets, outcomes, strict=True):
            if kind == "values":
                for i in ids:
                    result.values[i] = dict(data)
            elif kind == "unknown":
                result.unknown.extend(ids)
            elif kind == "failed":
                result.failures.extend((i, data) for i in ids)
            else:
                result.deferred.extend(ids)
        return result


def _count(data: Any, name: str, where: str) -> int:
    """The count ``name`` in an answer, checked: an int (not a bool) in the history's range
    (see :func:`generator.core.metrics.is_count`). Anything else (a float, a string, a negative
    number, 1e400, a 400-digit number) is an HttpError for this paper, not a value."""
    if not isinstance(data, dict) or name not in data:
        raise HttpError(f"unexpected answer from {where}: no {name} count", None, where)
    value = data[name]
    if not is_count(value):
        raise HttpError(f"unexpected answer from {where}: {name} is {describe(value)}, not a "
                        f"count ({COUNT_RANGE})", None, where)
    return value


def arxiv_id(paper: Paper) -> str | None:
    """The paper's arXiv id without a version suffix."""
    return ARXIV_VERSION_RE.sub("", paper.arxiv) if paper.arxiv else None


class SemanticScholar(Provider):
    """Citations and influential citations, 500 papers per request (batch endpoint)."""

    name = "semantic-scholar"
    label = "Semantic Scholar"
    signals = ("citations", "influential_citations")
    FIELDS = "citationCount,influentialCitationCount"
    batch_size = S2_BATCH_SIZE

    def key(self, paper: Paper) -> str | None:
        arxiv = arxiv_id(paper)
        if arxiv:
            return f"ARXIV:{arxiv}"
        return f"DOI:{paper.doi}" if paper.doi else None

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None,
              budget: float | None = None) -> FetchResult:
        deadline = self._deadline(budget)
        targets = self._targets(papers)
        result = FetchResult(asked=sum(len(ids) for ids in targets.values()))
        unknown = self._batches(list(targets.items()), result, progress, deadline)
        # An arXiv id Semantic Scholar does not resolve may still be found by its DOI.
        second = [(f"DOI:{p.doi}", [p.id]) for p in papers
                  if p.id in unknown and p.arxiv and p.doi]
        if second and not self._out_of_time(deadline):
            unknown = (unknown - {ids[0] for _, ids in second}) | self._batches(second, result)
        result.unknown = sorted(unknown)
        return result

    def _batches(self, items: list[tuple[str, list[str]]], result: FetchResult,
                 progress: Progress | None = None, deadline: float | None = None
                 ) -> set[str]:
        unknown: set[str] = set()
        done = 0
        for start in range(0, len(items), S2_BATCH_SIZE):
            batch = items[start:start + S2_BATCH_SIZE]
            if self._out_of_time(deadline):
                result.deferred.extend(pid for _, ids in batch for pid in ids)
                done += sum(len(ids) for _, ids in batch)
                continue
            keys = [key for key, _ in batch]
            try:
                answer = self.client.post_json("graph/v1/paper/batch", {"ids": keys},
                                               params={"fields": self.FIELDS})
                if not isinstance(answer, list) or len(answer) != len(keys):
                    raise HttpError("unexpected answer from Semantic Scholar: expected a list "
                                    f"of {len(keys)} papers", None, self.client.base_url)
            except HttpError as exc:
                result.failures.extend((pid, str(exc)) for _, ids in batch for pid in ids)
            else:
                for (_, ids), item in zip(batch, answer, strict=True):
                    if item is None:  # the documented answer for an id it does not know
                        unknown.update(ids)
                        continue
                    try:
                        values = {"citations": _count(item, "citationCount", "Semantic Scholar"),
                                  "influential_citations": _count(
                                      item, "influentialCitationCount", "Semantic Scholar")}
                    except HttpError as exc:
                        result.failures.extend((pid, str(exc)) for pid in ids)
                        continue
                    for pid in ids:
                        result.values[pid] = dict(values)
            done += sum(len(ids) for _, ids in batch)
            if progress:
                progress(self.name, done, result.asked)
        return unknown


class HuggingFace(Provider):
    """Upvotes of the paper's page on Hugging Face (papers not on the Hub are unknown).

    The Hub has no batch endpoint for papers: one request per paper, from ``workers``
    threads sharing the client's rate limiter."""

    name = "hugging-face"
    label = "Hugging Face"
    signals = ("hf_upvotes",)

    def key(self, paper: Paper) -> str | None:
        return arxiv_id(paper)

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None,
              budget: float | None = None) -> FetchResult:
        def get(arxiv: str) -> dict[str, int] | None:
            try:
                data = self.client.get_json(f"api/papers/{arxiv}")
            except HttpError as exc:
                if exc.status == 404:
                    return None
                raise
            return {"hf_upvotes": _count(data, "upvotes", "Hugging Face")}

        return self._one_by_one(papers, progress, get, budget)


def github_repo(url: str) -> str | None:
    """``owner/repo`` for a github.com repository URL (None for anything else)."""
    match = GITHUB_REPO_RE.match(url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


class GitHub(Provider):
    """Stars of the repository in the entry's ``links.code``, one REST request each (the
    API without a token)."""

    name = "github"
    label = "GitHub"
    signals = ("github_stars",)

    def key(self, paper: Paper) -> str | None:
        code = dict(paper.links).get("code")
        return github_repo(code) if code else None

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None,
              budget: float | None = None) -> FetchResult:
        def get(repo: str) -> dict[str, int] | None:
            try:
                data = self.client.get_json(f"repos/{repo}")
            except HttpError as exc:
                if exc.status == 404:
                    return None
                raise
            return {"github_stars": _count(data, "stargazers_count", "GitHub")}

        return self._one_by_one(papers, progress, get, budget)


class GitHubGraphQL(GitHub):
    """The same stars through GitHub's GraphQL API, 100 repositories per query (needs a
    token: the client must send one). Repositories are passed as variables, never spliced
    into the query text."""

    batch_size = GITHUB_GRAPHQL_BATCH

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None,
              budget: float | None = None) -> FetchResult:
        deadline = self._deadline(budget)
        items = list(self._targets(papers).items())
        result = FetchResult(asked=sum(len(ids) for _, ids in items))
        done = 0
        for start in range(0, len(items), GITHUB_GRAPHQL_BATCH):
            batch = items[start:start + GITHUB_GRAPHQL_BATCH]
            if self._out_of_time(deadline):
                result.deferred.extend(pid for _, ids in batch for pid in ids)
            else:
                self._query(batch, result)
            done += sum(len(ids) for _, ids in batch)
            if progress:
                progress(self.name, done, result.asked)
        return result

    def _query(self, batch: list[tuple[str, list[str]]], result: FetchResult) -> None:
        params = ", ".join(f"$o{i}: String!, $n{i}: String!" for i in range(len(batch)))
        fields = " ".join(f"r{i}: repository(owner: $o{i}, name: $n{i}) {{ stargazerCount }}"
                          for i in range(len(batch)))
        variables: dict[str, str] = {}
        for i, (repo, _) in enumerate(batch):
            variables[f"o{i}"], variables[f"n{i}"] = repo.split("/", 1)
        try:
            answer = self.client.post_json("graphql", {"query": f"query({params}) {{ {fields} }}",
                                                       "variables": variables})
            data = answer.get("data") if isinstance(answer, dict) else None
            errors = answer.get("errors") if isinstance(answer, dict) else None
            errors = [e for e in errors if isinstance(e, dict)] if isinstance(errors, list) else []
            if not isinstance(data, dict):
                reason = _graphql_message(errors[0]) if errors else "no data"
                raise HttpError(f"GitHub GraphQL answered without data: {reason}", None,
                                self.client.base_url)
        except HttpError as exc:
            result.failures.extend((pid, str(exc)) for _, ids in batch for pid in ids)
            return
        by_alias = {}
        for error in errors:
            path = error.get("path")
            if isinstance(path, list) and path and isinstance(path[0], str):
                by_alias.setdefault(path[0], error)
        for i, (_, ids) in enumerate(batch):
            item = data.get(f"r{i}")
            try:
                if item is None:
                    error = by_alias.get(f"r{i}")
                    if error is None or error.get("type") == "NOT_FOUND":
                        result.unknown.extend(ids)  # no such repository (or not visible)
                        continue
                    raise HttpError(f"GitHub GraphQL: {_graphql_message(error)}", None,
                                    self.client.base_url)
                values = {"github_stars": _count(item, "stargazerCount", "GitHub")}
            except HttpError as exc:
                result.failures.extend((pid, str(exc)) for pid in ids)
                continue
            for pid in ids:
                result.values[pid] = dict(values)


def _graphql_message(error: Mapping[str, Any]) -> str:
    """A GraphQL error's type and message, short (the server's text: shown, not obeyed)."""
    kind = error.get("type")
    message = error.get("message")
    text = " ".join(str(message).split())[:200] if isinstance(message, str) else "an error"
    return f"{kind}: {text}" if isinstance(kind, str) else text


def default_providers(env: Mapping[str, str] | None = None,
                      sleep: Callable[[float], None] | None = None,
                      timeout: float = 20.0,
                      clock: Callable[[], float] = time.monotonic) -> list[Provider]:
    """The three providers configured from the environment, each with its service's
    published limit (:data:`LIMITS`) in a rate limiter on ``clock``.

    ``SEMANTIC_SCHOLAR_API_KEY`` is sent when set (its own, higher limit). With
    ``GITHUB_TOKEN`` GitHub is asked through GraphQL (``GITHUB_API_URL``/graphql, 100
    repositories a query); without it through REST, within the 60 requests an hour GitHub
    allows anonymous callers. ``sleep`` is used for retries and rate-limit waits (None:
    ``time.sleep``, looked up at call time so tests can stub it).
    """
    env = os.environ if env is None else env
    s2_key = env.get("SEMANTIC_SCHOLAR_API_KEY", "").strip()
    gh_token = env.get("GITHUB_TOKEN", "").strip()
    s2_headers = {"x-api-key": s2_key} if s2_key else {}
    gh_headers = {"Accept": "application/vnd.github+json",
                  "X-GitHub-Api-Version": "2022-11-28"}
    if gh_token:
        gh_headers["Authorization"] = f"Bearer {gh_token}"

    def client(url_env: str, default: str, limit: Limit, **kw: Any) -> HttpClient:
        return HttpClient(env.get(url_env) or default, timeout=timeout, retries=3,
                          sleep=lambda s: (sleep or time.sleep)(s),
                          limiter=limit.limiter(clock, sleep), **kw)

    s2_limit = LIMITS["semantic-scholar-key" if s2_key else "semantic-scholar"]
    hf_limit = LIMITS["hugging-face"]
    gh_limit = LIMITS["github-graphql" if gh_token else "github"]
    gh_client = client("GITHUB_API_URL", GITHUB_DEFAULT_URL, gh_limit, backoff=1.0,
                       headers=gh_headers)
    return [
        SemanticScholar(client("SEMANTIC_SCHOLAR_API_URL", S2_DEFAULT_URL, s2_limit,
                               backoff=2.0, headers=s2_headers), s2_limit.workers),
        HuggingFace(client("HF_API_URL", HF_DEFAULT_URL, hf_limit, backoff=1.0),
                    hf_limit.workers),
        (GitHubGraphQL if gh_token else GitHub)(gh_client, gh_limit.workers),
    ]
