"""The page set: every generated page (path -> Markdown) and data file (path -> bytes).

Computed from the collection, the site config, the metrics history and a date, with no
MkDocs objects, so the plugin stays thin and another engine could write this set to disk.
Page bodies are rendered by Jinja2 templates from ``site_templates/`` (a fork's own folder
first, then the defaults shipped with the package) with autoescaping on: untrusted text only
ever reaches the page escaped. Links inside pages are relative, so a site works under any
base path.

The package holds what the page set is made of besides its pages: the feeds (``feeds``), the
daily digest's content (``digest``) and the whitespace minifier (``minify``). Imports
``core`` only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import posixpath
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any, Generic, TypeVar

import jinja2
from markupsafe import Markup
from slugify import slugify

from ..core import bibtex, trending
from ..core.cache import Cache, or_fresh
from ..core.config import SiteConfig
from ..core.entries import Collection, Paper, load_schema, newest_published_first, paper_path
from ..core.render import (
    SHORT_AUTHORS,
    all_authors,
    excerpt,
    json_ld,
    note_html,
    plain_text,
    short_authors,
    shown_authors,
    text_html,
)
from . import digest, feeds

RELATED_COUNT = 5
# Stands for "the site root" in rendered links until the page's depth is known. Entries can
# never contain NUL (the loader refuses it), so it cannot be forged from an entry.
ROOT = "\x00/"
# Listing pages repeat paper text; only paper pages go into the search index, which keeps
# the index (downloaded whole by Material's search) to one record per paper.
LISTING = {"hide": ["toc"], "search": {"exclude": True}}


@dataclass(frozen=True, eq=False)
class Page:
    """One generated Markdown page."""

    path: str  #: source path, e.g. ``papers/trojanstego/index.md``
    url: str  #: site-relative URL, e.g. ``papers/trojanstego/``
    title: str  #: plain text (escaped when written into front matter)
    markdown: str  #: the Markdown document, front matter included
    source: str | None = None  #: the YAML file a reader's edit link opens
    in_nav: bool = False
    #: A paper page's record for Material's search index (made from the entry, not parsed
    #: back out of the page); None for other pages.
    search: dict[str, Any] | None = None
    #: What MkDocs reads from the front matter of ``markdown``.
    meta: dict[str, Any] = field(default_factory=dict)
    #: ``(head, html)``: the extra ``<head>`` HTML (meta tags, JSON-LD, feed links) and the
    #: finished body from an ``*.html.j2`` template (it bypasses Markdown; ``markdown`` is
    #: then front matter only). Paper pages make theirs on first use (``make``), so a build
    #: can render them in whichever process writes them.
    made: tuple[str, str | None] | None = None
    make: Callable[[], tuple[str, str | None]] | None = field(default=None, repr=False)
    #: Written like a paper page, through the checked frame (``paper_pages: fast``) instead
    #: of MkDocs' per-page pipeline: author, category and tag pages are, like paper pages,
    #: out of the navigation and one of many alike in their folder.
    frame: bool = False

    def _made(self) -> tuple[str, str | None]:
        if self.made is None:
            assert self.make is not None
            object.__setattr__(self, "made", self.make())
            object.__setattr__(self, "make", None)
        assert self.made is not None
        return self.made

    @property
    def head(self) -> str:
        return self._made()[0]

    @property
    def html(self) -> str | None:
        return self._made()[1]

    @property
    def is_paper(self) -> bool:
        return self.search is not None

    @property
    def framed(self) -> bool:
        """Written through the frame in ``paper_pages: fast`` (paper, author, category and
        tag pages)."""
        return self.frame or self.is_paper

    @property
    def text(self) -> str:
        """Everything the page carries: front matter, Markdown and HTML body."""
        return self.markdown + (self.html or "")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Page) and (
            (self.path, self.url, self.title, self.markdown, self.source, self.in_nav,
             self.search, self.meta, self.frame, self._made()) ==
            (other.path, other.url, other.title, other.markdown, other.source, other.in_nav,
             other.search, other.meta, other.frame, other._made()))

    __hash__ = None  # type: ignore[assignment]


@dataclass(frozen=True)
class PageSet:
    pages: tuple[Page, ...]
    files: dict[str, bytes] = field(default_factory=dict)  #: other outputs, path -> bytes

    def page(self, path: str) -> Page:
        return next(p for p in self.pages if p.path == path)


def url_of(path: str) -> str:
    """``papers/x/index.md`` -> ``papers/x/``; ``index.md`` -> ``""``."""
    return path[: -len("index.md")]


def rel(from_url: str, to_url: str) -> str:
    """A relative link between two site URLs (directory style)."""
    start = "/" + from_url
    target = "/" + to_url
    link = posixpath.relpath(target, start if start.endswith("/") else posixpath.dirname(start))
    if to_url.endswith("/") and not link.endswith("/"):
        link += "/"
    return "./" if link in (".", "./") else link


def _env_for(paths: tuple[str, ...]) -> jinja2.Environment:
    # Reused across `serve` rebuilds: Jinja recompiles a template whose file changed.
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(list(paths)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True,
                             lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(text=text_html, note=note_html, short_authors=short_authors,
                       all_authors=all_authors, shown_authors=shown_authors, excerpt=excerpt,
                       date=display_date)
    return env


def template_env(root: Path, cache: Cache | None = None) -> jinja2.Environment:
    """Jinja2 with the fork's ``site_templates/`` first, then the shipped defaults (with a
    ``cache``, one environment per folder list, so templates are compiled once a session;
    Jinja reloads a template whose file changed)."""
    defaults = Path(str(resources.files("generator.site_templates")))
    paths = tuple(dict.fromkeys(str(p.resolve()) for p in (root / "site_templates", defaults)
                                if p.is_dir()))
    if cache is None:
        return _env_for(paths)
    envs = cache.room("template environments")
    if paths not in envs:
        envs[paths] = _env_for(paths)
    return envs[paths]


_T = TypeVar("_T")


class Inline(Generic[_T]):
    """``fn()`` computed here and now: the default runner of the page set (the adapter
    passes :class:`generator.plugin.parallel.Background` to use a second core)."""

    def __init__(self, fn: Callable[[], _T]) -> None:
        self.value = fn()

    def result(self) -> _T:
        return self.value

    def cancel(self) -> None:
        pass


def _rank(collection: Collection, history: trending.History, today: dt.date,
          window: str, cache: Cache) -> trending.Ranking:
    """trending.rank, reused while what it reads is unchanged: ids, aliases and dates of
    the papers, the history (compared by content) and today (editing a title or an
    abstract changes none)."""
    key = (window, today, cache.token("history", history),
           tuple((p.id, p.aliases, p.added, p.published) for p in collection.papers))
    rankings = cache.room("rankings")
    ranking = rankings.get(key)
    if ranking is None:
        ranking = rankings[key] = trending.rank(collection, history, today, window)
        for old in list(rankings)[:-16]:  # the windows of the last few builds
            del rankings[old]
    return ranking


def template_signature(env: jinja2.Environment) -> tuple[tuple[str, int], ...]:
    """Every template file the environment can load, with its modification time."""
    loader = env.loader
    assert isinstance(loader, jinja2.FileSystemLoader)
    out = []
    for folder in loader.searchpath:
        for path in sorted(Path(folder).glob("*.j2")):
            out.append((str(path), path.stat().st_mtime_ns))
    return tuple(out)


def page_meta(title: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A page's metadata. The title is HTML-escaped: Material prints it unescaped."""
    return {"title": escape(title, quote=True), **(extra or {})}


