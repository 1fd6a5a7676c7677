"""Import benchmark: `reading-list import LIST.md --into papers --enrich` of a generated
awesome-list against instant loopback stand-ins for arXiv and Semantic Scholar.

    python benchmarks/bench_import.py                 # 2,500 papers (the issue's size)
    python benchmarks/bench_import.py --n 500 --n 2500

The list has the shape of a real awesome-list (sections, ``[YYYY/MM]`` dates, arXiv links,
venue badges, every tenth paper listed twice under another heading). The stand-ins answer at
once; the services' published rate limits stay configured (arXiv one request per 3 s,
Semantic Scholar one per 3 s without a key) but their waits are recorded instead of slept.
The table shows our own time (reading, merging, checking, writing, enriching), the waits the
real services would add, and their sum: what the same import costs against the real APIs,
network time aside. Runs in this process, into a fresh `reading-list new` list per size.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench import synthetic_corpus  # noqa: E402
from standins import Paper, serve  # noqa: E402

from generator.commands import cli, enrich  # noqa: E402
from generator.sources import metadata  # noqa: E402

DATE = dt.date.today().isoformat()  # the scaffold's example entry is added today
VENUES = ("NeurIPS-2024", "ICLR-2025", "USENIX_Security-2024", "CCS-2024", "ACL-2025")


def generate(n: int, seed: int = 7) -> tuple[str, dict[str, Paper]]:
    """An awesome-list of ``n`` papers and what the stand-ins know of each: the titles,
    authors and abstracts of bench.py's seeded corpus (realistic vocabulary), one section
    per category, every tenth paper listed a second time under another section."""
    corpus = synthetic_corpus(n, seed)
    rng = random.Random(seed)
    papers: dict[str, Paper] = {}
    items: dict[str, list[str]] = {}
    for k, paper in enumerate(corpus.papers):
        month = paper["published"][5:7]
        arxiv = f"24{month}.{10000 + k:05d}"
        papers[arxiv] = Paper(arxiv, paper["title"], paper["abstract"],
                              tuple(paper["authors"]), f"2024-{month}-15")
        venue = rng.choice(VENUES)
        line = (f"- [2024/{month}] **[{paper['title']}](https://arxiv.org/abs/{arxiv})** "
                f"![{venue.split('-')[0]}](https://img.shields.io/badge/{venue}-blue)")
        section = paper["category"].replace("-", " ").title()
        items.setdefault(section, []).append(line)
        if k % 10 == 0:
            other = f"Category {(int(paper['category'][-2:]) + 3) % 12:02d}"
            items.setdefault(other, []).append(line)
    sections = sorted(items)
    lines = ["# Awesome Model Leakage [![Awesome](https://awesome.re/badge.svg)]"
             "(https://awesome.re)", "", "## Contents", ""]
    lines += [f"- [{s}](#{s.lower().replace(' ', '-')})" for s in sections] + [""]
    for section in sections:
        lines += [f"## {section}", "", *items[section], ""]
    lines += ["## Contributing", "", "Pull requests welcome.", ""]
    return "\n".join(lines), papers


def run(n: int) -> dict[str, float]:
    text, papers = generate(n)
    waits: list[float] = []
    original = enrich.clients_factory
    enrich.clients_factory = lambda env: metadata.clients_from_env(env, sleep=waits.append)
    old_cwd, old_env = os.getcwd(), dict(os.environ)
    try:
        with tempfile.TemporaryDirectory() as tmp, serve(papers) as stand:
            lab = Path(tmp) / "lab"
            with contextlib.redirect_stderr(io.StringIO()), \
                    contextlib.redirect_stdout(io.StringIO()):
                assert cli.main(["new", str(lab), "--title", "Bench"]) == 0
            (lab / "awesome.md").write_text(text, encoding="utf-8")
            os.chdir(lab)
            os.environ.update(stand.env())
            os.environ.pop("SEMANTIC_SCHOLAR_API_KEY", None)
            err = io.StringIO()
            started = time.perf_counter()
            with contextlib.redirect_stderr(err):
                code = cli.main(["import", "awesome.md", "--into", "papers", "--enrich",
                                 "--date", DATE])
            elapsed = time.perf_counter() - started
            if code != 0:
                raise SystemExit(f"import failed ({code}):\n{err.getvalue()[-2000:]}")
            written = len(list((lab / "papers").glob("*.yaml")))
            started = time.perf_counter()
            with contextlib.redirect_stderr(io.StringIO()):
                checked = cli.main(["check", "--date", DATE])
            check_time = time.perf_counter() - started
            requests = len(stand.requests)
    finally:
        enrich.clients_factory = original
        os.chdir(old_cwd)
        os.environ.clear()
        os.environ.update(old_env)
    return {"n": n, "entries": written - 1, "seconds": elapsed, "waits": sum(waits),
            "requests": requests, "check": check_time, "check_ok": checked == 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, action="append", help="papers (repeatable)")
    args = parser.parse_args()
    print(f"{'papers':>7} {'entries':>8} {'ours s':>8} {'ms/paper':>9} {'requests':>9} "
          f"{'rate-limit waits s':>19} {'real APIs ~s':>13} {'check s':>8}")
    for n in args.n or [2500]:
        r = run(n)
        print(f"{r['n']:>7,} {r['entries']:>8,} {r['seconds']:>8.1f} "
              f"{1000 * r['seconds'] / r['n']:>9.2f} {r['requests']:>9} {r['waits']:>19.0f} "
              f"{r['seconds'] + r['waits']:>13.0f} {r['check']:>8.2f}"
              + ("" if r["check_ok"] else "  (check FAILED)"))


if __name__ == "__main__":
    main()
