"""Build papers/*.yaml from the seed records and the curators' choices (run once, kept for
the record). Usage: python scripts/import_seed.py SEED_JSON CURATION_JSON... --out papers/

The curation files hold, per seed record n, the category and tags chosen by reading the
abstract, and the title/abstract with the scraping damage mended (see the seed README).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from generator.authoring import dump_entry, make_id
from generator.entries import normalize_space
from generator.files import atomic_write

ADDED = "2026-11-27"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("seed")
    parser.add_argument("curation", nargs="+")
    parser.add_argument("--out", default="papers")
    args = parser.parse_args()
    seed = {r["n"]: r for r in json.loads(Path(args.seed).read_text("utf-8"))}
    chosen = {}
    for path in args.curation:
        for row in json.loads(Path(path).read_text("utf-8")):
            chosen[row["n"]] = row
    assert set(chosen) == set(seed), set(seed) ^ set(chosen)
    taken: set[str] = set()
    for n in sorted(seed):
        rec, cur = seed[n], chosen[n]
        title = normalize_space(cur.get("title") or rec["title"])
        arxiv = rec["arxiv"]
        published = rec.get("published") or f"20{arxiv[:2]}-{arxiv[2:4]}"
        fields = {
            "title": title,
            "authors": rec.get("authors"),
            "authors_incomplete": True if rec.get("authors_truncated") else None,
            "published": published,
            "added": ADDED,
            "arxiv": arxiv,
            "doi": rec.get("doi"),
            "url": rec.get("url"),
            "venue": rec.get("venue"),
            "category": cur["category"],
            "tags": cur["tags"],
            "abstract": normalize_space(cur.get("abstract") or rec["abstract"]),
        }
        pid = make_id(title, taken)
        taken.add(pid)
        atomic_write(Path(args.out) / f"{pid}.yaml", dump_entry(fields))


if __name__ == "__main__":
    main()
