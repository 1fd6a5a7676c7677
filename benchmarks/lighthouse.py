"""Lighthouse (mobile, its default throttling) on the built default list: accessibility and
performance of home and of paper pages without and with math.

    npm i -E --prefix /tmp/lh lighthouse@12.2.3    # once; 13.x needs Node 22
    python benchmarks/lighthouse.py --lighthouse /tmp/lh/node_modules/.bin/lighthouse

Uses Debian's Chromium. Performance depends on the machine: measure alone on an idle machine
(the load average is printed with the results). The test suite does not use Lighthouse: its
accessibility checks are axe-core's (tests/test_accessibility.py), which Lighthouse runs too.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from sitekit_serve import CHROMIUM, built_default_list, paper_pages

METRICS = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time",
           "cumulative-layout-shift", "speed-index")


def run(lighthouse: str, url: str) -> dict:
    """One Lighthouse run: its JSON report."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        subprocess.run([lighthouse, url, f"--chrome-path={CHROMIUM}",
                        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
                        "--only-categories=accessibility,performance", "--output=json",
                        f"--output-path={out}", "--quiet"], check=True, timeout=600)
        return json.loads(out.read_text("utf-8"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lighthouse", default=shutil.which("lighthouse") or "lighthouse",
                        help="the lighthouse command (node_modules/.bin/lighthouse)")
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("no chromium (apt-get install chromium)")
    with built_default_list() as (base, site):
        plain, math = paper_pages(site)
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        print("| page | accessibility | performance | " + " | ".join(METRICS) + " |")
        print("|---" * (3 + len(METRICS)) + "|")
        for label, path in (("home", ""), ("paper, no math", plain), ("paper, math", math)):
            report = run(args.lighthouse, base + path)
            scores = [round(100 * report["categories"][c]["score"])
                      for c in ("accessibility", "performance")]
            failed = [a["id"] for a in report["categories"]["accessibility"]["auditRefs"]
                      if report["audits"][a["id"]].get("score") not in (None, 1)]
            values = [report["audits"][m]["displayValue"] for m in METRICS]
            print(f"| {label} | {scores[0]} | {scores[1]} | " + " | ".join(values) + " |"
                  + (f" failed: {', '.join(failed)}" if failed else ""))
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
