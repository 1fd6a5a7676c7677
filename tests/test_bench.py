"""Smoke test of benchmarks/bench.py at N=20, so the benchmark cannot rot unnoticed."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench", ROOT / "benchmarks" / "bench.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("bench", None)


def test_corpus_is_deterministic_and_realistic(bench):
    a, b = bench.synthetic_corpus(60, seed=3), bench.synthetic_corpus(60, seed=3)
    assert a == b
    assert a != bench.synthetic_corpus(60, seed=4)
    assert len(a.entries) == 60 and len({p["id"] for p in a.papers}) == 60
    assert all(1 <= len(p["authors"]) <= 20 and 2 <= len(p["tags"]) <= 5 for p in a.papers)
    assert any("$" in p["abstract"] for p in a.papers)
    mean = sum(len(p["abstract"]) for p in a.papers) / 60
    assert 1000 < mean < 1700


def test_corpus_passes_the_loader(bench, tmp_path):
    import datetime as dt

    from generator.core.entries import load_collection

    corpus = bench.synthetic_corpus(40)
    project = bench.write_our_project(tmp_path / "p", corpus)
    files = sorted((project / "papers").glob("*.yaml"))
    collection, problems = load_collection(files, project / "papers" / "taxonomy.yml",
                                           dt.date.fromisoformat(bench.BUILD_DATE),
                                           root=project)
    assert [p for p in problems if p.severity == "error"] == []
    assert collection is not None and len(collection.papers) == 40
    assert len(collection.taxonomy.categories) == 12 and len(collection.taxonomy.tags) == 60


def test_benchmark_runs_end_to_end(bench, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert bench.main(["--n", "20", "--json", str(out)]) == 0
    result = json.loads(out.read_text())["results"][0]
    assert result["n"] == 20
    assert result["ours_seconds"] > 0 and result["baseline_seconds"] > 0
    assert result["ratio"] == pytest.approx(result["ours_seconds"] / result["baseline_seconds"],
                                            rel=0.1)
    assert result["ours_peak_mb"] > 10
    for side in ("ours", "baseline"):
        stats = result[side]
        assert 0 < stats["paper_html_median"] <= stats["paper_html_max"]
        assert stats["search_files"][-1] == "search/search_index.json"
        assert stats["search_bytes"] > stats["search_bytes_gzip"] > 0
    assert result["ours"]["largest_listing"].startswith(("categories/", "tags/"))
    assert "| 20 |" in capsys.readouterr().out


def test_import_benchmark_runs_at_small_n():
    """benchmarks/bench_import.py end to end at N=40: every paper imported and enriched
    (one merged duplicate listing per ten), and the list it writes checks."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("bench_import",
                                                      ROOT / "benchmarks" / "bench_import.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = module.run(40)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    assert result["entries"] == 40
    assert result["check_ok"]
    assert result["requests"] >= 2  # arXiv and Semantic Scholar were asked


def test_refresh_benchmark_runs_at_small_n():
    """benchmarks/bench_refresh.py end to end at N=60, with and without tokens: every paper
    the stand-ins know is measured, GitHub through GraphQL with a token, and the rate-limit
    schedule is counted, not slept."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        spec = importlib.util.spec_from_file_location("bench_refresh",
                                                      ROOT / "benchmarks" / "bench_refresh.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        anonymous = module.run(60)
        tokens = module.run(60, tokens=True)
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    for result in (anonymous, tokens):
        assert result["measured"] >= 55 and result["left"] == {}
        assert "Hugging Face" in result["summary"] and result["seconds"] < 60
    assert anonymous["schedule"] > 10  # GitHub REST at 1 s, Semantic Scholar at 3 s apart
    assert tokens["requests"] < anonymous["requests"]  # one GraphQL query for every repository
