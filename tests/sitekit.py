"""Shared helpers for site tests: build the fixture list into a folder and inspect HTML."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "site"
SITE_URL = "https://example.org/list/"


def make_project(dest: Path, papers: Path = FIXTURE / "papers") -> Path:
    """A project folder: the repository's mkdocs.yml and docs/, with the given papers."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(ROOT / "docs", dest / "docs")
    shutil.copytree(papers, dest / "papers")
    return dest


def build(project: Path, site: Path, date: str = "2026-11-30", monkeypatch=None) -> int:
    """Run ``reading-list build`` in ``project``; returns the exit code."""
    import os

    from generator.commands.cli import main

    old = Path.cwd()
    os.chdir(project)
    try:
        return main(["build", "--date", date, "--site-dir", str(site), "--site-url", SITE_URL])
    finally:
        os.chdir(old)


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.meta: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        a = dict(attrs)
        for name in ("href", "src"):
            if a.get(name) and tag in ("a", "link", "script", "img"):
                self.links.append(a[name])
        if tag == "meta" and a.get("content") is not None:
            key = a.get("name") or a.get("property")
            if key:
                self.meta.append((key, a["content"]))


def parse(html: str) -> _Links:
    parser = _Links()
    parser.feed(html)
    return parser


def broken_links(site: Path) -> list[str]:
    """Every internal link or asset in the built site that does not resolve to a file."""
    broken = []
    for page in sorted(site.rglob("*.html")):
        for link in parse(page.read_text("utf-8")).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("#", "mailto:")):
                if link.startswith(SITE_URL):
                    parts = urlsplit("/" + link[len(SITE_URL):])
                else:
                    continue
            path = unquote(parts.path)
            if not path:
                continue
            base = urlsplit(SITE_URL).path  # absolute links (404.html) start with it
            if path.startswith(base):
                path = "/" + path[len(base):]
            target = (site / path.lstrip("/")) if path.startswith("/") else \
                (page.parent / path)
            target = target.resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
    return broken