def front_matter(meta: dict[str, Any]) -> str:
    """YAML front matter that MkDocs reads back as ``meta`` (JSON is YAML)."""
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in meta.items()]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


@dataclass
class _Builder:
    collection: Collection
    config: SiteConfig
    today: dt.date
    rankings: dict[str, trending.Ranking]
    env: jinja2.Environment
    related: dict[str, tuple[str, ...]]
    pages: list[Page] = field(default_factory=list)
    #: paper id -> (GitHub stars of its code, date of that count): :func:`code_stars`
    stars: dict[str, tuple[int, dt.date]] = field(default_factory=dict)
    card_macro: Any = None
    cut_chips: bool = False  #: card variants are cut from one marked render (see card)
    inputs: object = None  #: stands for the taxonomy, config and templates of this build
    #: what the previous build made, by everything it was made from, per generation of the
    #: cache (GENERATIONS; empty when pure), and what this build made or reused, the same way
    previous: dict[str, Mapping[Any, Any]] = field(default_factory=dict)
    made: dict[str, dict[Any, Any]] = field(default_factory=dict)
    feed_link_cache: dict[Any, str] = field(default_factory=dict)
    #: slugs of the authors who have a page; None: every author (``author_pages: all``)
    with_pages: frozenset[str] | None = None

    # -- helpers for templates -------------------------------------------------------------
    def links(self) -> dict[str, Any]:
        """URL helpers for templates. Links are written against ROOT, which ``add`` turns
        into the page's way up to the site root ("../../"), so any fragment (a card) renders
        once and is valid on every page."""

        def to(url: str) -> str:
            return ROOT + url

        return {
            "to": to,
            "paper_url": lambda pid: to(paper_path(pid)),
            "category_url": lambda slug: to(f"categories/{slug}/"),
            "tag_url": lambda slug: to(f"tags/{slug}/"),
            "author_url": self.author_url,
            "card_html": self.card,
        }

    def author_url(self, name: str) -> str | None:
        """The link to an author's page, None when the author has none (``author_pages``)."""
        slug = author_slug(name)
        if self.with_pages is not None and slug not in self.with_pages:
            return None
        return ROOT + f"authors/{slug}/"

    def feed_links(self, url: str, kind: str, slug: str | None) -> str:
        """<link rel="alternate"> tags of a page; the same for every page of a kind and
        depth (every paper page links the main feed), so computed once for each."""
        key = (url.count("/"), kind, slug if kind != "paper" else None)
        links = self.feed_link_cache.get(key)
        if links is None:
            links = self.feed_link_cache[key] = feed_links(
                self.collection, self.config, url, kind, slug)
        return links

    def card(self, paper: Paper, omit: str | None = None) -> Markup:
        """A paper's card (the ``card`` macro of _macros.html.j2) for each chip it leaves
        out (``omit``: ``"category:<slug>"`` or ``"tag:<slug>"``, the listing it is shown
        on). Rendered once per paper with its chips marked; each variant cuts one chip out
        of that (checked against the template on the first card; a fork's ``card`` without
        ``marked`` is rendered once per variant)."""
        key = (paper, omit, self.inputs)
        cards = self.made.setdefault("cards", {})
        html = cards.get(key) or self.previous["cards"].get(key)
        if html is None:
            if self.card_macro is None:
                module = self.env.get_template("_macros.html.j2").make_module(
                    self.context(""))
                self.card_macro = module.card
                self.cut_chips = "marked" in getattr(module.card, "arguments", ()) and \
                    self._cuts_like_the_template(paper)
            if self.cut_chips:
                marked_key = (paper, "\x02", self.inputs)
                marked = cards.get(marked_key) or self.previous["cards"].get(marked_key)
                if marked is None:
                    marked = self.card_macro(paper, marked=True)
                cards[marked_key] = marked
                html = Markup(_cut_chip(marked, omit))
            else:
                html = Markup(self.card_macro(paper, omit=omit))
        cards[key] = html
        return html

    def _cuts_like_the_template(self, paper: Paper) -> bool:
        """Whether cutting chips out of the marked card gives what the template gives."""
        marked = self.card_macro(paper, marked=True)
        omits = [None, f"category:{paper.category}", *(f"tag:{t}" for t in paper.tags)]
        return all(_cut_chip(marked, omit) == str(self.card_macro(paper, omit=omit))
                   for omit in omits)

    def context(self, here: str, **values: Any) -> dict[str, Any]:
        taxonomy = self.collection.taxonomy
        return {"config": self.config, "today": self.today, "collection": self.collection,
                "categories": taxonomy.category_by_slug, "tags": taxonomy.tag_by_slug,
                **self.links(), **values}

    def render(self, template: str, here: str, **values: Any) -> str:
        return self.env.get_template(template).render(self.context(here, **values))

    def add(self, path: str, title: str, template: str, *, head_kind: str = "page",
            slug: str | None = None, meta: dict[str, Any] | None = None,
            in_nav: bool = False, source: str | None = None,
            head: Callable[[], str] | None = None, search: dict[str, Any] | None = None,
            lazy: bool = False, frame: bool = False,
            kept: tuple[str, tuple[Any, ...]] | None = None, **values: Any) -> None:
        """Add a page; ``lazy``: its head and body are rendered when first used. ``values``
        may hold callables, called then (parts only the body needs). ``kept``: (generation,
        key) under which the cache keeps it for the next build (see :meth:`reused`)."""
        url = url_of(path)
        page_meta_ = page_meta(title, meta)
        markdown = front_matter(page_meta_)

        def make() -> tuple[str, str]:
            found = {k: v() if callable(v) else v for k, v in values.items()}
            body = self.render(template, url, page_url=url, slug=slug, **found)
            body = body.replace(ROOT, "../" * url.count("/") or "./")
            return (head() if head else "") + self.feed_links(url, head_kind, slug), body

        html_body = template.endswith(".html.j2")
        if lazy:
            assert html_body, "only HTML bodies can wait: a Markdown body is part of the source"
            self.pages.append(Page(path, url, title, markdown, source, in_nav, search,
                                   page_meta_, make=make, frame=frame))
        else:
            extra, body = make()
            if not html_body:
                markdown += body
            self.pages.append(Page(path, url, title, markdown, source, in_nav, search,
                                   page_meta_, made=(extra, body if html_body else None),
                                   frame=frame))
        if kept is not None:
            self.made.setdefault(kept[0], {})[kept[1]] = self.pages[-1]

    def reused(self, generation: str, key: tuple[Any, ...]) -> bool:
        """Whether the previous build made a page from ``key`` (everything it shows); if so
        it is this build's too. Otherwise the caller adds it with ``kept=(generation, key)``:
        `serve` makes again only the pages an edit changes."""
        cached = self.previous.get(generation, {}).get(key)
        if cached is not None:
            self.pages.append(cached)
            self.made.setdefault(generation, {})[key] = cached
        return cached is not None

    # -- pages ------------------------------------------------------------------------------
    def home(self) -> None:
        c = self.collection
        ranking = self.ranking(self.config.trending_default, self.config.home_trending)
        newest, skipped = home_newest(c, ranking, self.config.home_newest)
        self.add("index.md", self.config.site_name, "home.html.j2", head_kind="home",
                 in_nav=True, meta={**LISTING, "hide": ["navigation", "toc"]},
                 newest=newest, newest_skipped=skipped, ranking=ranking,
                 counts={"papers": len(c.papers), "categories": len(c.taxonomy.categories),
                         "tags": sum(1 for t in c.by_tag.values() if t)})

    def paper(self, paper: Paper) -> None:
        related_papers = tuple(self.collection.by_id[pid]
                               for pid in self.related.get(paper.id, ()))
        # Everything a paper page is made of: reused as is while none of it changes (a
        # `serve` rebuild after one edit renders one page, not thousands).
        code = code_button(paper, self.stars.get(paper.id))
        key = ("paper pages", (paper, related_papers, code, self.inputs))
        if self.reused(*key):
            return
        path = paper_path(paper.id) + "index.md"
        self.add(
            # <title> is plain text: $\ell_2$ reads as ℓ₂ there, not as TeX.
            path, math_text(paper.title), "paper.html.j2", head_kind="paper", slug=paper.id,
            source=paper.source,
            meta={"hide": ["toc"], "template": "reading-list-paper.html",
                  # Material prints it unescaped into <meta name="description">.
                  "description": escape(summary(paper), quote=True),
                  # Indexed from the entry (search_record), not from the page.
                  "search": {"exclude": True}},
            head=lambda: paper_head(paper, self.config, url_of(path)),
            search=search_record(paper, self.collection, url_of(path)), lazy=True,
            paper=paper, related=related_papers, code=code,
            bibtex=lambda: bibtex.entry(paper),
            correction_url=lambda: correction_url(paper, self.config), kept=key)

    def listing(self, kind: str, slug: str, title: str, description: str,
                papers: Sequence[Paper]) -> None:
        size = max(1, self.config.page_size)
        chunks = [papers[i:i + size] for i in range(0, len(papers), size)] or [()]
        base = f"{kind}/{slug}/"
        for number, chunk in enumerate(chunks, start=1):
            url = base if number == 1 else f"{base}page/{number}/"
            pager = {"number": number, "total": len(chunks),
                     "prev": None if number == 1 else
                     (base if number == 2 else f"{base}page/{number - 1}/"),
                     "next": f"{base}page/{number + 1}/" if number < len(chunks) else None}
            page_title = title if number == 1 else f"{title} (page {number})"
            # Reused while nothing it shows changed (`serve` re-renders the listings that
            # hold an edited paper, not all of them).
            key = (url, page_title, kind, slug, title, description, tuple(chunk), len(papers),
                   tuple(pager.items()), self.inputs, self.today)
            if self.reused("listings", key):
                continue
            self.add(
                url + "index.md", page_title, "listing.html.j2",
                head_kind="category" if kind == "categories" else "tag", slug=slug,
                meta={**LISTING, "template": "reading-list-paper.html"},
                kind=kind, heading=title,
                description=description, papers=chunk, count=len(papers), pager=pager,
                first=(number - 1) * size, frame=True,
                omit=("category:" if kind == "categories" else "tag:") + slug,
                kept=("listings", key))

    def indexes(self) -> None:
        c = self.collection
        self.add("categories/index.md", "Categories", "categories.html.j2", in_nav=True,
                 meta=LISTING)
        for cat in c.taxonomy.categories:
            self.listing("categories", cat.slug, cat.title, cat.description,
                         c.by_category.get(cat.slug, ()))
        used = [t for t in c.taxonomy.tags if c.by_tag.get(t.slug)]
        self.add("tags/index.md", "Tags", "tags.html.j2", in_nav=True, meta=LISTING,
                 used_tags=used, tag_index=tag_index(c))
        for tag in used:
            self.listing("tags", tag.slug, tag.title, tag.description, c.by_tag[tag.slug])

    def ranking(self, window: str, limit: int | None = None) -> trending.Ranking:
        ranking = self.rankings[window]
        if limit is not None:
            ranking = trending.Ranking(**{**ranking.__dict__, "rows": ranking.rows[:limit]})
        return ranking

    def trending_pages(self) -> None:
        windows = list(self.config.trending_windows)
        for window in windows:
            url = "trending/" if window == self.config.trending_default else \
                f"trending/{window}/"
            tabs = [(w, "trending/" if w == self.config.trending_default else f"trending/{w}/")
                    for w in windows]
            title = "Trending" if url == "trending/" else f"Trending this {window}"
            self.add(url + "index.md", title, "trending.html.j2", in_nav=url == "trending/",
                     meta=LISTING, window=window, tabs=tabs,
                     ranking=self.ranking(window, self.config.trending_limit))

    def saved(self) -> None:
        """``/saved/``: the papers a reader marked in this browser, listed by saved.js from
        the papers index (nothing about the marks is known when the site is built)."""
        self.add("saved/index.md", "Saved", "saved.html.j2", in_nav=True,
                 meta={**LISTING, "hide": ["toc"]})

    def subscribe(self) -> None:
        self.add("subscribe/index.md", "Subscribe", "subscribe.md.j2", in_nav=True,
                 **feeds.subscribe_context(self.collection, self.config))

    # -- browsing: every paper, authors (issue 15.4) ----------------------------------------
    def all_papers(self) -> None:
        """``/papers/``: every paper, newest additions first, paginated like a category;
        browse.js sorts and filters the whole list from ``papers/index.json``."""
        c = self.collection
        papers = c.newest
        size = max(1, self.config.page_size)
        chunks = [papers[i:i + size] for i in range(0, len(papers), size)] or [()]
        facets = browse_facets(c)
        trending_on = not self.rankings[self.config.trending_default].fallback
        facets_key = tuple((name, tuple(values)) for name, values in facets.items())
        for number, chunk in enumerate(chunks, start=1):
            url = "papers/" if number == 1 else f"papers/page/{number}/"
            key = ("papers", url, tuple(chunk), len(papers), len(chunks), facets_key,
                   trending_on, self.inputs, self.today)
            if not self.reused("listings", key):
                self.add(url + "index.md", "All papers" if number == 1
                         else f"All papers (page {number})", "papers.html.j2",
                         in_nav=number == 1, meta=_listing_meta(url),
                         papers=chunk, count=len(papers), facets=facets,
                         pager=_pager("papers/", number, len(chunks)), trending=trending_on,
                         kept=("listings", key))

    def authors_index(self, authors: Sequence[Author]) -> None:
        """``/authors/``: every author by surname, in pages of ten listings' worth."""
        ordered = sorted(authors, key=lambda a: a.sort_key)
        size = max(1, self.config.page_size) * 10
        chunks = [ordered[i:i + size] for i in range(0, len(ordered), size)] or [[]]
        for number, chunk in enumerate(chunks, start=1):
            url = "authors/" if number == 1 else f"authors/page/{number}/"
            groups: dict[str, list[Author]] = {}
            for author in chunk:
                groups.setdefault(author.letter, []).append(author)
            key = ("authors", url, tuple(chunk), len(ordered), len(chunks), self.inputs,
                   self.today)
            if not self.reused("listings", key):
                self.add(url + "index.md", "Authors" if number == 1 else
                         f"Authors (page {number})", "authors.html.j2",
                         meta=_listing_meta(url), groups=list(groups.items()),
                         count=len(ordered), pager=_pager("authors/", number, len(chunks)),
                         span=(chunk[0].surname, chunk[-1].surname) if chunk else None,
                         kept=("listings", key))

    def author_pages(self, authors: Sequence[Author]) -> None:
        """One page per author (more when paginated). The first page of each is written
        through the paper pages' frame and rendered when written (``lazy``): thousands of
        small pages, each costing what a paper page costs."""
        size = max(1, self.config.page_size)
        for author in authors:
            chunks = [author.papers[i:i + size] for i in range(0, len(author.papers), size)]
            base = f"authors/{author.slug}/"
            for number, chunk in enumerate(chunks, start=1):
                url = base if number == 1 else f"{base}page/{number}/"
                title = author.name if number == 1 else f"{author.name} (page {number})"
                key = (url, author, tuple(chunk), len(chunks), self.inputs)
                if self.reused("author pages", key):
                    continue
                count = len(author.papers)
                description = (f"{count} paper{'' if count == 1 else 's'} by "
                               f"{author.name} in {self.config.site_name}.")
                self.add(url + "index.md", title, "author.html.j2",
                         meta={**LISTING, "template": "reading-list-paper.html",
                               "description": escape(description, quote=True)},
                         lazy=True, frame=number == 1, author=author, papers=chunk,
                         pager=_pager(base, number, len(chunks)), kept=("author pages", key))


