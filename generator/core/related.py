"""Related papers: TF-IDF text similarity plus a bonus for shared tags and category.

Pure and fast: one sparse matrix per collection, and the similarity of every pair comes from
sparse matrix products done a block of rows at a time, so 10,000 papers take a few seconds
instead of the 50 million Python-level comparisons an all-pairs loop would need.

Each paper becomes one row of unit-length blocks,

    score(a, b) = TEXT_W * cos(text) + TAG_W * cos(tags) + CATEGORY_W * same_category

where the text vectors are TF-IDF over title and abstract (sparse, products by scipy) and
the tag vectors are unit-length one-hot rows (a few dozen columns, dense BLAS).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from .cache import Cache
from .entries import Collection, Paper

TEXT_W = 1.0
TAG_W = 0.35
CATEGORY_W = 0.1
TITLE_REPEAT = 2  # title words count twice: a title is a dense summary of the abstract
MAX_DF = 0.5  # words in more than half the papers say nothing about relatedness
MAX_DF_MIN_PAPERS = 50
BLOCK = 512  # rows per block of the product: bounds memory at BLOCK x N dense floats
DECIMALS = 9  # scores are rounded so ties (and their order by id) never depend on float noise

_WORD = re.compile(r"[a-z][a-z0-9]+")
# LaTeX command names (\mathcal, \textit) are markup, not content.
_LATEX_COMMAND = re.compile(r"\\[A-Za-z]+")
_STOPWORDS_TEXT = """
a about above across after again against all almost also although always am among an and any
are as at be because been before being below between both but by can could did do does doing
done down during each either else enough even ever every few for from further had has have
having he her here hers him his how however i if in into is it its itself just least less
like made make makes many may me might more most much must my neither no nor not now of off
often on once one only onto or other others our ours out over own per rather same several
she should show shows shown since so some such than that the their them then there these they
this those though through thus to too toward towards under until up upon us use used uses
using very via was we well were what when where whether which while who whom whose why will
with within without would yet you your paper papers propose proposed approach approaches
method methods results result work new based two three first second also et al
"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def tokens(text: str) -> list[str]:
    """Lowercase content words of ``text`` (LaTeX commands and stopwords dropped)."""
    text = _LATEX_COMMAND.sub(" ", text).lower()
    return [w for w in _WORD.findall(text) if w not in STOPWORDS]


def _paper_terms(title: str, abstract: str) -> Counter[str]:
    counts = Counter(tokens(abstract))
    for word in tokens(title):
        counts[word] += TITLE_REPEAT
    return counts


@dataclass(frozen=True)
class _Vocabulary:
    """Term -> column and inverse document frequency, learnt from one collection."""

    columns: dict[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, docs: Sequence[Counter[str]]) -> _Vocabulary:
        n = len(docs)
        df: Counter[str] = Counter()
        for doc in docs:
            df.update(doc.keys())
        # A word in one paper only cannot relate two papers; dropping it shrinks the matrix.
        # Very common words go too, but only in lists large enough for "common" to mean it.
        limit = int(MAX_DF * n) if n >= MAX_DF_MIN_PAPERS else n
        kept = sorted(t for t, d in df.items() if 2 <= d <= limit)
        idf = np.array([math.log((1 + n) / (1 + df[t])) + 1.0 for t in kept])
        return cls({t: i for i, t in enumerate(kept)}, idf)

    def matrix(self, docs: Sequence[Counter[str]]) -> sparse.csr_matrix:
        """Rows of L2-normalised tf-idf (sublinear tf) for ``docs``."""
        columns = self.columns
        pairs = [[(columns[t], c) for t, c in doc.items() if t in columns] for doc in docs]
        indptr = np.cumsum([0] + [len(p) for p in pairs])
        flat = np.array([x for p in pairs for x in p], dtype=np.int64).reshape(-1, 2)
        data = (1.0 + np.log(flat[:, 1])) * self.idf[flat[:, 0]]
        m = sparse.csr_matrix((data, flat[:, 0], indptr), shape=(len(docs), len(columns)))
        m.sort_indices()  # a canonical layout, so products add terms in one fixed order
        return _normalize(m)


