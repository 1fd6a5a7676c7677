"""Paper pages written without MkDocs' per-page pipeline (``paper_pages: fast``).

A paper page is the theme's page template around an article we rendered already. MkDocs
would, for each of thousands of such pages, build a Markdown instance, run every plugin's
page events and render the whole template, yet only six things differ from one paper page
to the next: the title, description, canonical URL, edit URL, extra ``<head>`` tags and the
body. So the template is rendered once per build with a marker in each of those places (a
*frame*), and each paper page is the frame with its own values put in.

Every build checks the frame first: one paper is also rendered the ordinary way (its real
values, the real template) and must come out byte for byte the same as from the frame. A
theme or an override that uses more of the page than the frame fills in fails that check,
and every paper page is then rendered through the template one by one (still without
Markdown), with an info message saying why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import jinja2
from markupsafe import Markup, escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page as MkPage
from mkdocs.utils import get_build_date

from ..pages import Page
from ..pages.minify import collapse
from . import compat

SLOTS = ("title", "description", "canonical", "edit", "content")
#: How the template may print a value; the marker below shows which one a place used.
TRANSFORMS: dict[str, Callable[[str], str]] = {
    "raw": lambda value: value,
    "striptags": lambda value: Markup(value).striptags(),
    "escape": lambda value: str(escape(value)),
}
_MARK = re.compile("\x01([a-z]+)([^\x01]*)\x01")


def _marker(slot: str) -> str:
    # "&amp;" and "<h1>" come out differently through each transform (striptags drops the
    # tag and unescapes; escape escapes again), so the output names the transform. "<h1"
    # also keeps Material from adding a heading of its own (it does when the body has none;
    # paper pages always have their own).
    return f"\x01{slot}&amp;<h1>\x01"


def add_head(html: str, head: str) -> str:
    """Extra ``<head>`` tags before the first ``</head>``."""
    return html.replace("</head>", head + "</head>", 1) if head else html


def finish(html: str, head: str) -> str:
    """What the plugin's on_post_page does to every page: head tags in, whitespace
    collapsed (generator/minify.py)."""
    return collapse(add_head(html, head))


@dataclass(frozen=True)
class Frame:
    """The template's output with holes: text, then (slot, transform) pairs, alternating."""

    parts: tuple[Any, ...]

    @classmethod
    def parse(cls, html: str) -> Frame | None:
        """Split a page rendered with markers; None if a marker came out in a way none of
        the known transforms explains."""
        parts: list[Any] = []
        last = 0
        for match in _MARK.finditer(html):
            slot, inner = match.group(1), match.group(0)
            transform = next((name for name, fn in TRANSFORMS.items()
                              if slot in SLOTS + ("head",) and fn(_marker(slot)) == inner),
                             None)
            if transform is None:
                return None
            parts += [collapse(html[last:match.start()]), (slot, transform)]
            last = match.end()
        parts.append(collapse(html[last:]))
        if "\x01" in parts[-1] or any("\x01" in p for p in parts[:-1:2]):
            return None
        return cls(tuple(parts))

    def fill(self, values: dict[str, str]) -> str:
        pieces = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                slot, transform = part
                pieces.append(collapse(TRANSFORMS[transform](values[slot])))
        return _join_collapsed(pieces)


_WHITESPACE = " \t\r\f\n"


def _join_collapsed(pieces: list[str]) -> str:
    """Join pieces that are each collapsed (minify.collapse) into what collapsing the whole
    would give: only a whitespace run that spans a join can still need collapsing."""
    html = "".join(pieces)
    joins, at = [], 0
    for piece in pieces[:-1]:
        at += len(piece)
        joins.append(at)
    for at in reversed(joins):
        start = end = min(at, len(html))  # a collapse on the right may have shortened it
        while start > 0 and html[start - 1] in _WHITESPACE:
            start -= 1
        while end < len(html) and html[end] in _WHITESPACE:
            end += 1
        if end - start > 1 and "\n" in html[start:end]:
            html = html[:start] + "\n" + html[end:]
    return html