_CHIP_MARKS = re.compile("\x02[^\x03]*\x03|\x04")


def _cut_chip(marked: str, omit: str | None) -> str:
    """A card rendered with ``marked=True`` without the chip ``omit`` and the marks."""
    if omit is not None:
        start = marked.find(f"\x02{omit}\x03")
        if start >= 0:
            marked = marked[:start] + marked[marked.index("\x04", start) + 1:]
    return _CHIP_MARKS.sub("", marked)


def feed_links(collection: Collection, config: SiteConfig, here: str, kind: str,
               slug: str | None) -> str:
    """``<link rel="alternate">`` tags for the feeds relevant to a page."""
    out = []
    for info in feeds.feeds_for_page(collection, config, kind, slug):
        out.append(f'<link rel="alternate" type="{info.mime}" title="{escape(info.title)}" '
                   f'href="{escape(rel(here, info.path))}">')
    return "\n".join(out) + ("\n" if out else "")


def summary(paper: Paper) -> str:
    """The first 300 characters of the abstract, for descriptions and cards in other sites;
    without an abstract, who wrote the paper and where it appeared. Math is written as text
    (``$(\\epsilon,\\delta)$`` becomes ``(ε,δ)``): these places show no rendered math."""
    if paper.abstract:
        return excerpt(math_text(paper.abstract), 300)
    facts = [math_text(paper.title), short_authors(paper), paper.venue or "",
             str(paper.year) if paper.year else ""]
    return excerpt(". ".join(f for f in facts if f), 300)