class _Terms:
    """Terms numbered in order of first sight, and each paper's terms as numbers: a paper's
    text is turned into numbers once; the vocabulary of a build is then found with array
    operations. Kept in the build's cache, so a `serve` rebuild after one edit redoes one
    paper's terms; the numbering never changes the matrix (columns are in term order)."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.terms: list[str] = []
        self.vectors: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def vector(self, title: str, abstract: str) -> tuple[np.ndarray, np.ndarray]:
        """(term numbers, counts) of a paper's terms, in the order of ``_paper_terms``."""
        hit = self.vectors.get((title, abstract))
        if hit is not None:
            return hit
        terms = _paper_terms(title, abstract)
        ids = np.empty(len(terms), dtype=np.int64)
        counts = np.empty(len(terms), dtype=np.int64)
        for i, (term, count) in enumerate(terms.items()):
            number = self.ids.get(term)
            if number is None:
                number = self.ids[term] = len(self.terms)
                self.terms.append(term)
            ids[i], counts[i] = number, count
        self.vectors[(title, abstract)] = (ids, counts)
        return ids, counts

    def keep_only(self, texts: set[tuple[str, str]]) -> None:
        """Forget the vectors of papers no longer on the list (edited or removed)."""
        for key in [k for k in self.vectors if k not in texts]:
            del self.vectors[key]


def _text_matrix(papers: Sequence[Paper], terms: _Terms | None = None) -> sparse.csr_matrix:
    """``_Vocabulary.fit(docs).matrix(docs)`` for the papers' terms, the same matrix to the
    bit (a test holds them equal), from cached per-paper arrays: no per-term Python loop
    over the whole list, so a `serve` rebuild after one edit redoes one paper's terms."""
    n = len(papers)
    # A paper without an abstract is left out of the text part (an empty row): its title
    # alone would make it look unlike everything; tags and category still relate it.
    terms = terms if terms is not None else _Terms()
    texts = [(p.title, p.abstract) if p.abstract else ("", "") for p in papers]
    vectors = [terms.vector(*text) for text in texts]
    terms.keep_only(set(texts))
    term_names = terms.terms
    ids = np.concatenate([v[0] for v in vectors]) if vectors else np.zeros(0, np.int64)
    counts = np.concatenate([v[1] for v in vectors]) if vectors else np.zeros(0, np.int64)
    df = np.bincount(ids, minlength=len(term_names))  # a term occurs once in a paper's vector
    limit = int(MAX_DF * n) if n >= MAX_DF_MIN_PAPERS else n
    candidates = np.nonzero((df >= 2) & (df <= limit))[0].tolist()
    kept = sorted(candidates, key=term_names.__getitem__)  # columns in term order, as fit()
    column = np.full(len(term_names), -1, dtype=np.int64)
    column[kept] = np.arange(len(kept))
    idf = np.array([math.log((1 + n) / (1 + int(df[t]))) + 1.0 for t in kept])
    cols = column[ids]
    keep = cols >= 0
    rows = np.repeat(np.arange(n), [len(v[0]) for v in vectors])
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[keep], minlength=n))])
    data = (1.0 + np.log(counts[keep])) * idf[cols[keep]]
    m = sparse.csr_matrix((data, cols[keep], indptr), shape=(n, len(kept)))
    m.sort_indices()
    return _normalize(m)


def _normalize(m: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.csr_matrix(sparse.diags(1.0 / norms) @ m)


def _one_hot(rows: Sequence[Iterable[str]], names: Sequence[str]) -> sparse.csr_matrix:
    col = {name: i for i, name in enumerate(names)}
    r, c = [], []
    for i, values in enumerate(rows):
        for v in sorted(set(values)):
            if v in col:
                r.append(i)
                c.append(col[v])
    m = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rows), len(names)))
    return _normalize(m)