class _PageUrls:
    """The attributes MkDocs' Page computes a page's URLs from, with its own methods doing
    it: the same URLs without a File and a Page object per paper."""

    set_canonical_url = compat.set_canonical_url
    set_edit_url = compat.set_edit_url

    def __init__(self, url: str, edit_uri: str | None, config: Any) -> None:
        self.url = url
        self.file = SimpleNamespace(edit_uri=edit_uri)
        self.canonical_url: str | None = None
        self.abs_url: str | None = None
        self.edit_url: str | None = None
        self.set_canonical_url(config.get("site_url", None))
        self.set_edit_url(config.get("repo_url", None), config.get("edit_uri"),
                           config.get("edit_uri_template"))


@lru_cache(maxsize=1 << 16)
def _page_urls(url: str, source: str | None, site_url: str | None, repo_url: str | None,
               edit_uri: str | None, edit_uri_template: str | None) -> _PageUrls:
    """A page's URLs, by everything MkDocs computes them from (reused across `serve`)."""
    settings = {"site_url": site_url, "repo_url": repo_url, "edit_uri": edit_uri,
                "edit_uri_template": edit_uri_template}
    return _PageUrls(url, source, settings)


class PaperPages:
    """Renders the framed pages of one build (paper, author, category and tag pages),
    through a frame when it passes the check."""

    def __init__(self, env: jinja2.Environment, config: MkDocsConfig, nav: Navigation,
                 files: Files, pages: Sequence[Page]) -> None:
        self.env, self.config, self.nav = env, config, nav
        self.doc_files = files.documentation_pages()
        self.frames: dict[tuple[Any, ...], Frame | None] = {}
        self.reason = ""
        self.date = get_build_date()
        #: canonical URL, absolute path and date of each page rendered (for the sitemap)
        self.urls: dict[str, tuple[str | None, str | None, str]] = {}
        self.exact_urls = False  #: a File and Page per paper, if the shortcut differs
        # Pages of one folder and depth (papers/x/, tags/x/page/2/) are alike: a frame must
        # reproduce the first and the last of each (another URL) exactly.
        groups: dict[tuple[str, int], list[Page]] = {}
        for page in pages:
            groups.setdefault(_group(page), []).append(page)
        for group in groups.values():
            if not self.reason:
                self._check(group[0], group[-1])

    def mkdocs_page(self, page: Page) -> MkPage:
        """The MkDocs page object this page would have had (URLs computed by MkDocs)."""
        file = File.generated(self.config, page.path, content="")
        file.edit_uri = page.source
        mk = MkPage(None, file, self.config)
        mk.meta = dict(page.meta)
        mk.content = page.html if page.html is not None else page.markdown
        self.urls[page.path] = (mk.canonical_url, mk.abs_url, mk.update_date)
        return mk

    def signature(self) -> tuple[Any, ...]:
        """Everything besides a page's own values that its HTML depends on: equal between
        two builds, a page object that did not change gives the same bytes."""
        config = self.config
        return (tuple(sorted((shape, None if f is None else f.parts)
                             for shape, f in self.frames.items())),
                self.reason, self.exact_urls, self.date,
                *(config.get(k) for k in ("site_url", "repo_url", "edit_uri",
                                          "edit_uri_template")))

    def urls_of(self, page: Page) -> tuple[str | None, str | None, str]:
        """Canonical URL, absolute path and date of a page (for the sitemap)."""
        if page.path not in self.urls:
            self._page_urls(page)
        return self.urls[page.path]

    def _shortcut(self, page: Page) -> _PageUrls:
        """The page's URLs without a File and Page (what _check holds against MkDocs)."""
        config = self.config
        return _page_urls(page.url, page.source, config.get("site_url", None),
                          config.get("repo_url", None), config.get("edit_uri"),
                          config.get("edit_uri_template"))

    def _page_urls(self, page: Page) -> Any:
        if self.exact_urls:
            return self.mkdocs_page(page)
        urls = self._shortcut(page)
        self.urls[page.path] = (urls.canonical_url, urls.abs_url, self.date)
        return urls

    def _render(self, mk: MkPage) -> str:
        """What MkDocs' _build_page renders for a page, without plugin events."""
        with compat.rendering(self.config, mk):
            context = compat.template_context(self.nav, self.doc_files, self.config, mk)
            template = self.env.get_template(mk.meta.get("template", "main.html"))
            return template.render(context)

    @staticmethod
    def _values(page: Page, urls: Any) -> dict[str, Any]:
        return {"title": page.meta.get("title"), "description": page.meta.get("description"),
                "canonical": urls.canonical_url, "edit": urls.edit_url,
                "content": page.html if page.html is not None else page.markdown,
                "head": page.head}

    def _real(self, page: Page, mk: MkPage) -> str:
        return finish(self._render(mk), page.head)

    def _frame(self, page: Page, mk: MkPage) -> Frame | None:
        """The frame for pages like this one (which values it has), made from this page and
        checked against it; None if it does not reproduce the page."""
        values = self._values(page, mk)
        shape = _shape(page, values)
        if shape not in self.frames:
            proto = self.mkdocs_page(page)
            marked = {slot: None if values[slot] is None else _marker(slot) for slot in SLOTS}
            proto.meta = {**proto.meta, "title": marked["title"],
                          "description": marked["description"]}
            proto.canonical_url, proto.edit_url = marked["canonical"], marked["edit"]
            proto.content = marked["content"]
            frame = Frame.parse(add_head(self._render(proto), _marker("head")))
            if frame is None:
                self.reason = ("the page template prints a title, URL or body in a way a "
                               "frame cannot reproduce")
            elif not self._same(frame.fill(values), self._real(page, mk)):
                frame = None
            self.frames[shape] = frame
        return self.frames[shape]

    def _same(self, framed: str, real: str) -> bool:
        if framed == real:
            return True
        at = next((i for i, (a, b) in enumerate(zip(framed, real, strict=False)) if a != b),
                  min(len(framed), len(real)))
        self.reason = ("the page template uses more of a page than a frame fills in (first "
                       f"difference near {real[max(0, at - 40):at + 40]!r})")
        return False

    def _check(self, first: Page, other: Page) -> None:
        """The frame made from one paper must also give another (another URL) exactly, and
        the URL shortcut must agree with MkDocs on both."""
        for page in (first, other):
            mk, urls = self.mkdocs_page(page), self._shortcut(page)
            if (mk.canonical_url, mk.abs_url, mk.edit_url, mk.update_date) != \
                    (urls.canonical_url, urls.abs_url, urls.edit_url, self.date):
                self.exact_urls = True
        frame = self._frame(first, self.mkdocs_page(first))
        mk = self.mkdocs_page(other)
        if frame is not None and not self._same(frame.fill(self._values(other, mk)),
                                                self._real(other, mk)):
            self.frames.clear()

    def render(self, page: Page) -> bytes:
        """The finished HTML of one paper page, encoded as MkDocs writes pages."""
        frame = None
        if not self.reason:
            values = self._values(page, self._page_urls(page))
            shape = _shape(page, values)
            frame = self.frames[shape] if shape in self.frames else \
                self._frame(page, self.mkdocs_page(page))
        html = frame.fill(values) if frame is not None else \
            self._real(page, self.mkdocs_page(page))
        return html.encode("utf-8", errors="xmlcharrefreplace")


def _shape(page: Page, values: dict[str, Any]) -> tuple[Any, ...]:
    """Pages alike in this share a frame: their group (folder and depth, see _group) and
    which values they lack."""
    return (_group(page), *(values[slot] is None for slot in SLOTS))


def _group(page: Page) -> tuple[str, int]:
    """Pages of one folder at one depth (``categories/x/`` and ``categories/x/page/2/``
    differ in every relative link of the navigation) are alike."""
    return page.url.split("/", 1)[0], page.url.count("/")
