"""The MkDocs plugin: translates MkDocs events into calls of the pure core.

``on_files`` loads the entries, asks :func:`generator.pages.build_page_set` for the page set
and hands MkDocs virtual files (``File.generated``); ``on_env`` checks the frame of the
framed pages (paper, author, category, tag) and starts the writer, which ``on_post_build``
finishes; ``on_post_page`` adds each page's extra ``<head>`` tags. Nothing is written into
``docs/``. What one build keeps for the next is in ``self.cache`` (generator/core/cache.py).

This package is the MkDocs adapter, the only code that imports ``mkdocs`` or ``material``:
the plugin (here), its options (``settings``), the checked frame (``fastpages``), the writer
of framed pages (``writer``), our forked children (``parallel``), where a build may write
(``outputs``), the MkDocs calls behind build and serve (``engine``), and ``compat``, which
holds every private MkDocs/Material API it touches.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2
import jinja2.bccache
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page as MkPage

from ..core import clock, trending
from ..core.cache import Cache
from ..core.config import SiteConfig, from_options
from ..core.entries import load_collection
from ..core.files import escapes, iter_entry_files
from ..pages import Page, build_page_set
from . import compat
from .fastpages import PaperPages, finish
from .outputs import OutputError, check_site_dir, mark, source_paths
from .parallel import Background, BackgroundFailed
from .settings import ReadingListConfig
from .writer import Job, Writer, two_processes

log = get_plugin_logger(__name__)

# Styles and scripts every list needs ship inside the package, so a fork or a list made with
# `reading-list new` gets them (and their updates) without copying files into docs/.
ASSET_PREFIX = "assets/reading-list/"
CSS = ("reading-list.css",)
# KaTeX (about 80 KB gzipped) is not on this list: katex-init.js fetches it only on a page
# that has math, so most pages never download it.
JS = ("katex-init.js",)

JS += ("saved.js",)  # "To read"/"Read" marks: every card and paper page has the control


def package_assets() -> dict[str, bytes]:
    """Site path -> bytes for every file under generator/assets/."""
    root = resources.files("generator.plugin").joinpath("assets")
    out: dict[str, bytes] = {}

    def walk(node, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif not child.name.startswith(("_", ".")):
                out[f"{ASSET_PREFIX}{prefix}{child.name}"] = child.read_bytes()

    walk(root, "")
    return out


def run_pagefind(site_dir: Path) -> None:
    """Index the paper pages with Pagefind (a chunked index: a query downloads a few
    fragments, not one file that grows with the list)."""
    command = [sys.executable, "-m", "pagefind", "--site", str(site_dir),
               "--glob", "papers/*/index.html", "--silent"]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=1800,
                                check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise PluginError(f"reading-list: pagefind could not run: {exc}") from None
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        raise PluginError(f"reading-list: pagefind failed: {detail[0]} (is the 'pagefind' "
                          "package installed? pip install 'pagefind[extended]')")


def _second_process_failed(exc: BaseException) -> PluginError:
    return PluginError(f"reading-list: the second process failed ({exc}); `workers: 1` in "
                       "mkdocs.yml builds in one process")


def compact_js(source: str) -> str:
    """Our inline script without its comment lines and indentation (lines that start with
    ``//`` once stripped; every statement of ours ends its line, so nothing else changes)."""
    lines = (line.strip() for line in source.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


class _Generated(File):
    """A generated file that knows whether its content changed since the last build.

    MkDocs treats every generated file as modified, so a `--dirty` rebuild (what
    `reading-list serve` runs) would still render every page; with this, editing one entry
    re-renders only the pages whose content it changes.
    """

    changed: bool = True

    def is_modified(self) -> bool:
        return self.changed or not os.path.isfile(self.abs_dest_path)


class _PaperFile(_Generated):
    """A page written through the checked frame (``paper_pages: fast``: paper, author,
    category and tag pages) by the plugin's writer (generator/plugin/writer.py), not by
    MkDocs: to MkDocs it is a static file whose copy is left to us.

    Its source name is the page's (``papers/<id>/index.md``), so hand-written pages link to
    it as to any page (``papers/<id>/index.md#abstract``) in every mode; it is not a
    documentation page for MkDocs (no per-page pipeline), and our page object lives in
    ``paper_page``, never in MkDocs' ``File.page``, which MkDocs reads as one of its own."""

    paper_page: Page

    def copy_file(self, dirty: bool = False) -> None:
        """Nothing: the writer writes it (on_env starts, on_post_build finishes)."""

    def is_documentation_page(self) -> bool:
        return False

    def is_static_page(self) -> bool:
        return True


class _SitemapEntry:
    """What MkDocs' sitemap template reads of a page, for a paper page written by us."""

    is_link = False

    def __init__(self, canonical_url: str | None, abs_url: str | None,
                 update_date: str) -> None:
        self.canonical_url, self.abs_url, self.update_date = canonical_url, abs_url, \
            update_date
        self.page = self


def _history(path: Path, cache: Cache) -> trending.History:
    """The metrics history, read again only when the file changed (serve rebuilds)."""
    try:
        stat = path.stat()
        key: Any = (str(path), stat.st_mtime_ns, stat.st_size)
    except OSError:
        key = (str(path), None, None)
    room = cache.room("metrics history")
    if room.get("key") != key:
        room["history"] = trending.load_history_or_empty(path)
        room["key"] = key
    return room["history"]


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates kept in memory (in the plugin's cache, so for a serve session)."""

    def __init__(self, store: dict[str, bytes]) -> None:
        self.store = store

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


def _changed(seen: dict[str, bytes], path: str, content: str | bytes) -> bool:
    data = content.encode("utf-8") if isinstance(content, str) else content
    digest = hashlib.blake2b(data, digest_size=16).digest()
    changed = seen.get(path) != digest
    seen[path] = digest
    return changed


def _nav_paths(nav: Any) -> set[str]:
    """Every page path named in a hand-written ``nav`` (nested sections included)."""
    found: set[str] = set()
    items = nav if isinstance(nav, list) else [nav]
    for item in items:
        if isinstance(item, str):
            found.add(item)
        elif isinstance(item, dict):
            for value in item.values():
                found |= _nav_paths(value)
        elif isinstance(item, list):
            found |= _nav_paths(item)
    return found


def build_date() -> dt.date:
    """The build's "today" (``reading-list build --date`` sets ``SOURCE_DATE_EPOCH``)."""
    return clock.today()


class ReadingListPlugin(BasePlugin[ReadingListConfig]):
    """Generates paper, category, tag, trending and subscribe pages, feeds and data files."""

    def __init__(self) -> None:
        self.site: SiteConfig | None = None
        self.heads: dict[str, str] = {}
        self.bodies: dict[str, str] = {}
        self.blocks: dict[str, str] = {}
        self.serving = False
        self.writer: Writer | None = None
        self.renderer: PaperPages | None = None
        self.nav: Navigation | None = None
        self.paper_files: list[_PaperFile] = []
        self.files: Files | None = None
        self.search_records: list[dict[str, str]] = []
        #: What one build keeps for the next: parsed entries, pages, compiled templates,
        #: content fingerprints (MkDocs keeps this plugin object for the whole process, so
        #: for every rebuild of a serve session). ``reading-list build`` hands over the one
        #: its check filled (engine.build), so the list is parsed once.
        self.cache = Cache()

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.serving = command == "serve" or dirty

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        root = Path(config.config_file_path or "mkdocs.yml").resolve().parent
        self.site = from_options(root, dict(config), dict(self.config))
        if not self.site.site_url:
            raise PluginError("reading-list: site_url is not set in mkdocs.yml; feeds and "
                              "citation tags need absolute URLs (e.g. site_url: "
                              "https://example.github.io/my-list/)")
        # MkDocs empties site_dir before writing: refuse one that holds a source or a folder
        # this tool did not write, before anything is touched.
        sources = source_paths(root, self.site.papers_path, config.docs_dir,
                               self.site.metrics_path.parent, config.theme.custom_dir)
        try:
            check_site_dir(Path(config.site_dir), root, sources)
        except OutputError as exc:
            raise PluginError(f"reading-list: {exc}".replace("--site-dir", "site_dir",
                                                             1)) from None
        config.extra_css[:0] = [ASSET_PREFIX + path for path in CSS]
        config.extra_javascript[:0] = [ASSET_PREFIX + path for path in JS]
        if self.config.search == "pagefind" and "search" in config.plugins:
            log.warning("search: pagefind is set, but Material's search plugin is enabled too; "
                        "remove `- search` from `plugins` in mkdocs.yml so readers do not "
                        "download both indexes")
        # Our templates come right before the theme's own folder: our page templates
        # (reading-list-paper.html) and the few overrides of Material's templates (main.html,
        # partials/: accessible names, search index on demand) win over Material's, and a
        # fork's custom_dir, which comes first, still wins over ours.
        theme_dir = str(resources.files("generator.plugin").joinpath("theme"))
        if theme_dir not in config.theme.dirs:
            # MkDocs puts the custom_dir, when there is one, first.
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, theme_dir)
        # `mkdocs serve` rebuilds when an entry or a fork's template override changes.
        for folder in (self.site.papers_path, self.site.root / "site_templates"):
            if folder.is_dir() and str(folder) not in config.watch:
                config.watch.append(str(folder))
        return config

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files:
        assert self.site is not None
        site = self.site
        # MkDocs follows symbolic links in docs/: one pointing out of the project would
        # publish whatever it points to (a key, /etc/passwd). Refuse, naming only the link.
        outside = sorted(f.src_uri for f in files
                         if f.abs_src_path and escapes(Path(f.abs_src_path), site.root))
        if outside:
            docs = Path(os.path.relpath(config.docs_dir, site.root)).as_posix()
            listing = "\n".join(f"{docs}/{uri}" for uri in outside)
            raise PluginError(f"reading-list: {len(outside)} file(s) in the docs are symbolic "
                              f"links to files outside the project; refused unread (copy the "
                              f"files into the project instead):\n{listing}")
        today = build_date()
        collection, problems = load_collection(list(iter_entry_files(site.papers_path)),
                                               site.taxonomy_path, today, root=site.root,
                                               cache=self.cache)
        errors = [p for p in problems if p.severity == "error"]
        for problem in problems:
            if problem.severity != "error":
                log.debug(problem.format())
        if collection is None or errors:
            listing = "\n".join(p.format() for p in errors)
            raise PluginError(f"reading-list: {len(errors)} problem(s) in the entries:\n"
                              f"{listing}\nRun `reading-list check` for details.")
        try:
            history = _history(site.metrics_path, self.cache)
        except ValueError as exc:
            raise PluginError(f"reading-list: cannot read the metrics history: {exc}") from None
        # Category and tag pages and the data files are made on the second core meanwhile.
        runner = Background if not self.serving and two_processes(
            self.config.workers, len(collection.papers)) else None
        try:
            pageset = build_page_set(collection, site, today, history, runner=runner,
                                     cache=self.cache)
        except BackgroundFailed as exc:
            raise _second_process_failed(exc) from None
        self.heads, self.bodies = {}, {}
        # Content fingerprints of the last build into this folder.
        seen = self.cache.room("fingerprints").setdefault(str(config.site_dir), {})
        self.paper_files = []
        self.search_records = [page.search for page in pageset.pages if page.search]
        fast = self.config.paper_pages == "fast"
        # A hand-written nav that does not name a generated page (a fork's, written before the
        # page existed) keeps it out of the nav rather than failing the strict build.
        nav = _nav_paths(config.nav) if config.nav is not None else None
        for page in pageset.pages:
            if fast and page.framed:  # paper and author pages
                paper = _PaperFile.generated(config, page.path, content=b"")
                paper.dest_uri = page.path[:-len(".md")] + ".html"  # index.md -> index.html
                paper.paper_page = page
                self.paper_files.append(paper)
                files.append(paper)
                continue
            listed = page.in_nav and (nav is None or page.path in nav)
            file = _Generated.generated(config, page.path, content=page.markdown,
                                        inclusion=InclusionLevel.INCLUDED if listed
                                        else InclusionLevel.NOT_IN_NAV)
            file.changed = _changed(seen, page.path, page.text + page.head)
            file.edit_uri = page.source  # edit the YAML entry, not a generated page
            files.append(file)
            if page.head:
                self.heads[page.path] = page.head
            if page.html is not None:
                self.bodies[page.path] = page.html
        for path, data in {**package_assets(), **pageset.files}.items():
            file = _Generated.generated(config, path, content=data)
            file.changed = _changed(seen, path, data)
            files.append(file)
        log.info(f"generated {len(pageset.pages)} pages and {len(pageset.files)} files from "
                 f"{len(collection.papers)} entries")
        return files

    def on_nav(self, nav: Navigation, /, *, config: MkDocsConfig, files: Files) -> Navigation:
        self.nav = nav
        return nav

    def on_template_context(self, context: Any, /, *, template_name: str,
                            config: MkDocsConfig) -> Any:
        if template_name == "sitemap.xml" and self.paper_files and self.files is not None:
            # Paper pages written by us are not MkDocs pages: list them where they would be.
            listed = {id(f) for f in context["pages"]}
            renderer = self.renderer
            assert renderer is not None
            entries: list[Any] = []
            for file in self.files:
                if isinstance(file, _PaperFile):
                    entries.append(_SitemapEntry(*renderer.urls_of(file.paper_page)))
                elif id(file) in listed:
                    entries.append(file)
            context["pages"] = entries
        return context

    @event_priority(100)  # before search writes its index: the papers' records go in
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if self.writer is not None:
            writer, self.writer = self.writer, None
            try:
                writer.finish()
            except BackgroundFailed as exc:
                raise _second_process_failed(exc) from None
        self._add_search_records(config)
        if self.site is not None and self.site.search == "pagefind":
            run_pagefind(Path(config.site_dir))
        mark(Path(config.site_dir))

    def _add_search_records(self, config: MkDocsConfig) -> None:
        """Paper pages' records into Material's search index (the pages themselves are
        excluded from it: parsing thousands of pages back is slower and says no more)."""
        for index, previous in compat.search_indexes(config):
            # A `serve` rebuild merges with the previous index: drop its paper records.
            if isinstance(getattr(previous, "entries", None), list):
                previous.entries = [e for e in previous.entries
                                    if not str(e.get("location", "")).startswith("papers/")]
            index.entries.extend(self.search_records)

    def on_build_error(self, *, error: Exception) -> None:
        if self.writer is not None:
            self.writer.cancel()
            self.writer = None

    def on_env(self, env: Any, /, *, config: MkDocsConfig, files: Files) -> Any:
        self.blocks = {}
        # MkDocs makes a new theme environment for every build; keep the compiled templates
        # so `serve` does not compile Material's templates again after each edit.
        env.bytecode_cache = _MemoryBytecodeCache(self.cache.room("compiled templates"))
        env.filters["rl_compact_js"] = compact_js
        env.globals["rl_cached"] = self.blocks.get
        env.globals["rl_remember"] = self._remember
        self.files = files
        if self.serving and self.nav is not None:
            # A dirty rebuild reads only modified pages, so a page it did not read has no
            # title and the navigation rendered that time would show "None" for it: read
            # the source (not render it) of every page in the navigation that was skipped,
            # and give it the title it was rendered with last time ("Fill in: enrich", not
            # the raw heading "Fill in: `enrich`"), so the navigation is the same as after
            # a full build (and the framed pages' frame too: they are not written again).
            titles = self.cache.room("rendered titles")
            for nav_page in self.nav.pages:
                if nav_page.markdown is None:
                    nav_page.read_source(config)
                    title = titles.get((nav_page.file.src_uri, nav_page.markdown))
                    if title is not None:
                        compat.set_rendered_title(nav_page, title)
        self.writer = self.renderer = None
        if self.paper_files:
            assert self.nav is not None
            renderer = PaperPages(env, config, self.nav, files,
                                  [f.paper_page for f in self.paper_files])
            if renderer.reason:
                log.info(f"framed pages are rendered one by one: {renderer.reason}")
            site_dir = str(config.site_dir)
            # The frame's signature and the page each file was written from, per folder.
            frames = self.cache.room("frames")
            signature = renderer.signature()
            same = self.serving and frames.get(site_dir) == signature
            frames[site_dir] = signature
            parallel = not self.serving and two_processes(self.config.workers,
                                                          len(self.paper_files))
            if parallel:
                log.info("writing framed pages in two processes")
            self.renderer = renderer
            self.writer = Writer(renderer, [Job(f.src_uri, f.abs_dest_path, f.paper_page)
                                            for f in self.paper_files],
                                 parallel=parallel, same_frame=same,
                                 written=self.cache.room("written").setdefault(site_dir, {}))
        return env

    def _remember(self, key: str, html: str) -> str:
        self.blocks[key] = html
        return html

    def on_page_content(self, html: str, /, *, page: MkPage, config: MkDocsConfig,
                        files: Files) -> str:
        # Bodies rendered from *.html.j2 templates are finished HTML: Markdown saw only their
        # front matter, and the body goes in here, before search indexes the page.
        if self.serving and page.markdown is not None:
            self.cache.room("rendered titles")[(page.file.src_uri, page.markdown)] = page.title
        return self.bodies.get(page.file.src_uri, html)

    def on_post_page(self, output: str, /, *, page: MkPage, config: MkDocsConfig) -> str:
        return finish(output, self.heads.get(page.file.src_uri, ""))
