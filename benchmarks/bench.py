"""Build-time benchmark: our full site against plain MkDocs + Material, same N papers.

    python benchmarks/bench.py --n 1000 --n 2000             # table on stdout
    python benchmarks/bench.py --n 200 --json out.json       # and JSON
    python benchmarks/bench.py --n 2000 --no-baseline        # ours only
    python benchmarks/bench.py --n 1000 --browser            # + bytes one search downloads
                                                             #   in Chromium (Playwright)

For each N it writes N synthetic but realistic entries (seeded, so every run writes the same
files: titles, 1-20 authors, ~1,350-character abstracts, some with $math$, 2-5 tags of a
60-tag, 12-category taxonomy) into a temporary copy of this repository's ``mkdocs.yml`` and
``docs/``, then times ``reading-list build`` in a subprocess. The baseline is plain MkDocs +
Material with this repository's own theme configuration, hand-written pages and search, and
no reading-list plugin, holding the same N papers as Markdown pages (title, authors,
abstract, tags) kept out of the navigation. Each build runs
in its own process, reaped with ``os.wait4``, so its peak memory (``ru_maxrss``) is its own
and not the maximum over every build of the run, which ``getrusage(RUSAGE_CHILDREN)`` gives.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import functools
import gzip
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.core.authoring import dump_entry, make_id  # noqa: E402

BUILD_DATE = "2026-12-01"
SITE_URL = "https://example.org/reading-list/"
CATEGORIES = 12
TAGS = 60

# -- synthetic entries ----------------------------------------------------------------------

# Common words of ML abstracts, most frequent first (a Zipf weight by rank follows).
_COMMON = """the of and to a in we that for is on with model models language large this our
by are as from data training can be which an these show results attacks privacy method
approach propose learning performance it not such their using attack its or than have
outperforms based information text across two neural new work both also trained more has
been paper framework existing however while only methods evaluation dataset benchmark
security inference leakage memorization membership extraction watermark fingerprint
adversarial robustness prompt injection backdoor poisoning defense defenses secure private
differential federated distillation unlearning editing knowledge hidden latent tokens
generation generated outputs output input inputs parameters weights fine-tuning pretraining
transformer transformers llms agents alignment safety harmful detection detect detector
accuracy utility tradeoff bound bounds theoretical empirical experiments extensive
demonstrate significantly state-of-the-art baselines efficient efficiency cost overhead
scalable black-box white-box access queries query budget leak leaks reveal reveals recover
reconstruct reconstruction steganography covert channel side-channel encryption homomorphic
multi-party computation zero-knowledge proofs verification verifiable audit auditing
contamination leaderboard judge judges evaluation honest honesty deception calibration
interpretability probing probes representations internal activations circuits features
sparse autoencoders supply chain hub hubs documentation cards licensing provenance
lineage open source release report scaling laws capabilities emergent reasoning
chain-of-thought code vision multimodal images diffusion speech retrieval augmented
"""
COMMON = _COMMON.split()
_SYLLABLES = ("ka ri to na me lo vi sa de po lu ex an ter mon gra phi cor sel tic ver bal "
              "dis tro ple qua zen fi mu ro ta cle ment ive ous ize tion al")
SYLLABLES = _SYLLABLES.split()
MATH = (r"$\epsilon$", r"$(\epsilon, \delta)$", r"$O(n \log n)$", r"$k$", r"$\ell_2$",
        r"$10^{-3}$", r"$\mathcal{O}(\sqrt{T})$", r"$p < 0.05$", r"$\alpha = 0.1$",
        r"$2\times$", r"$n^2$", r"$\mathbb{E}[X]$")
_FIRST = ("Ada Alan Grace Wei Li Yuki Priya Omar Sofia Lukas Amara Chen Jun Maria Ivan Fatima "
          "Noah Elena Ravi Hana Mateo Zoe Kwame Lena Arjun Mei Tomasz Ingrid Diego Aisha "
          "Paul Sara Jonas Nadia Hiro Olga Yusuf Clara Tariq Emma")
FIRST = _FIRST.split()
_LAST = ("Lovelace Turing Hopper Zhang Wang Tanaka Sharma Haddad Rossi Müller Okafor Chen Kim "
         "García Petrov Khan Smith Novak Gupta Sato López Dubois Mensah Schmidt Patel Liu "
         "Kowalski Larsen Silva Rahman Meier Röttger Ruas Gipp Nakamura Ivanova Öztürk Costa "
         "Nguyen Andersson O'Brien Fernández Wu Yang Park Ali Jensen Moreau Ito Bauer")
LAST = _LAST.split()
VENUES = ("NeurIPS", "ICML", "ICLR", "ACL", "EMNLP", "USENIX Security", "IEEE S&P", "CCS",
          "NDSS", "AAAI", "CVPR", "TMLR")


@dataclass(frozen=True)
class Corpus:
    """The synthetic list: entry files (name -> YAML text) and the taxonomy's YAML."""

    entries: dict[str, str]
    taxonomy: str
    papers: list[dict[str, Any]]  #: the fields of each entry, for the baseline's pages


