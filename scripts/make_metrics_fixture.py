"""Write a deterministic 30-day metrics history for the default list (a test fixture).

    python scripts/make_metrics_fixture.py            # -> tests/fixtures/metrics-30d.json

The values are synthetic but shaped like the real services' answers: every paper has a
citation total that grows slowly, a few papers are "hot", a few are classics with large
totals and no growth, about half the arXiv papers have a Hugging Face page whose upvotes
come in a burst, and papers with a github.com ``links.code`` gain stars. Two recorded
outages (Hugging Face on day 13, Semantic Scholar on day 21) leave those signals out of
that day, as a failed refresh does. Same inputs, same file: the generator is seeded by
paper id, never by the clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.core.entries import Paper, load_collection  # noqa: E402
from generator.core.files import iter_entry_files  # noqa: E402
from generator.core.metrics import History, save_history  # noqa: E402
from generator.sources.signals import GitHub  # noqa: E402

SEED = "reading-list-metrics-fixture-1"
END = dt.date(2026, 12, 27)
DAYS = 30
HF_OUTAGE_DAY = 13  # index into the days (0-based) where Hugging Face failed
S2_OUTAGE_DAY = 21


def _draws(rng: random.Random, rate: float) -> int:
    """A small non-negative count with mean ``rate`` (deterministic for a seeded rng)."""
    whole = int(rate)
    return whole + (1 if rng.random() < rate - whole else 0)


def paper_series(paper: Paper, days: list[dt.date]) -> list[dict[str, int]]:
    """One paper's values for each day."""
    rng = random.Random(f"{SEED}:{paper.id}")
    year = paper.year or 2024
    kind = rng.choices(["quiet", "steady", "hot", "classic"], [55, 30, 10, 5])[0]
    citations = rng.randint(0, 40) + max(0, 2026 - year) * rng.randint(5, 60)
    rate = {"quiet": 0.03, "steady": rng.uniform(0.1, 0.5), "hot": rng.uniform(0.8, 3.0),
            "classic": 0.0}[kind]
    if kind == "classic":
        citations += rng.randint(3000, 12000)
    influential = citations // rng.randint(8, 15)
    on_hf = bool(paper.arxiv) and year >= 2022 and rng.random() < 0.5
    upvotes = rng.randint(0, 60)
    burst_day = rng.randrange(DAYS) if on_hf and rng.random() < 0.3 else None
    burst_size = rng.uniform(2.0, 12.0)
    has_code = GitHub(None).key(paper) is not None  # type: ignore[arg-type]
    stars = rng.randint(5, 900)
    star_rate = rng.choice([0.0, 0.2, 1.0, 5.0, 20.0])
    out = []
    for i, _day in enumerate(days):
        if i:
            new = _draws(rng, rate)
            citations += new
            influential += sum(rng.random() < 0.1 for _ in range(new))
            if burst_day is not None and i >= burst_day:
                upvotes += _draws(rng, burst_size * 0.6 ** (i - burst_day))
            stars += _draws(rng, star_rate)
        values = {}
        if i != S2_OUTAGE_DAY:
            values["citations"] = citations
            values["influential_citations"] = influential
        if on_hf and i != HF_OUTAGE_DAY:
            values["hf_upvotes"] = upvotes
        if has_code:
            values["github_stars"] = stars
        out.append(values)
    return out


def build(papers_dir: Path, end: dt.date = END) -> History:
    """The fixture history for the entries in ``papers_dir``."""
    collection, problems = load_collection(list(iter_entry_files(papers_dir)),
                                           papers_dir / "taxonomy.yml", end, root=ROOT)
    if collection is None:
        raise SystemExit("cannot load entries: " + "; ".join(p.format() for p in problems))
    days = [end - dt.timedelta(days=DAYS - 1 - i) for i in range(DAYS)]
    history: dict[dt.date, dict[str, dict[str, int]]] = {d: {} for d in days}
    for paper in collection.papers:
        for day, values in zip(days, paper_series(paper, days), strict=True):
            if values:
                history[day][paper.id] = values
    return History(history)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--papers", type=Path, default=ROOT / "papers")
    parser.add_argument("--out", type=Path, default=ROOT / "tests/fixtures/metrics-30d.json")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=END)
    args = parser.parse_args()
    history = build(args.papers, args.end)
    save_history(args.out, history)
    print(f"wrote {args.out} ({len(history.days)} days)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