def math_text(text: str) -> str:
    """Entry text with each ``$...$`` span (the spans pages render with KaTeX) written as
    readable Unicode instead of TeX: commands become symbols or go (``\\mathbb{R}`` is
    ``R``, ``\\sqrt{n}`` is ``√(n)``), braces and backslashes go; ``\\$`` is ``$``."""
    from ..core.render import _MATH  # the one definition of what counts as math

    out: list[str] = []
    pos = 0
    for match in _MATH.finditer(text):
        out += [plain_text(text[pos:match.start()]), _tex_text(match.group(1))]
        pos = match.end()
    out.append(plain_text(text[pos:]))
    return "".join(out)


@lru_cache(maxsize=4096)
def _tex_text(tex: str) -> str:
    import re
    import unicodedata

    from pylatexenc.latex2text import LatexNodes2Text

    try:
        text = LatexNodes2Text(math_mode="text").latex_to_text(tex)
    except Exception:  # any parser failure (deep nesting too): grouping braces go as well
        text = re.sub(r"(?<!\\)[{}]", "", tex)
    # NFKC turns math alphabets (the 𝐖 of \\mathbf{W}) into plain letters; whatever is
    # left of TeX (an unknown command, a lone backslash) is dropped.
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\\[A-Za-z]+\*?|\\(?![A-Za-z])", "", text)
    return re.sub(r"\s+", " ", text).strip()


_MONTHS = trending.MONTHS