def _words(rng: random.Random) -> tuple[list[str], list[float]]:
    # ~6,000 rare pseudo-words after the common ones: a real list's vocabulary is mostly rare
    # words, which is what makes search indexes (and related papers) big.
    rare = sorted({"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(6500)})
    words = COMMON + [w for w in rare if w not in COMMON]
    return words, [1.0 / (rank + 1) ** 0.9 for rank in range(len(words))]


def _taxonomy(rng: random.Random, words: list[str]) -> dict[str, Any]:
    topical = words[len(COMMON):]
    categories = [{"slug": f"category-{i:02d}", "title": f"Category {i:02d}", "order": i + 1,
                   "description": " ".join(rng.sample(topical, 25)).capitalize() + "."}
                  for i in range(CATEGORIES)]
    tags = [{"slug": f"tag-{i:02d}", "title": f"Tag {i:02d} {rng.choice(topical)}",
             "description": " ".join(rng.sample(topical, 8)).capitalize() + "."}
            for i in range(TAGS)]
    return {"categories": categories, "tags": tags}


def _sentence(rng: random.Random, words: list[str], weights: list[float],
              topic: list[str]) -> str:
    body = rng.choices(words, weights, k=rng.randint(9, 20)) + rng.sample(topic, 4)
    rng.shuffle(body)
    return " ".join(body).capitalize() + "."


def _abstract(rng: random.Random, words: list[str], weights: list[float],
              topic: list[str]) -> str:
    target = min(2000, max(700, int(rng.gauss(1280, 250))))
    sentences: list[str] = []
    while sum(len(s) + 1 for s in sentences) < target:
        sentences.append(_sentence(rng, words, weights, topic))
    if rng.random() < 0.35:  # about a third of abstracts carry some inline math
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(sentences))
            sentences[i] = sentences[i][:-1] + f" with {rng.choice(MATH)}."
    return " ".join(sentences)


def _authors(rng: random.Random) -> list[str]:
    count = rng.choices([1, rng.randint(2, 6), rng.randint(7, 12), rng.randint(13, 20)],
                        [5, 65, 20, 10])[0]
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        if name not in names:
            names.append(name)
    return names


def synthetic_corpus(n: int, seed: int = 1) -> Corpus:
    """``n`` valid entries and their taxonomy; the same ``n`` and ``seed`` give the same bytes."""
    rng = random.Random(seed)
    words, weights = _words(rng)
    taxonomy = _taxonomy(rng, words)
    topical = words[len(COMMON):]
    topics = [rng.sample(topical, 60) for _ in range(CATEGORIES)]
    # Each category prefers a handful of tags, and a few tags are popular everywhere, so tag
    # pages range from a few papers to thousands (pagination matters at large N).
    preferred = [rng.sample(range(TAGS), 8) for _ in range(CATEGORIES)]
    tag_weights = [1.0 / (i + 1) ** 0.6 for i in range(TAGS)]
    cat_weights = [1.0 / (i + 1) ** 0.5 for i in range(CATEGORIES)]
    today = dt.date.fromisoformat(BUILD_DATE)
    entries: dict[str, str] = {}
    papers: list[dict[str, Any]] = []
    taken: set[str] = set()
    for i in range(n):
        cat = rng.choices(range(CATEGORIES), cat_weights)[0]
        topic = topics[cat]
        title_words = rng.sample(topic, rng.randint(2, 4)) + \
            rng.choices(words, weights, k=rng.randint(2, 7))
        rng.shuffle(title_words)
        title = " ".join(title_words).title()
        if rng.random() < 0.4:
            title = f"{rng.choice(topic).title()}: {title}"
        tags: set[int] = set()
        want = rng.randint(2, 5)
        while len(tags) < want:
            tags.add(rng.choice(preferred[cat]) if rng.random() < 0.6
                     else rng.choices(range(TAGS), tag_weights)[0])
        added = today - dt.timedelta(days=rng.randrange(0, 700))
        published = dt.date(rng.randint(2016, added.year), rng.randint(1, 12), 1)
        published = min(published, added.replace(day=1))
        fields: dict[str, Any] = {
            "title": title, "authors": _authors(rng),
            "published": published.strftime("%Y-%m"), "added": added.isoformat(),
            "category": taxonomy["categories"][cat]["slug"],
            "tags": [taxonomy["tags"][t]["slug"] for t in sorted(tags)],
            "abstract": _abstract(rng, words, weights, topic),
        }
        kind = rng.random()
        if kind < 0.85:
            fields["arxiv"] = f"{published:%y%m}.{i % 100000:05d}"
        elif kind < 0.95:
            fields["doi"] = f"10.5555/bench.{i}"
        else:
            fields["url"] = f"https://example.org/papers/{i}"
        if rng.random() < 0.3:
            fields["venue"] = f"{rng.choice(VENUES)} {published.year}"
        if rng.random() < 0.2:
            fields["links"] = {"code": f"https://github.com/example/repo-{i}"}
        if rng.random() < 0.1:
            fields["note"] = _sentence(rng, words, weights, topic)
        pid = make_id(title, taken)
        taken.add(pid)
        entries[f"{pid}.yaml"] = dump_entry(fields)
        papers.append({"id": pid, **fields})
    header = "# Synthetic taxonomy written by benchmarks/bench.py\n"
    return Corpus(entries, header + yaml.safe_dump(taxonomy, sort_keys=False, width=92,
                                                   allow_unicode=True), papers)


# -- projects -------------------------------------------------------------------------------

def write_our_project(folder: Path, corpus: Corpus, search: str = "material") -> Path:
    """This repository's mkdocs.yml and docs/ with the synthetic papers/ (no metrics).

    ``search="pagefind"`` switches the site to Pagefind the way docs/fork.md says."""
    folder.mkdir(parents=True)
    config = (ROOT / "mkdocs.yml").read_text("utf-8")
    if search == "pagefind":
        config = re.sub(r"  - search:\n      separator: .*\n", "", config)
        config = config.replace("      page_size: 50\n",
                                "      page_size: 50\n      search: pagefind\n")
        config = config.replace("  - Subscribe: subscribe/index.md\n",
                                "  - Subscribe: subscribe/index.md\n"
                                "  - Search: search/index.md\n")
    (folder / "mkdocs.yml").write_text(config, encoding="utf-8")
    shutil.copytree(ROOT / "docs", folder / "docs")
    papers = folder / "papers"
    papers.mkdir()
    (papers / "taxonomy.yml").write_text(corpus.taxonomy, encoding="utf-8")
    for name, text in corpus.entries.items():
        (papers / name).write_text(text, encoding="utf-8")
    return folder


def baseline_config() -> dict[str, Any]:
    """The project's own mkdocs.yml (same theme, features, extensions and search) without
    the reading-list plugin: what the same site costs in plain MkDocs + Material."""
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text("utf-8"))
    config["plugins"] = [p for p in config["plugins"]
                         if not (isinstance(p, dict) and "reading-list" in p)]
    config["site_url"] = SITE_URL
    config["nav"] = [{"Home": "index.md"}, {"About": "about.md"}]
    config["not_in_nav"] = "/papers/\n"
    return config


