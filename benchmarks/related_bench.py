"""Time ``related.related_map`` on synthetic collections (deterministic, no files, no network).

    python benchmarks/related_bench.py            # N = 1000 and 10000
    python benchmarks/related_bench.py 200 50000  # any sizes

Abstracts are ~150 words drawn from a Zipf-like 8,000-word vocabulary with a per-topic bias,
which is close to how real abstracts share words: a few very common, most rare.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generator.core.entries import Category, Collection, Paper, Tag, Taxonomy  # noqa: E402
from generator.core.related import related_map  # noqa: E402

VOCAB = 8000
TOPICS = 12
TAGS = 40


def synthetic(n: int, seed: int = 1) -> Collection:
    """``n`` papers in ``TOPICS`` categories with 2-4 of ``TAGS`` tags each."""
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(VOCAB)]
    weights = [1.0 / (i + 1) for i in range(VOCAB)]
    topic_words = [rng.sample(words[200:], 150) for _ in range(TOPICS)]
    categories = tuple(Category(f"cat-{i}", f"Category {i}", "d", i) for i in range(TOPICS))
    tags = tuple(Tag(f"tag-{i}", f"Tag {i}", "") for i in range(TAGS))
    papers = []
    for i in range(n):
        topic = rng.randrange(TOPICS)
        body = rng.choices(words, weights, k=110) + rng.choices(topic_words[topic], k=40)
        rng.shuffle(body)
        title = " ".join(rng.choices(topic_words[topic], k=4) + rng.choices(words, weights, k=4))
        tag_ids = sorted(rng.sample(range(TAGS), rng.randint(2, 4)))
        papers.append(Paper(id=f"p{i:06d}", source=f"papers/p{i:06d}.yaml", title=title,
                            abstract=" ".join(body), category=f"cat-{topic}",
                            tags=tuple(f"tag-{t}" for t in tag_ids),
                            added=dt.date(2026, 1, 1)))
    return Collection(tuple(papers), Taxonomy(categories, tags))


def main(sizes: list[int]) -> None:
    for n in sizes:
        collection = synthetic(n)
        start, cpu = time.perf_counter(), time.process_time()
        related = related_map(collection, k=5)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert len(related) == n
        # CPU time too: on a busy machine the wall-clock time says more about the neighbours.
        print(f"N={n:>6}: {seconds:6.2f} s (cpu {cpu:.2f} s)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 10000])
