"""Popularity signal providers: Semantic Scholar, Hugging Face papers, GitHub.

Each provider answers one question: "what are today's values of my signals for these
papers?" It returns a :class:`FetchResult` and never raises for a paper or a service that
fails: failures are data, so one broken service affects only its own values.

Base URLs come from the environment (``SEMANTIC_SCHOLAR_API_URL``, ``HF_API_URL``,
``GITHUB_API_URL``) so tests and mirrors can point elsewhere; all requests go through
:class:`~generator.sources.http.HttpClient` (timeouts, retries honouring Retry-After, a
polite minimum interval between requests).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..entries import Paper
from ..metrics import COUNT_RANGE, describe, is_count
from .http import HttpClient, HttpError

Progress = Callable[[str, int, int], None]  # provider name, done, total

#: After this many failures in a row a provider stops asking: when the network is down or
#: the quota is spent, the remaining requests would fail too, only slower.
MAX_CONSECUTIVE_FAILURES = 3

S2_DEFAULT_URL = "https://api.semanticscholar.org"
HF_DEFAULT_URL = "https://huggingface.co"
GITHUB_DEFAULT_URL = "https://api.github.com"
S2_BATCH_SIZE = 500  # the batch endpoint's documented maximum
GITHUB_REPO_RE = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)/"
    r"([A-Za-z0-9._-]+?)(?:\.git)?/?(?:[/?#].*)?$")
ARXIV_VERSION_RE = re.compile(r"v[0-9]+$")


@dataclass
class FetchResult:
    """One provider's answer: values for the papers it could measure, and what failed."""

    values: dict[str, dict[str, int]] = field(default_factory=dict)  #: id -> signal -> n
    unknown: list[str] = field(default_factory=list)  #: ids the service does not know
    failures: list[tuple[str, str]] = field(default_factory=list)  #: (id, message)
    asked: int = 0  #: papers this provider had an identifier for


class Provider:
    """The interface: a name, the signals it measures, and :meth:`fetch`."""

    name = "provider"
    label = "Provider"
    signals: tuple[str, ...] = ()

    def __init__(self, client: HttpClient) -> None:
        self.client = client

    def key(self, paper: Paper) -> str | None:
        """The identifier this service knows the paper by (None: not measurable here)."""
        raise NotImplementedError

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None) -> FetchResult:
        """Today's values for every paper this provider can measure."""
        raise NotImplementedError

    def _targets(self, papers: Sequence[Paper]) -> dict[str, list[str]]:
        """key -> paper ids (several entries may share a repository), in a stable order."""
        targets: dict[str, list[str]] = {}
        for paper in sorted(papers, key=lambda p: p.id):
            key = self.key(paper)
            if key:
                targets.setdefault(key, []).append(paper.id)
        return targets

    def _one_by_one(self, papers: Sequence[Paper], progress: Progress | None,
                    get: Callable[[str], dict[str, int] | None]) -> FetchResult:
        """Fetch per key with a circuit breaker; ``get`` returns None for an unknown key."""
        targets = self._targets(papers)
        result = FetchResult(asked=sum(len(ids) for ids in targets.values()))
        done = 0
        streak = 0
        last_error = ""
        for key, ids in targets.items():
            if streak >= MAX_CONSECUTIVE_FAILURES:
                result.failures.extend(
                    (i, f"not asked after {streak} failures in a row ({last_error})")
                    for i in ids)
            else:
                try:
                    values = get(key)
                except HttpError as exc:
                    streak += 1
                    last_error = str(exc)
                    result.failures.extend((i, last_error) for i in ids)
                else:
                    streak = 0
                    if values is None:
                        result.unknown.extend(ids)
                    else:
                        for i in ids:
                            result.values[i] = dict(values)
            done += len(ids)
            if progress:
                progress(self.name, done, result.asked)
        return result


