"""Related papers and suggestions: checked against a brute-force reference implementation."""

from __future__ import annotations

import datetime as dt
import math
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from generator.core import related
from generator.core.entries import Category, Collection, Paper, Tag, Taxonomy

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from related_bench import synthetic  # noqa: E402

CATS = ("privacy", "covert", "evals")
TAGS = ("membership", "memorization", "steganography", "exfiltration", "contamination",
        "benchmarks")


def paper(pid: str, title: str, abstract: str, category: str = "privacy",
          tags: tuple[str, ...] = ("membership",)) -> Paper:
    return Paper(id=pid, source=f"papers/{pid}.yaml", title=title, abstract=abstract,
                 category=category, tags=tags, added=dt.date(2026, 1, 1))


def collection(*papers: Paper) -> Collection:
    taxonomy = Taxonomy(tuple(Category(c, c, c, i) for i, c in enumerate(CATS)),
                        tuple(Tag(t, t, "") for t in TAGS))
    return Collection(tuple(sorted(papers, key=lambda p: p.id)), taxonomy)


def text_terms(p: Paper) -> Counter[str]:
    """A paper's terms by definition: none without an abstract (left out of the text part)."""
    return related._paper_terms(p.title, p.abstract) if p.abstract else Counter()


def reference(coll: Collection, k: int) -> dict[str, tuple[str, ...]]:
    """The same scores by the definition, pair by pair (slow, obviously right)."""
    papers = coll.papers
    docs = [text_terms(p) for p in papers]
    n = len(docs)
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    limit = int(related.MAX_DF * n) if n >= related.MAX_DF_MIN_PAPERS else n
    kept = {t for t, c in df.items() if 2 <= c <= limit}
    vecs = []
    for d in docs:
        v = {t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1)
             for t, c in d.items() if t in kept}
        norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
        vecs.append({t: x / norm for t, x in v.items()})

    def score(i: int, j: int) -> float:
        a, b = papers[i], papers[j]
        text = sum(x * vecs[j].get(t, 0.0) for t, x in vecs[i].items())
        shared = len(set(a.tags) & set(b.tags))
        tags = shared / math.sqrt(len(set(a.tags)) * len(set(b.tags))) if shared else 0.0
        same = 1.0 if a.category == b.category else 0.0
        return related.TEXT_W * text + related.TAG_W * tags + related.CATEGORY_W * same

    out = {}
    for i, p in enumerate(papers):
        scored = [(round(score(i, j), related.DECIMALS), j) for j in range(n) if j != i]
        scored = [s for s in scored if s[0] > 0]
        scored.sort(key=lambda s: (-s[0], s[1]))
        out[p.id] = tuple(papers[j].id for _, j in scored[:k])
    return out


def random_collection(seed: int, n: int) -> Collection:
    rng = random.Random(seed)
    words = [f"word{i}" for i in range(60)]
    papers = []
    for i in range(n):
        papers.append(paper(f"p{i:03d}", " ".join(rng.choices(words, k=5)),
                            " ".join(rng.choices(words, k=rng.randint(0, 40))),
                            rng.choice(CATS), tuple(rng.sample(TAGS, rng.randint(1, 3)))))
    return collection(*papers)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("block", [1, 3, 7, 512])