def display_date(value: dt.date | Any) -> str:
    """The one way pages show a date: ``2 December 2026``; a date known only to the month
    or the year (an entry's ``published``) as ``May 2025`` or ``2025``. Machine-readable
    places keep ISO dates (``<time datetime>``, data files) and feeds RFC 822.
    Locale-independent: month names are English whatever the build machine's locale."""
    if isinstance(value, dt.date):
        return f"{value.day} {_MONTHS[value.month - 1]} {value.year}"
    year, month, day = value.year, getattr(value, "month", None), getattr(value, "day", None)
    if month and day:
        return f"{day} {_MONTHS[month - 1]} {year}"
    return f"{_MONTHS[month - 1]} {year}" if month else str(year)


def paper_head(paper: Paper, config: SiteConfig, url: str) -> str:
    """Highwire Press, Open Graph, Twitter and schema.org metadata for a paper page."""
    tags: list[tuple[str, str, str]] = [("name", "citation_title", plain_text(paper.title))]
    tags += [("name", "citation_author", a) for a in paper.authors]
    if paper.published:
        tags.append(("name", "citation_publication_date", paper.published.iso.replace("-", "/")))
    tags.append(("name", "citation_online_date", paper.added.isoformat().replace("-", "/")))
    if paper.pdf_url:
        tags.append(("name", "citation_pdf_url", paper.pdf_url))
    if paper.arxiv:
        tags.append(("name", "citation_arxiv_id", paper.arxiv))
    if paper.doi:
        tags.append(("name", "citation_doi", paper.doi))
    if paper.main_url:
        tags.append(("name", "citation_abstract_html_url", paper.main_url))
    if paper.venue:
        tags.append(("name", "citation_conference_title", paper.venue))
    tags.append(("name", "citation_keywords", "; ".join(paper.tags)))
    page_url = config.absolute(url) if config.site_url else ""
    # Twitter/X cards fall back to the og: values, so only the card type is repeated.
    tags += [("property", "og:type", "article"), ("property", "og:title", math_text(paper.title)),
             ("property", "og:description", summary(paper)),
             ("property", "og:site_name", config.site_name),
             ("name", "twitter:card", "summary")]
    if page_url:
        tags.append(("property", "og:url", page_url))
    lines = [f'<meta {attr}="{escape(name)}" content="{escape(value)}">'
             for attr, name, value in tags]
    article: dict[str, Any] = {
        "@context": "https://schema.org", "@type": "ScholarlyArticle",
        "headline": paper.title[:110], "name": paper.title,
        "author": [{"@type": "Person", "name": a} for a in paper.authors],
        "keywords": list(paper.tags), "dateCreated": paper.added.isoformat(),
    }
    if paper.abstract:
        article["abstract"] = plain_text(paper.abstract)
    if paper.published:
        article["datePublished"] = paper.published.iso
    if page_url:
        article["url"] = page_url
    same = [u for u in (paper.arxiv_url, paper.doi_url, paper.url) if u]
    if same:
        article["sameAs"] = same
    if paper.doi:
        article["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI",
                                 "value": paper.doi}
    if paper.venue:
        article["isPartOf"] = {"@type": "PublicationEvent", "name": paper.venue}
    lines.append(f'<script type="application/ld+json">{json_ld(article)}</script>')
    return "\n".join(lines) + "\n"


#: Material's search ranks a paper's weakest match above the strongest match in the
#: documentation (a title match there weighs 1,000, a word of an abstract 1): papers first,
#: in their own order, since one boost for all of them changes none of their places.
SEARCH_BOOST = 100_000
#: Characters in one block of a record's text: Material shows only the blocks that match
#: (two at most), so a result shows a sentence or two of the abstract, not all of it.
SEARCH_CHUNK = 200


def search_chunks(text: str, limit: int = SEARCH_CHUNK) -> list[str]:
    """``text`` in pieces of a sentence or so, each at most ``limit`` characters unless a
    single word is longer: cut after a sentence's end, else at a word boundary, never inside
    ``$...$`` math."""
    chunks: list[str] = []
    words: list[str] = []
    size = dollars = 0  # characters and "$" signs in ``words``
    for word in text.split():
        if words and size + 1 + len(word) > limit and dollars % 2 == 0:
            chunks.append(" ".join(words))
            words, size, dollars = [], 0, 0
        words.append(word)
        size += len(word) + (1 if size else 0)
        dollars += word.count("$")
        if word.endswith((".", "?", "!")) and size >= limit // 3 and dollars % 2 == 0:
            chunks.append(" ".join(words))
            words, size, dollars = [], 0, 0
    if words:
        chunks.append(" ".join(words))
    return chunks


def search_byline(paper: Paper) -> str:
    """"A, B, C et al. · 2025 · Venue": the year is left out when the venue names it."""
    year = str(paper.year) if paper.year else ""
    venue = paper.venue or ""
    parts = [short_authors(paper), "" if year and year in venue else year, venue]
    return " · ".join(p for p in parts if p)


def search_record(paper: Paper, collection: Collection, url: str) -> dict[str, Any]:
    """A paper's record in Material's search index, laid out for a result that scans.

    The title carries the byline (authors, year, venue) in a span, since Material always
    shows a record's title whole. The text is the abstract in blocks of a sentence or so
    (:func:`search_chunks`), then the authors the byline leaves out, then the details a
    reader searches by (category, tags, arXiv id, DOI): Material shows the (at most two)
    blocks that match, and CSS shows only the first two when only the title matched.
    Everything is escaped: the index's text is shown as HTML. ``boost`` puts papers before
    documentation pages (:data:`SEARCH_BOOST`)."""
    taxonomy = collection.taxonomy
    details = [taxonomy.category_by_slug[paper.category].title,
               *(taxonomy.tag_by_slug[t].title for t in paper.tags),
               f"arXiv {paper.arxiv}" if paper.arxiv else None,
               f"DOI {paper.doi}" if paper.doi else None]
    blocks = search_chunks(plain_text(paper.abstract))
    if len(paper.authors) > SHORT_AUTHORS:  # the names the byline leaves out
        blocks.append(", ".join(paper.authors[SHORT_AUTHORS:]))
    blocks.append(" · ".join(d for d in details if d))
    byline = search_byline(paper)
    title = escape(paper.title, quote=False)
    if byline:
        title += f'<span class="rl-sr-by">{escape(byline, quote=False)}</span>'
    return {"location": url, "title": title, "boost": SEARCH_BOOST,
            "text": "".join(f"<p>{escape(b, quote=False)}</p>" for b in blocks if b)}


def home_newest(collection: Collection, ranking: trending.Ranking, count: int
                ) -> tuple[tuple[Paper, ...], bool]:
    """The home page's newest additions, without the papers its trending block shows (home
    shows each paper once), and whether any was left out for that. A fallback ranking is
    not shown on home, so it takes nothing away."""
    shown = set() if ranking.fallback else {row.paper_id for row in ranking.rows}
    newest = tuple(p for p in collection.newest if p.id not in shown)[:count]
    return newest, any(p.id in shown for p in collection.newest[:count])