def _features(papers: Sequence[Paper], terms: _Terms | None = None
              ) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Weighted text rows (sparse) and weighted tag + category rows (dense)."""
    text = _text_matrix(papers, terms) * math.sqrt(TEXT_W)
    tag_names = sorted({t for p in papers for t in p.tags})
    cat_names = sorted({p.category for p in papers})
    # Tens of tags and categories: their part of the product is a small dense BLAS product.
    labels = np.hstack([
        _one_hot([p.tags for p in papers], tag_names).toarray() * math.sqrt(TAG_W),
        _one_hot([[p.category] for p in papers], cat_names).toarray() * math.sqrt(CATEGORY_W),
    ])
    return sparse.csr_matrix(text), labels


def _top(scores: np.ndarray, k: int, exclude: int | None = None) -> list[tuple[int, float]]:
    """The ``k`` best (index, score) pairs with score > 0: best first, ties by index."""
    scores = scores.copy()
    if exclude is not None:
        scores[exclude] = 0.0
    _, cols, vals = _candidates(scores[None, :], k, axis=1)
    return sorted(zip(cols.tolist(), vals.tolist(), strict=True),
                  key=lambda c: (-c[1], c[0]))[:k]


def _candidates(block: np.ndarray, k: int, axis: int) -> tuple[np.ndarray, np.ndarray,
                                                               np.ndarray]:
    """(row, col, rounded score) of the positive entries among the ``k`` best of each row
    (axis=1) or column (axis=0) of ``block``, keeping every entry tied with the k-th best.

    Scores are rounded to ``DECIMALS`` so equal scores that differ only by float noise count
    as ties (ordered by id later); the threshold is lowered by the same amount to keep them.
    """
    size = block.shape[axis]
    tolerance = 10.0 ** -DECIMALS
    if size > k:
        kth = np.take(np.partition(block, size - k, axis=axis), size - k, axis=axis)
        kth = np.expand_dims(np.maximum(kth - tolerance, tolerance), axis)
        rows, cols = np.nonzero(block >= kth)
    else:
        rows, cols = np.nonzero(block >= tolerance)
    return rows, cols, np.round(block[rows, cols], DECIMALS)


def related_scores(collection: Collection, k: int = 5, cache: Cache | None = None
                   ) -> dict[str, tuple[tuple[str, float], ...]]:
    """Paper id -> up to ``k`` (related id, score) pairs, best first, ties by id.

    The score matrix is symmetric, so each block of rows is multiplied only with itself and
    the rows after it; the block's columns then also propose candidates for those later rows.
    Every pair is scored once and the true top ``k`` of a row is always among its candidates.
    """
    papers = collection.papers  # sorted by id, so index order is id order
    n = len(papers)
    if n == 0 or k <= 0:
        return {p.id: () for p in papers}
    terms = cache.room("related").setdefault("terms", _Terms()) if cache is not None else None
    text, labels = _features(papers, terms)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for start in range(0, n, BLOCK):
        end = min(start + BLOCK, n)
        block = (text[start:end] @ text[start:].T).toarray()
        block += labels[start:end] @ labels[start:].T
        np.fill_diagonal(block, 0.0)  # the diagonal of the square part: a paper itself
        rows, cols, vals = _candidates(block, k, axis=1)
        found.append((rows + start, cols + start, vals))
        if end < n:
            rows, cols, vals = _candidates(block[:, end - start:], k, axis=0)
            found.append((cols + end, rows + start, vals))
    me = np.concatenate([f[0] for f in found])
    other = np.concatenate([f[1] for f in found])
    score = np.concatenate([f[2] for f in found])
    order = np.lexsort((other, -score, me))  # by paper, best first, ties by index (= id)
    me, other, score = me[order], other[order], score[order]
    first = np.searchsorted(me, me, side="left")
    keep = (np.arange(me.size) - first) < k
    result: dict[str, list[tuple[str, float]]] = {p.id: [] for p in papers}
    for i, j, s in zip(me[keep].tolist(), other[keep].tolist(), score[keep].tolist(),
                       strict=True):
        result[papers[i].id].append((papers[j].id, s))
    return {pid: tuple(pairs) for pid, pairs in result.items()}


def related_map(collection: Collection, k: int = 5, cache: Cache | None = None
                ) -> dict[str, tuple[str, ...]]:
    """Paper id -> up to ``k`` related paper ids, best first, deterministic ties (by id).

    With a ``cache``, the last result is reused while what it reads is unchanged (ids,
    titles, abstracts, tags, categories): a `serve` rebuild after editing a note or a venue
    does not redo it, and one after editing an abstract redoes that paper's terms only.
    """
    key = (k, tuple((p.id, p.title, p.abstract, p.tags, p.category)
                    for p in collection.papers))
    room = cache.room("related") if cache is not None else {}
    last = room.get("map")
    if last is not None and last[0] == key:
        return last[1]
    result = {pid: tuple(other for other, _ in pairs)
              for pid, pairs in related_scores(collection, k, cache).items()}
    room["map"] = (key, result)
    return result


@dataclass(frozen=True)
class Neighbor:
    """An entry similar to a new paper, and how similar (text cosine, 0..1)."""

    id: str
    title: str
    score: float
    category: str
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Suggestion:
    """A category and tags for a new paper, voted by its most similar entries."""

    category: str | None
    tags: tuple[str, ...]
    similar: tuple[Neighbor, ...]  #: the reason: the entries the votes came from

    def explain(self) -> list[str]:
        """Human-readable lines: the suggestion, then the similar entries it came from."""
        if not self.similar:
            return ["no similar entries on the list: choose a category and tags yourself"]
        lines = [f"suggested category: {self.category}",
                 f"suggested tags: {', '.join(self.tags)}",
                 "because the most similar entries on the list are:"]
        for n in self.similar:
            lines.append(f"  {n.score:.2f}  papers/{n.id}.yaml  [{n.category}: "
                         f"{', '.join(n.tags)}]  {n.title}")
        return lines


TAG_SHARE = 0.4  # a tag is suggested when entries holding 40% of the similarity carry it
MAX_TAGS = 4


def suggest(collection: Collection, title: str, abstract: str, k: int = 5) -> Suggestion:
    """Suggest a category and tags for a new paper from the ``k`` most similar entries.

    Each similar entry votes for its category and tags with its text similarity; the
    category with the most weight wins, and tags carried by at least ``TAG_SHARE`` of the
    weight are suggested (at least one, at most ``MAX_TAGS``). Ties are broken by slug.
    """
    papers = collection.papers
    if not papers:
        return Suggestion(None, (), ())
    docs = [_paper_terms(p.title, p.abstract) for p in papers]
    vocab = _Vocabulary.fit(docs)
    matrix = vocab.matrix(docs)
    query = vocab.matrix([_paper_terms(title, abstract)])
    scores = (matrix @ query.T).toarray().ravel()
    top = _top(scores, k)
    similar = tuple(Neighbor(papers[i].id, papers[i].title, s, papers[i].category,
                             papers[i].tags) for i, s in top)
    if not similar:
        return Suggestion(None, (), ())
    cat_votes: Counter[str] = Counter()
    tag_votes: Counter[str] = Counter()
    for n in similar:
        cat_votes[n.category] += n.score
        for tag in n.tags:
            tag_votes[tag] += n.score
    total = sum(n.score for n in similar)
    category = min(cat_votes, key=lambda c: (-round(cat_votes[c], DECIMALS), c))
    ranked = sorted(tag_votes, key=lambda t: (-round(tag_votes[t], DECIMALS), t))
    tags = [t for t in ranked if tag_votes[t] >= TAG_SHARE * total][:MAX_TAGS] or ranked[:1]
    return Suggestion(category, tuple(tags), similar)
