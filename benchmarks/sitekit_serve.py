"""Shared by the page measurements (lighthouse.py, screenshots.py): the default list built for
a loopback server's own address and served the way a static host serves it (gzip, ETag).

Building for the served address (``--site-url``) keeps the sitemap's URLs those of the server,
so Material's instant navigation works as on the published site.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browserkit import CHROMIUM, launch, serve  # noqa: E402 (after the path setup)

__all__ = ["CHROMIUM", "ROOT", "built_default_list", "launch"]


@contextlib.contextmanager
def built_default_list(date: str = "2026-11-30") -> Iterator[tuple[str, Path]]:
    """Build the repository's list (mkdocs.yml, docs/, papers/) and serve it on loopback:
    yields the base URL and the site folder."""
    from generator.commands.cli import main

    with tempfile.TemporaryDirectory(prefix="rl-pages-") as tmp:
        site = Path(tmp) / "site"
        site.mkdir()
        with serve(site) as (base, _log):
            old = Path.cwd()
            os.chdir(ROOT)
            try:
                code = main(["build", "--date", date, "--site-dir", str(site),
                             "--site-url", base])
            finally:
                os.chdir(old)
            if code != 0:
                raise SystemExit(f"build failed ({code})")
            yield base, site


def paper_pages(site: Path) -> tuple[str, str]:
    """A paper page without math and one with math (the first of each, by id)."""
    plain = math = None
    for page in sorted((site / "papers").glob("*/index.html")):
        html = page.read_text("utf-8")
        if "rl-paper" not in html:
            continue
        has_math = 'class="arithmatex"' in html
        if has_math and math is None:
            math = f"papers/{page.parent.name}/"
        if not has_math and plain is None:
            plain = f"papers/{page.parent.name}/"
    assert plain and math
    return plain, math