def baseline_page(paper: dict[str, Any]) -> str:
    """One paper as plain Markdown: title, authors, abstract, tags."""
    return (f"# {paper['title']}\n\n{', '.join(paper['authors'])}\n\n{paper['abstract']}\n\n"
            f"Tags: {', '.join(paper['tags'])}\n")


def write_baseline_project(folder: Path, corpus: Corpus) -> Path:
    """Plain MkDocs + Material: the same papers as Markdown pages, out of the navigation,
    with the same theme configuration and hand-written pages as ours."""
    shutil.copytree(ROOT / "docs", folder / "docs")
    docs = folder / "docs" / "papers"
    docs.mkdir(parents=True)
    (folder / "mkdocs.yml").write_text(yaml.safe_dump(baseline_config(), sort_keys=False),
                                       encoding="utf-8")
    (folder / "docs" / "index.md").write_text("# Baseline\n\nPlain Material.\n",
                                              encoding="utf-8")
    for paper in corpus.papers:
        (docs / f"{paper['id']}.md").write_text(baseline_page(paper), encoding="utf-8")
    return folder


# -- measuring ------------------------------------------------------------------------------

@dataclass
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    log: str


def run_measured(cmd: list[str], cwd: Path) -> Run:
    """Run ``cmd`` and return its wall time and its own peak resident memory."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # already reaped by wait4
        log.seek(0)
        text = log.read().decode("utf-8", "replace")
    # ru_maxrss is in kilobytes on Linux
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, text)


OUR_BUILD = ("import generator.__main__",)


def build_ours(project: Path, site: Path) -> Run:
    """``reading-list build`` (the console script's code, in this interpreter)."""
    return run_measured([sys.executable, "-c", *OUR_BUILD, "build", "--date", BUILD_DATE,
                         "--site-dir", str(site), "--site-url", SITE_URL], project)


def build_baseline(project: Path, site: Path) -> Run:
    """``mkdocs build`` of the plain Material project."""
    return run_measured([sys.executable, "-m", "mkdocs", "build", "-q", "-f",
                         str(project / "mkdocs.yml"), "-d", str(site)], project)


@dataclass
class SiteStats:
    output_bytes: int
    files: int
    html_pages: int
    paper_html_median: int
    paper_html_max: int
    largest_page: str
    largest_page_bytes: int
    largest_listing: str  #: the largest category or tag page ("" for the baseline)
    largest_listing_bytes: int
    search_bytes: int  #: search index JSON + search worker JS, as files
    search_bytes_gzip: int  #: the same, gzip-compressed (what a gzip-serving host sends)
    search_files: list[str] = field(default_factory=list)


def search_files(site: Path) -> list[Path]:
    """What Material's search fetches: the worker script and the one JSON index."""
    found = sorted(site.glob("assets/javascripts/workers/search.*.js"))
    found = [p for p in found if not p.name.endswith(".map")]
    index = site / "search" / "search_index.json"
    return found + ([index] if index.is_file() else [])


def site_stats(site: Path, paper_pages: list[Path]) -> SiteStats:
    """Sizes of a built site; ``paper_pages`` are its paper pages' HTML files."""
    files = [p for p in site.rglob("*") if p.is_file()]
    html = {p: p.stat().st_size for p in files if p.suffix == ".html"}
    largest = max(html, key=lambda p: (html[p], str(p)))
    listings = {p: s for p, s in html.items()
                if p.relative_to(site).parts[0] in ("categories", "tags")}
    biggest_listing = max(listings, key=lambda p: (listings[p], str(p))) if listings else None
    paper_sizes = sorted(html[p] for p in paper_pages)
    searched = search_files(site)
    return SiteStats(
        output_bytes=sum(p.stat().st_size for p in files), files=len(files),
        html_pages=len(html),
        paper_html_median=int(statistics.median(paper_sizes)),
        paper_html_max=paper_sizes[-1],
        largest_page=str(largest.relative_to(site)), largest_page_bytes=html[largest],
        largest_listing=str(biggest_listing.relative_to(site)) if biggest_listing else "",
        largest_listing_bytes=listings[biggest_listing] if biggest_listing else 0,
        search_bytes=sum(p.stat().st_size for p in searched),
        search_bytes_gzip=sum(len(gzip.compress(p.read_bytes(), 6)) for p in searched),
        search_files=[str(p.relative_to(site)) for p in searched])


@contextlib.contextmanager
def _browser_on(site: Path) -> Iterator[tuple[Any, str, dict[str, int]]]:
    """Serve ``site`` on localhost and open Chromium: yields (page, base URL, sizes), where
    ``sizes`` fills with every response's URL and body size once ``record(page)`` runs."""
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sizes: dict[str, int] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"])
            try:
                yield browser.new_page(), f"http://127.0.0.1:{server.server_address[1]}/", sizes
            finally:
                browser.close()
    finally:
        server.shutdown()


def record(page: Any, sizes: dict[str, int]) -> None:
    """From now on, note every response's body size (uncompressed, as served)."""

    def on_response(response: Any) -> None:
        try:
            sizes[response.url] = len(response.body())
        except Exception:  # redirects and aborted requests have no body
            sizes.setdefault(response.url, 0)

    page.on("response", on_response)


def browser_search_bytes(site: Path, query: str) -> dict[str, int]:
    """Bytes Chromium downloads to open the home page and run one search (network log).

    ``search`` counts the responses whose URL names search (worker and index); ``total``
    counts everything from opening the page to the results. Bodies as served, uncompressed
    (``http.server`` does not gzip).
    """
    with _browser_on(site) as (page, base, sizes):
        record(page, sizes)
        page.goto(base)
        page.wait_for_load_state("networkidle")
        page.keyboard.press("/")
        page.keyboard.type(query, delay=20)
        page.locator(".md-search-result__item").first.wait_for(timeout=120_000)
        page.wait_for_load_state("networkidle")
    return {"search": sum(s for u, s in sizes.items() if "search" in urlsplit(u).path),
            "total": sum(sizes.values()), "requests": len(sizes)}


def pagefind_search_bytes(site: Path, query: str) -> dict[str, int]:
    """Bytes Chromium downloads for one query on the Pagefind search page (network log):
    everything under /pagefind/ plus the page's small search script."""
    with _browser_on(site) as (page, base, sizes):
        page.goto(base + "search/")
        page.wait_for_load_state("networkidle")
        record(page, sizes)
        page.fill("#rl-search input", query)
        page.locator(".rl-search__results li").first.wait_for(timeout=120_000)
        page.wait_for_load_state("networkidle")
    found = sum(s for u, s in sizes.items() if "/pagefind/" in urlsplit(u).path)
    return {"search": found, "requests": len(sizes)}


def serve_rebuild_seconds(project: Path) -> dict[str, float]:
    """Start ``reading-list serve``, then edit one entry's title and time until the served
    page shows it (the rebuild a contributor waits for)."""
    import socket
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    entry = sorted((project / "papers").glob("*.yaml"))[len(list(
        (project / "papers").glob("*.yaml"))) // 2]
    mount = urlsplit(yaml.safe_load((project / "mkdocs.yml").read_text("utf-8"))
                     ["site_url"]).path
    url = f"http://127.0.0.1:{port}{mount}papers/{entry.stem}/"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", *OUR_BUILD, "serve", "--dev-addr",
                             f"127.0.0.1:{port}", "--date", BUILD_DATE], cwd=project,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def wait_for(text: str, since: float) -> float:
        while time.perf_counter() - since < 900:
            try:
                with urllib.request.urlopen(url, timeout=10) as resp:
                    if text in resp.read().decode("utf-8"):
                        return time.perf_counter() - since
            except OSError:
                pass
            time.sleep(0.05)
        raise SystemExit("serve did not rebuild in time")

    try:
        first = wait_for("rl-paper", start)
        time.sleep(1)  # let the watcher settle
        original = entry.read_text("utf-8")
        edited = re.sub(r'^title: "', 'title: "Edited ', original, count=1, flags=re.M)
        since = time.perf_counter()
        entry.write_text(edited, encoding="utf-8")
        rebuild = wait_for("Edited ", since)
        entry.write_text(original, encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"serve_first_build_seconds": round(first, 2),
            "serve_rebuild_seconds": round(rebuild, 2)}


# -- one size -------------------------------------------------------------------------------

def measure(n: int, seed: int, baseline: bool, browser: bool, keep: Path | None,
            search: str = "material", serve: bool = False) -> dict:
    """Generate, build ours (and the baseline), and collect every number for one N."""
    corpus = synthetic_corpus(n, seed)
    work = Path(tempfile.mkdtemp(prefix=f"rl-bench-{n}-"))
    try:
        ours = write_our_project(work / "ours", corpus, search)
        run = build_ours(ours, work / "ours-site")
        if run.returncode != 0:
            raise SystemExit(f"N={n}: reading-list build failed:\n{run.log[-3000:]}")
        site = work / "ours-site"
        stats = site_stats(site, [site / "papers" / p["id"] / "index.html"
                                  for p in corpus.papers])
        result: dict[str, Any] = {
            "n": n, "seed": seed, "ours_seconds": round(run.seconds, 2),
            "ms_per_paper": round(1000 * run.seconds / n, 2),
            "ours_peak_mb": round(run.peak_rss_mb, 1), "ours": asdict(stats)}
        result["search"] = search
        if browser:
            result["ours_browser"] = (pagefind_search_bytes(site, "privacy")
                                      if search == "pagefind"
                                      else browser_search_bytes(site, "privacy"))
        if serve:
            result.update(serve_rebuild_seconds(ours))
            result["serve_share_of_build"] = round(
                result["serve_rebuild_seconds"] / run.seconds, 3)
        if baseline:
            base = write_baseline_project(work / "base", corpus)
            brun = build_baseline(base, work / "base-site")
            if brun.returncode != 0:
                raise SystemExit(f"N={n}: baseline mkdocs build failed:\n{brun.log[-3000:]}")
            bsite = work / "base-site"
            bstats = site_stats(bsite, [bsite / "papers" / p["id"] / "index.html"
                                        for p in corpus.papers])
            result.update({
                "baseline_seconds": round(brun.seconds, 2),
                "baseline_ms_per_paper": round(1000 * brun.seconds / n, 2),
                "ratio": round(run.seconds / brun.seconds, 2),
                "baseline_peak_mb": round(brun.peak_rss_mb, 1), "baseline": asdict(bstats)})
        if keep:
            shutil.copytree(work, keep / f"n{n}", dirs_exist_ok=True)
        return result
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB" if n < 10 * 1024 * 1024 else f"{n / 1048576:,.1f} MB"


def table(results: list[dict]) -> str:
    """The Markdown table docs/performance.md shows."""
    head = ("| N | ours (s) | baseline (s) | ratio | ms/paper (ours) | ms/paper (baseline) "
            "| peak memory (ours) | output | paper page median / max | largest page "
            "| largest category/tag page | search download |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        s = r["ours"]
        rows.append(
            f"| {r['n']:,} | {r['ours_seconds']:.1f} | "
            f"{r.get('baseline_seconds', float('nan')):.1f} | {r.get('ratio', float('nan')):.2f} "
            f"| {r['ms_per_paper']:.1f} | {r.get('baseline_ms_per_paper', float('nan')):.1f} "
            f"| {r['ours_peak_mb']:.0f} MB | {_kb(s['output_bytes'])} "
            f"| {s['paper_html_median'] / 1024:.1f} / {s['paper_html_max'] / 1024:.1f} KB "
            f"| {_kb(s['largest_page_bytes'])} (`{s['largest_page']}`) "
            f"| {_kb(s['largest_listing_bytes'])} "
            f"| {_search(r)} |")
    extra = [r for r in results if "serve_rebuild_seconds" in r]
    if extra:
        rows += ["", "| N | serve: first build (s) | serve: rebuild after one edit (s) "
                 "| rebuild / full build |", "|---|---|---|---|"]
        rows += [f"| {r['n']:,} | {r['serve_first_build_seconds']:.1f} "
                 f"| {r['serve_rebuild_seconds']:.1f} | {r['serve_share_of_build']:.0%} |"
                 for r in extra]
    return "\n".join(rows)


def _search(r: dict) -> str:
    """Material: the index files as built (raw / gzip); Pagefind: one query in Chromium."""
    s = r["ours"]
    if r.get("search") == "pagefind":
        got = r.get("ours_browser", {}).get("search")
        return f"Pagefind: {_kb(got)} per query" if got else "Pagefind (use --browser)"
    return f"{_kb(s['search_bytes'])} / {_kb(s['search_bytes_gzip'])}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, action="append",
                        help="number of papers (repeatable; default 200, 1000, 2000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--baseline", dest="baseline", action="store_true", default=True,
                        help="also build plain MkDocs + Material (the default)")
    parser.add_argument("--no-baseline", dest="baseline", action="store_false")
    parser.add_argument("--browser", action="store_true",
                        help="also measure one search's downloads in Chromium (Playwright)")
    parser.add_argument("--search", choices=["material", "pagefind"], default="material",
                        help="our site's search (pagefind: the option for large lists)")
    parser.add_argument("--serve", action="store_true",
                        help="also time `reading-list serve` rebuilding after one edit")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--keep", type=Path, help="keep the generated projects and sites here")
    args = parser.parse_args(argv)
    results = []
    for n in args.n or [200, 1000, 2000]:
        print(f"N={n} ...", file=sys.stderr, flush=True)
        results.append(measure(n, args.seed, args.baseline, args.browser, args.keep,
                               args.search, args.serve))
        if args.json:  # written after every size, so a long run leaves partial results
            args.json.write_text(json.dumps({"cores": os.cpu_count(), "python":
                                             sys.version.split()[0], "results": results},
                                            indent=1) + "\n", encoding="utf-8")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