@dataclass(frozen=True)
class CodeButton:
    """What a paper page's Code button shows: the repository, and its GitHub stars when
    the metrics history has counted them (the same ``github_stars`` trending reads)."""

    url: str
    stars: int | None = None
    counted: dt.date | None = None  #: the day of the newest count

    @property
    def on_github(self) -> bool:
        return self.url.lower().startswith(("https://github.com/", "http://github.com/"))

    @property
    def short(self) -> str:
        """The count as GitHub writes it: 950, 1.2k, 15.3k, 123k, 1.5M (rounded down, so it
        never claims a star the repository does not have)."""
        n = self.stars or 0
        for size, unit in ((1_000_000, "M"), (1_000, "k")):
            if n >= size:
                whole = n // size
                if whole >= 100:
                    return f"{whole}{unit}"
                tenths = n * 10 // size
                return f"{tenths // 10}.{tenths % 10}{unit}".replace(".0" + unit, unit)
        return str(n)

    @property
    def label(self) -> str:
        """The button's accessible name, with the exact count."""
        where = "Code on GitHub" if self.on_github else "Code"
        if self.stars is None:
            return where
        return f"{where}, {self.stars:,} star{'' if self.stars == 1 else 's'}"


def code_stars(collection: Collection, history: trending.History, today: dt.date
               ) -> dict[str, tuple[int, dt.date]]:
    """Paper id -> (GitHub stars, day counted): the newest count on or before ``today`` of
    each paper with a code link (history under a former id counts, as in trending)."""
    out: dict[str, tuple[int, dt.date]] = {}
    for paper in collection.papers:
        if not dict(paper.links).get("code"):
            continue
        counts = [(day, n) for day, n in history.series(paper.id, "github_stars",
                                                         paper.aliases) if day <= today]
        if counts:
            out[paper.id] = (counts[-1][1], counts[-1][0])
    return out


def code_button(paper: Paper, stars: tuple[int, dt.date] | None) -> CodeButton | None:
    """The Code button of a paper with ``links.code`` (None without one)."""
    url = dict(paper.links).get("code")
    if not url:
        return None
    return CodeButton(url, *(stars or (None, None)))


def correction_url(paper: Paper, config: SiteConfig) -> str | None:
    """A pre-filled "Suggest a correction" issue form on the repository."""
    if not config.repo_url or "github.com" not in config.repo_url:
        return None
    from urllib.parse import urlencode

    query = urlencode({"template": "correction.yml", "title": f"Correction: {paper.title}"[:200],
                       "paper-id": paper.id, "paper-title": paper.title})
    return f"{config.repo_url}/issues/new?{query}"


def papers_json(collection: Collection, config: SiteConfig, today: dt.date) -> bytes:
    """``/papers.json``: every entry in a documented, stable shape (see docs/data.md)."""
    items = []
    for p in collection.papers:
        items.append({
            "id": p.id, "url": config.absolute(paper_path(p.id)) if config.site_url
            else paper_path(p.id),
            "title": p.title, "authors": list(p.authors),
            "authors_incomplete": p.authors_incomplete,
            "published": p.published.iso if p.published else None,
            "added": p.added.isoformat(), "arxiv": p.arxiv, "doi": p.doi, "paper_url": p.url,
            "venue": p.venue, "links": dict(p.links), "category": p.category,
            "tags": list(p.tags), "abstract": p.abstract, "note": p.note,
            "aliases": list(p.aliases),
        })
    doc = {"version": 1, "site": config.site_name, "site_url": config.site_url or None,
           "date": today.isoformat(), "count": len(items), "papers": items}
    # Compact: the C encoder is ten times faster than an indented dump, and this is data.
    return (json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
            + "\n").encode()


def redirect_html(target: str, absolute: str | None, what: str = "This paper") -> bytes:
    """A tiny page sending an old URL (an alias) to the current one of ``what`` moved."""
    href = escape(target)
    canonical = f'<link rel="canonical" href="{escape(absolute)}">' if absolute else ""
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Moved</title>'
            f'{canonical}<meta name="robots" content="noindex">'
            f'<meta http-equiv="refresh" content="0; url={href}"></head>'
            f'<body><p>{escape(what)} moved to <a href="{href}">{href}</a>.</p></body></html>\n'
            ).encode()


def data_files(collection: Collection, config: SiteConfig, today: dt.date,
               rankings: Sequence[trending.Ranking],
               past_rankings: Sequence[trending.Ranking] = ()) -> dict[str, bytes]:
    """Everything besides pages: BibTeX, JSON, schema, feeds, alias redirects."""
    files: dict[str, bytes] = {
        "papers.bib": bibtex.bibliography(collection.papers).encode(),
        "papers.json": papers_json(collection, config, today),
        "schema.json": (json.dumps(load_schema(), indent=2, ensure_ascii=False) + "\n").encode(),
        "trending.json": (json.dumps(trending.rankings_json(rankings), sort_keys=True,
                                     ensure_ascii=False, separators=(",", ":"))
                          + "\n").encode(),
    }
    for slug, papers in sorted(collection.by_category.items()):
        if papers:
            files[f"bib/categories/{slug}.bib"] = bibtex.bibliography(papers).encode()
    for slug, papers in sorted(collection.by_tag.items()):
        if papers:
            files[f"bib/tags/{slug}.bib"] = bibtex.bibliography(papers).encode()
    for paper in collection.papers:
        for alias in paper.aliases:
            absolute = config.absolute(paper_path(paper.id)) if config.site_url else None
            files[paper_path(alias) + "index.html"] = redirect_html(f"../{paper.id}/", absolute)
    files.update(taxonomy_redirects(collection, config))
    # The digest feed keeps each past day's own top N, so it gets a ranking per day.
    files.update(feeds.build_feeds(collection, config, today,
                                   [*rankings, *past_rankings]))
    # Material's instant navigation fetches "sitemap.xml" next to every <link rel=alternate>
    # (meant for language versions), so feed folders get an empty one instead of a 404.
    for folder in sorted({posixpath.dirname(p) for p in files if p.endswith(".xml")} - {""}):
        files[f"{folder}/sitemap.xml"] = EMPTY_SITEMAP
    return dict(sorted(files.items()))