def _count(data: Any, name: str, where: str) -> int:
    """The count ``name`` in an answer, checked: an int (not a bool) in the history's range
    (see :func:`generator.metrics.is_count`). Anything else (a float, a string, a negative
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

    def key(self, paper: Paper) -> str | None:
        arxiv = arxiv_id(paper)
        if arxiv:
            return f"ARXIV:{arxiv}"
        return f"DOI:{paper.doi}" if paper.doi else None

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None) -> FetchResult:
        targets = self._targets(papers)
        result = FetchResult(asked=sum(len(ids) for ids in targets.values()))
        unknown = self._batches(list(targets.items()), result, progress)
        # An arXiv id Semantic Scholar does not resolve may still be found by its DOI.
        second = [(f"DOI:{p.doi}", [p.id]) for p in sorted(papers, key=lambda p: p.id)
                  if p.id in unknown and p.arxiv and p.doi]
        if second:
            unknown = (unknown - {ids[0] for _, ids in second}) | self._batches(second, result)
        result.unknown = sorted(unknown)
        return result

    def _batches(self, items: list[tuple[str, list[str]]], result: FetchResult,
                 progress: Progress | None = None) -> set[str]:
        unknown: set[str] = set()
        done = 0
        for start in range(0, len(items), S2_BATCH_SIZE):
            batch = items[start:start + S2_BATCH_SIZE]
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
    """Upvotes of the paper's page on Hugging Face (papers not on the Hub are unknown)."""

    name = "hugging-face"
    label = "Hugging Face"
    signals = ("hf_upvotes",)

    def key(self, paper: Paper) -> str | None:
        return arxiv_id(paper)

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None) -> FetchResult:
        def get(arxiv: str) -> dict[str, int] | None:
            try:
                data = self.client.get_json(f"api/papers/{arxiv}")
            except HttpError as exc:
                if exc.status == 404:
                    return None
                raise
            return {"hf_upvotes": _count(data, "upvotes", "Hugging Face")}

        return self._one_by_one(papers, progress, get)


def github_repo(url: str) -> str | None:
    """``owner/repo`` for a github.com repository URL (None for anything else)."""
    match = GITHUB_REPO_RE.match(url.strip())
    return f"{match.group(1)}/{match.group(2)}" if match else None


class GitHub(Provider):
    """Stars of the repository in the entry's ``links.code``."""

    name = "github"
    label = "GitHub"
    signals = ("github_stars",)

    def key(self, paper: Paper) -> str | None:
        code = dict(paper.links).get("code")
        return github_repo(code) if code else None

    def fetch(self, papers: Sequence[Paper], progress: Progress | None = None) -> FetchResult:
        def get(repo: str) -> dict[str, int] | None:
            try:
                data = self.client.get_json(f"repos/{repo}")
            except HttpError as exc:
                if exc.status == 404:
                    return None
                raise
            return {"github_stars": _count(data, "stargazers_count", "GitHub")}

        return self._one_by_one(papers, progress, get)


def default_providers(env: Mapping[str, str] | None = None,
                      sleep: Callable[[float], None] | None = None,
                      timeout: float = 20.0) -> list[Provider]:
    """The three providers configured from the environment, with each service's limits.

    Semantic Scholar throttles anonymous callers hard (worse from shared CI addresses), so
    ``SEMANTIC_SCHOLAR_API_KEY`` is sent when set; GitHub allows 60 anonymous requests an
    hour and 5,000 with ``GITHUB_TOKEN``.
    """
    env = os.environ if env is None else env
    sleep = sleep or time.sleep  # looked up at call time, so tests can stub it
    s2_key = env.get("SEMANTIC_SCHOLAR_API_KEY", "").strip()
    gh_token = env.get("GITHUB_TOKEN", "").strip()
    s2_headers = {"x-api-key": s2_key} if s2_key else {}
    gh_headers = {"Accept": "application/vnd.github+json",
                  "X-GitHub-Api-Version": "2022-11-28"}
    if gh_token:
        gh_headers["Authorization"] = f"Bearer {gh_token}"
    return [
        SemanticScholar(HttpClient(env.get("SEMANTIC_SCHOLAR_API_URL") or S2_DEFAULT_URL,
                                   timeout=timeout, retries=3, backoff=2.0,
                                   min_interval=1.0 if s2_key else 3.0,
                                   headers=s2_headers, sleep=sleep)),
        HuggingFace(HttpClient(env.get("HF_API_URL") or HF_DEFAULT_URL, timeout=timeout,
                               retries=3, backoff=1.0, min_interval=0.5, sleep=sleep)),
        GitHub(HttpClient(env.get("GITHUB_API_URL") or GITHUB_DEFAULT_URL, timeout=timeout,
                          retries=3, backoff=1.0, min_interval=0.5 if gh_token else 1.0,
                          headers=gh_headers, sleep=sleep)),
    ]