@pytest.mark.parametrize("n", [25, 60])  # 60: above MAX_DF_MIN_PAPERS, common words dropped
def test_related_map_matches_brute_force(seed: int, block: int, n: int,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # Small blocks exercise the symmetric split (candidates from earlier blocks' columns).
    monkeypatch.setattr(related, "BLOCK", block)
    coll = random_collection(seed, n)
    assert related.related_map(coll, k=4) == reference(coll, 4)


def test_best_first_not_self_and_at_most_k() -> None:
    coll = random_collection(99, 40)
    scores = related.related_scores(coll, k=5)
    assert set(scores) == {p.id for p in coll.papers}
    for pid, pairs in scores.items():
        assert len(pairs) <= 5
        assert pid not in [other for other, _ in pairs]
        values = [s for _, s in pairs]
        assert values == sorted(values, reverse=True)


def test_ties_are_broken_by_id() -> None:
    text = "steganographic language models hide secrets in generated text"
    coll = collection(paper("zeta", "Hidden text", text), paper("alpha", "Hidden text", text),
                      paper("mid", "Hidden text", text), paper("base", "Hidden text", text))
    result = related.related_map(coll, k=2)
    assert result["base"] == ("alpha", "mid")
    assert result["zeta"] == ("alpha", "base")


def test_unrelated_papers_are_not_listed() -> None:
    coll = collection(
        paper("a", "Membership inference attacks", "membership inference on models",
              "privacy", ("membership",)),
        paper("b", "Membership inference defenses", "membership inference defenses",
              "privacy", ("membership",)),
        paper("c", "Steganography", "hidden messages in cover text", "covert",
              ("steganography",)))
    result = related.related_map(coll, k=5)
    assert result["a"] == ("b",)
    assert result["c"] == ()


def test_shared_tags_and_category_break_text_ties() -> None:
    text = "auditing language models for leaked training data"
    coll = collection(paper("a", "Audit", text, "privacy", ("memorization",)),
                      paper("b", "Audit", text, "covert", ("steganography",)),
                      paper("c", "Audit", text, "privacy", ("memorization",)))
    assert related.related_map(coll, k=2)["a"] == ("c", "b")


def test_empty_collection_and_zero_k() -> None:
    assert related.related_map(collection(), k=5) == {}
    coll = random_collection(1, 5)
    assert related.related_map(coll, k=0) == {p.id: () for p in coll.papers}


def test_deterministic_across_runs() -> None:
    coll = synthetic(600, seed=3)
    assert related.related_map(coll) == related.related_map(coll)


def test_latex_commands_are_not_words() -> None:
    assert related.tokens(r"The $\mathcal{O}(n)$ \textit{bound} holds") == ["bound", "holds"]


WATERMARK = ("Watermarking generated text", "a watermark in the sampling of a language model "
             "lets a detector recognise generated text; we test watermark robustness to "
             "paraphrasing")
MEMBERSHIP = ("Membership inference against language models", "membership inference decides "
              "whether a record was in the training data of a model from its loss")


def suggestion_collection() -> Collection:
    return collection(
        paper("wm1", *WATERMARK, "covert", ("steganography", "exfiltration")),
        paper("wm2", "Robust watermark detection", "a robust watermark for generated text "
              "survives paraphrasing and detector evasion", "covert", ("steganography",)),
        paper("mi1", *MEMBERSHIP, "privacy", ("membership", "memorization")),
        paper("mi2", "Loss-based membership inference", "membership inference from the loss "
              "of the training data records", "privacy", ("membership",)),
        paper("ev1", "Benchmark contamination", "test sets leak into pretraining data and "
              "benchmarks overstate scores", "evals", ("contamination", "benchmarks")))


def test_suggest_picks_category_and_tags_of_the_nearest_entries() -> None:
    s = related.suggest(suggestion_collection(), "Paraphrase attacks on text watermarks",
                        "we remove the watermark of generated text by paraphrasing, so the "
                        "detector fails", k=3)
    assert s.category == "covert"
    assert s.tags[0] == "steganography"
    assert set(s.tags) <= {"steganography", "exfiltration"}
    assert [n.id for n in s.similar][:2] == ["wm2", "wm1"] or \
        [n.id for n in s.similar][:2] == ["wm1", "wm2"]
    text = "\n".join(s.explain())
    assert "suggested category: covert" in text and "papers/wm1.yaml" in text


def test_suggest_for_membership_paper() -> None:
    s = related.suggest(suggestion_collection(), "Membership inference for fine-tuned models",
                        "does a record belong to the training data? membership inference "
                        "from the loss")
    assert s.category == "privacy"
    assert s.tags[0] == "membership"
    assert all(n.score > 0 for n in s.similar)


def test_suggest_with_nothing_similar_suggests_nothing() -> None:
    s = related.suggest(suggestion_collection(), "Quantum chromodynamics", "gluon lattice")
    assert s.category is None and s.tags == () and s.similar == ()
    assert "choose a category and tags yourself" in s.explain()[0]
    assert related.suggest(collection(), "x", "y").category is None


def test_benchmark_script_runs(capsys: pytest.CaptureFixture[str]) -> None:
    import related_bench

    related_bench.main([200])
    assert "N=   200:" in capsys.readouterr().out


def test_scores_are_unit_scaled() -> None:
    coll = random_collection(5, 30)
    top = max(s for pairs in related.related_scores(coll).values() for _, s in pairs)
    assert 0 < top <= related.TEXT_W + related.TAG_W + related.CATEGORY_W + 1e-9
    assert np.isfinite(top)


@pytest.mark.parametrize("seed,n", [(1, 7), (2, 60), (3, 400)])
def test_text_matrix_is_the_vocabulary_matrix_to_the_bit(seed: int, n: int) -> None:
    # The array path (cached per-paper term numbers) must build exactly the matrix the
    # plain definition builds: same columns, same order, same float bits.
    papers = random_collection(seed, n).papers
    docs = [text_terms(p) for p in papers]
    expected = related._Vocabulary.fit(docs).matrix(docs)
    got = related._text_matrix(papers)
    assert got.shape == expected.shape
    for name in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, name), getattr(expected, name)), name