def taxonomy_redirects(collection: Collection, config: SiteConfig) -> dict[str, bytes]:
    """What a renamed category or tag keeps at its former slug: a page redirecting to the
    listing, and the BibTeX file (a download, which a redirect page cannot stand in for).
    The former feed is written by :func:`generator.pages.feeds.build_feeds`."""
    files: dict[str, bytes] = {}
    groups = (("categories", "This category", collection.taxonomy.categories,
               collection.by_category),
              ("tags", "This tag", collection.taxonomy.tags, collection.by_tag))
    for kind, what, items, papers in groups:
        for item in items:
            absolute = config.absolute(f"{kind}/{item.slug}/") if config.site_url else None
            for alias in item.aliases:
                files[f"{kind}/{alias}/index.html"] = redirect_html(
                    f"../{item.slug}/", absolute, what)
                if papers.get(item.slug):
                    files[f"bib/{kind}/{alias}.bib"] = \
                        bibtex.bibliography(papers[item.slug]).encode()
    return files

# -- browsing: authors, the list of every paper, the tags index (issue 15.4) -----------------

#: Name endings that are not a surname ("Jr.", "III"): the surname is the word before them.
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "phd"})


@lru_cache(maxsize=1 << 16)
def author_slug(name: str) -> str:
    """The URL slug of an author's page: python-slugify of the name (so "Paul Röttger" and
    "Paul Rottger" share ``paul-rottger``, one page listing both spellings). A name that
    slugifies to nothing (only punctuation) gets ``author-`` and a hash of the name: stable,
    and never the slug of a real name."""
    slug = slugify(name, max_length=80, word_boundary=True)
    if slug:
        return slug
    return "author-" + hashlib.blake2b(name.encode("utf-8"), digest_size=5).hexdigest()


def _surname(name: str) -> str:
    """The last word of a name that is not a suffix: "surname-ish" (a name written family
    name first sorts by its given name; a list cannot tell the two apart)."""
    words = [w for w in name.replace(",", " ").split() if w]
    while len(words) > 1 and words[-1].rstrip(".").casefold() in _SUFFIXES:
        words.pop()
    return words[-1] if words else name


@dataclass(frozen=True)
class Author:
    """Everyone who slugs to one page: the spellings found in the entries, the most used
    first (then alphabetical), and their papers, newest publication first."""

    slug: str
    names: tuple[str, ...]
    papers: tuple[Paper, ...]

    @property
    def name(self) -> str:
        return self.names[0]

    @property
    def surname(self) -> str:
        return _surname(self.name)

    @property
    def sort_key(self) -> tuple[str, str, str]:
        """Surname, then the whole name, each as its slug (accents and case folded, so
        "Öztürk" sorts with the O's), then the slug itself to break ties."""
        return (slugify(self.surname) or "~", slugify(self.name) or "~", self.slug)

    @property
    def letter(self) -> str:
        """The index heading the author is listed under: the surname's first letter, or
        "#" for a surname that does not start with a Latin letter once transliterated."""
        first = self.sort_key[0][:1].upper()
        return first if "A" <= first <= "Z" else "#"


def authors_of(collection: Collection) -> tuple[Author, ...]:
    """Every author of the list, one per slug, in slug order (deterministic)."""
    spellings: dict[str, dict[str, int]] = {}
    papers: dict[str, dict[str, Paper]] = {}
    for paper in collection.papers:
        for name in paper.authors:
            slug = author_slug(name)
            counts = spellings.setdefault(slug, {})
            counts[name] = counts.get(name, 0) + 1
            papers.setdefault(slug, {})[paper.id] = paper
    return tuple(
        Author(slug, tuple(sorted(spellings[slug], key=lambda n: (-spellings[slug][n], n))),
               tuple(sorted(papers[slug].values(), key=newest_published_first)))
        for slug in sorted(spellings))


def authors_with_pages(authors: Sequence[Author], mode: str) -> tuple[Author, ...]:
    """The authors who get a page: every one (``all``), those of two or more papers on the
    list (``shared``), or none."""
    if mode == "none":
        return ()
    if mode == "shared":
        return tuple(a for a in authors if len(a.papers) >= 2)
    return tuple(authors)


def _listing_meta(url: str) -> dict[str, Any]:
    """A listing's metadata. Pages below a folder's first level share one rendered sidebar
    per folder (reading-list-paper.html keys it by the URL's first part, which a folder's
    own index, one level up, shares with its pages: papers/ with papers/x/)."""
    return {**LISTING, "template": "reading-list-paper.html"} if url.count("/") > 1 \
        else LISTING


def _pager(base: str, number: int, total: int) -> dict[str, Any]:
    """Page ``number`` of ``total`` under ``base``, as listing.html.j2 reads it."""
    return {"number": number, "total": total,
            "prev": None if number == 1 else
            (base if number == 2 else f"{base}page/{number - 1}/"),
            "next": f"{base}page/{number + 1}/" if number < total else None}


_YEAR_AT_END = re.compile(r"[\s,'’]*(?:19|20)\d\d$")


def venue_series(venue: str) -> str:
    """A venue without its year ("NeurIPS 2024" -> "NeurIPS"): the browse filter offers a
    venue across years, and the year filter narrows it."""
    return _YEAR_AT_END.sub("", venue).strip() or venue


def _title_key(title: str) -> tuple[str, str]:
    return (title.casefold(), title)


def browse_facets(collection: Collection) -> dict[str, list[tuple[str, str]]]:
    """The values /papers/ filters by, as (value, label) pairs in the order they are
    offered: years newest first, venues and tags by name, categories as the taxonomy
    orders them (only those with papers)."""
    taxonomy = collection.taxonomy
    years = sorted({p.year for p in collection.papers if p.year}, reverse=True)
    venues = sorted({venue_series(p.venue) for p in collection.papers if p.venue},
                    key=_title_key)
    return {
        "year": [(str(y), str(y)) for y in years],
        "venue": [(v, v) for v in venues],
        "category": [(c.slug, c.title) for c in taxonomy.categories
                     if collection.by_category.get(c.slug)],
        "tag": [(t.slug, t.title) for t in sorted(taxonomy.tags, key=lambda t: _title_key(
            t.title)) if collection.by_tag.get(t.slug)],
    }


def tag_index(collection: Collection) -> list[tuple[Any, int, int]]:
    """The tags index: (tag, paper count, size 1-4) for every tag with papers, ordered by
    the title shown (case folded), not by slug. The size grows with the logarithm of the
    count, so a tag with ten times the papers of another is visibly bigger, not ten times."""
    used = [(t, len(collection.by_tag[t.slug])) for t in collection.taxonomy.tags
            if collection.by_tag.get(t.slug)]
    if not used:
        return []
    top = math.log(max(n for _, n in used))
    out = []
    for tag, count in sorted(used, key=lambda item: _title_key(item[0].title)):
        size = 1 + (round(3 * math.log(count) / top) if top else 0)
        out.append((tag, count, size))
    return out


def simple_slug(name: str) -> str:
    """The slug browse.js computes for a name (accents dropped, lower case, runs of anything
    else one hyphen): papers/index.json lists an author's slug only where python-slugify
    says otherwise (ß, Ø, CJK, long names), which keeps the file small."""
    text = _COMBINING.sub("", unicodedata.normalize("NFKD", name)).lower()
    return _NOT_SLUG.sub("-", text).strip("-")


_COMBINING = re.compile("[\u0300-\u036f]")
_NOT_SLUG = re.compile("[^a-z0-9]+")


def papers_index_json(collection: Collection, ranking: trending.Ranking,
                      with_pages: frozenset[str] | None = None) -> bytes:
    """``papers/index.json``: what /papers/ sorts and filters by (docs/data.md).

    Column by column (one list per field, a paper's values at the same position in each),
    newest addition first: as rows of objects the keys alone were a third of the gzipped
    file. Each paper's first three authors, with the number of the others (a row shows
    "A, B, C et al."); categories and tags as indexes into the lists at the top; the
    trending rank (null when unranked or when there is no popularity data); a renamed
    paper's former ids as ``aliases`` (old id -> current id), so saved.js moves a mark kept
    under an old id onto the paper, present only when some paper has been renamed; the
    slugs of the authors who have a page as ``authors_with_pages``, present only when not
    every author has one (``author_pages: shared`` or ``none``)."""
    taxonomy = collection.taxonomy
    cat_at = {c.slug: i for i, c in enumerate(taxonomy.categories)}
    tag_at = {t.slug: i for i, t in enumerate(taxonomy.tags)}
    ranks = {} if ranking.fallback else {row.paper_id: row.rank for row in ranking.rows}
    papers = collection.newest
    authors = [list(p.authors[:SHORT_AUTHORS]) for p in papers]
    slugs = {name: author_slug(name) for names in authors for name in names}
    columns = {
        "id": [p.id for p in papers], "title": [p.title for p in papers],
        "authors": authors,
        "more": [len(p.authors) - len(shown) + (1 if p.authors_incomplete else 0)
                 for p, shown in zip(papers, authors, strict=True)],
        "published": [p.published.iso if p.published else None for p in papers],
        "venue": [p.venue for p in papers],
        "category": [cat_at[p.category] for p in papers],
        "tags": [[tag_at[t] for t in p.tags] for p in papers],
        "rank": [ranks.get(p.id) for p in papers],
    }
    doc = {"version": 1, "count": len(papers), "window": ranking.window,
           "categories": [[c.slug, c.title] for c in taxonomy.categories],
           "tags": [[t.slug, t.title] for t in taxonomy.tags],
           "author_slugs": {name: slug for name, slug in sorted(slugs.items())
                            if slug != simple_slug(name)},
           "papers": columns}
    aliases = {alias: p.id for p in papers for alias in p.aliases}
    if aliases:
        doc["aliases"] = dict(sorted(aliases.items()))
    if with_pages is not None:
        doc["authors_with_pages"] = sorted(with_pages)
    return (json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


EMPTY_SITEMAP = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
                 b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>\n')


def _related_map(collection: Collection, cache: Cache) -> dict[str, tuple[str, ...]]:
    # Imported here: NumPy and SciPy take a fifth of a second to load, which a build spends
    # on the second core's time (while the runner makes listings and data files).
    from ..core.related import related_map

    return related_map(collection, k=RELATED_COUNT, cache=cache)


#: What the page set keeps in the cache from one build for the next (see _Builder.previous).
GENERATIONS = ("paper pages", "listings", "author pages", "cards")


def build_page_set(collection: Collection, config: SiteConfig, today: dt.date,
                   history: trending.History | None = None,
                   related_map: dict[str, tuple[str, ...]] | None = None,
                   runner: Callable[[Callable[[], Any]], Any] | None = None,
                   cache: Cache | None = None) -> PageSet:
    """Every generated page and file of the site. Pure: same inputs, same output.

    ``cache`` (:mod:`generator.core.cache`) keeps what this build made for the next one in
    the same session, which then makes again only what an edit changed; ``None``: nothing
    is kept. Pages come out the same either way.

    ``runner`` runs the category and tag pages and the data files (feeds, BibTeX, JSON),
    given as a function, and returns an object whose ``result()`` gives them, so a caller
    can have them made in another process while this one makes the rest
    (:class:`generator.plugin.parallel.Background`); by default they are made here, first.
    """
    history = history if history is not None else trending.load_history_or_empty(None)
    cache = or_fresh(cache)
    rankings = {w: _rank(collection, history, today, w, cache)
                for w in config.trending_windows}
    env = template_env(config.root, cache)
    builder = _Builder(collection, config, today, rankings, env, {},
                       inputs=cache.token("page inputs", (collection.taxonomy, config,
                                                          template_signature(env))),
                       stars=code_stars(collection, history, today),
                       previous={name: cache.previous(name) for name in GENERATIONS})

    authors = authors_with_pages(authors_of(collection), config.author_pages)
    builder.with_pages = None if config.author_pages == "all" else \
        frozenset(a.slug for a in authors)

    def listings_and_files() -> tuple[list[Page], dict[str, bytes]]:
        start = len(builder.pages)
        builder.indexes()
        builder.all_papers()
        if config.author_pages != "none":
            builder.authors_index(authors)
        listings = builder.pages[start:]
        del builder.pages[start:]
        files = data_files(collection, config, today, list(rankings.values()),
                           digest.digest_rankings(collection, history, config, today))
        files["papers/index.json"] = papers_index_json(
            collection, rankings[config.trending_default], builder.with_pages)
        return listings, dict(sorted(files.items()))

    job = (runner or Inline)(listings_and_files)
    try:
        # Only paper pages list related papers: computed while the runner works.
        builder.related = related_map if related_map is not None \
            else _related_map(collection, cache)
        builder.home()
        for paper in collection.papers:
            builder.paper(paper)
        builder.author_pages(authors)
        builder.trending_pages()
        builder.subscribe()
        builder.saved()
        if config.search == "pagefind":
            builder.add("search/index.md", "Search", "search.html.j2", in_nav=True,
                        meta={**LISTING, "hide": ["navigation", "toc"]})
    except BaseException:
        job.cancel()
        raise
    listings, files = job.result()
    builder.pages += listings
    for name in GENERATIONS:
        cache.keep(name, builder.made.get(name, {}))
    return PageSet(tuple(sorted(builder.pages, key=lambda p: p.path)), files)
