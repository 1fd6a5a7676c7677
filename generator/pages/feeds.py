"""Subscriptions: RSS 2.0 feeds (whole list, per category, per tag, daily digest), JSON Feed 1.1
and an OPML list of them all.

Everything here is pure: given the collection, the config, ``today`` and the trending rankings,
:func:`build_feeds` returns the bytes of every feed file, identical on every rebuild. Dates in
feeds come from the data (``added``), never from the clock, so a rebuild changes nothing a feed
reader can see. XML is built with :mod:`xml.etree.ElementTree`, which escapes all text; item
descriptions are HTML (RSS readers render them), built the same way so that an entry's text
stays text: ``<script>`` in an abstract reaches the reader as the characters ``<script>``.

Feed item ids (RSS ``guid``, JSON Feed ``id``) are ``<site_url>papers/<oldest id>/`` with
``isPermaLink="false"``: renaming an entry keeps its former ids in ``aliases`` (oldest first),
so the guid is derived from the first alias when there is one and never changes. Guids name
papers only, never their category or tags: recategorizing a paper changes no guid.

A renamed category or tag (``aliases`` in the taxonomy) keeps its former feed path with the
same bytes as the current feed: a feed reader cannot follow a redirect page, so readers
subscribed to the old path keep getting the same items (same guids), and the feed's own
``atom:link rel="self"`` names the current path for readers that update subscriptions.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import html as html_text
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

from ..core.config import SiteConfig
from ..core.entries import Collection, Paper, Taxonomy, paper_path
from ..core.render import note_html
from .digest import DigestDay, clean, digest_days, digest_html, html_fragment

DC = "http://purl.org/dc/elements/1.1/"
PRISM = "http://prismstandard.org/namespaces/basic/2.0/"
ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("dc", DC)
ET.register_namespace("prism", PRISM)
ET.register_namespace("atom", ATOM)

GENERATOR = "reading-list"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
MAIN_FEED = "feed.xml"
JSON_FEED = "feed.json"
DIGEST_FEED = "digest.xml"
OPML_FILE = "feeds.opml"
#: The media type of each kind of feed file (``<link rel="alternate" type=...>``, RSS's
#: ``atom:link rel="self"``).
MEDIA_TYPES = {"rss": "application/rss+xml", "json": "application/feed+json",
               "opml": "text/x-opml"}


class FeedError(ValueError):
    """Feeds cannot be built (for example: no ``site_url``). The message is for users."""


@dataclass(frozen=True)
class FeedInfo:
    """One subscribable file of the site."""

    path: str  #: site path: feed.xml, feeds/categories/<slug>.xml, feeds/tags/<slug>.xml, ...
    title: str  #: human title, also the <link rel="alternate"> title
    kind: str  #: "rss", "json" or "opml"

    @property
    def mime(self) -> str:
        """The media type for ``<link rel="alternate" type=...>``."""
        return MEDIA_TYPES[self.kind]


def category_feed_path(slug: str) -> str:
    return f"feeds/categories/{slug}.xml"


def tag_feed_path(slug: str) -> str:
    return f"feeds/tags/{slug}.xml"


def guid(paper: Paper, config: SiteConfig) -> str:
    """The permanent feed id of a paper: its oldest id (first alias, else id) as a site URL."""
    oldest = paper.aliases[0] if paper.aliases else paper.id
    return config.absolute(paper_path(oldest))


def require_site_url(config: SiteConfig) -> None:
    """Feeds need absolute URLs; refuse clearly when ``site_url`` is missing or relative."""
    url = config.site_url
    if not url or not re.match(r"^https?://[^/\s]+", url):
        raise FeedError(
            "feeds need an absolute site_url: set site_url in mkdocs.yml, "
            "e.g. site_url: https://example.org/reading-list/"
            + (f" (got {url!r})" if url else ""))


# ---------------------------------------------------------------------------- index


def _main_title(config: SiteConfig) -> str:
    return f"{config.site_name}: newest papers"


def _category_title(config: SiteConfig, title: str) -> str:
    return f"{config.site_name}: {title}"


def _tag_title(config: SiteConfig, title: str) -> str:
    return f"{config.site_name}: tagged {title}"


def _digest_title(config: SiteConfig) -> str:
    return f"{config.site_name}: daily digest"


def feed_index(collection: Collection, config: SiteConfig) -> list[FeedInfo]:
    """Every feed of the site (RSS, JSON Feed, digest, OPML), sorted by path."""
    out = [
        FeedInfo(MAIN_FEED, _main_title(config), "rss"),
        FeedInfo(JSON_FEED, _main_title(config) + " (JSON Feed)", "json"),
        FeedInfo(DIGEST_FEED, _digest_title(config), "rss"),
        FeedInfo(OPML_FILE, f"{config.site_name}: all feeds (OPML)", "opml"),
    ]
    for category in collection.taxonomy.categories:
        out.append(FeedInfo(category_feed_path(category.slug),
                            _category_title(config, category.title), "rss"))
    for tag in collection.taxonomy.tags:
        out.append(FeedInfo(tag_feed_path(tag.slug), _tag_title(config, tag.title), "rss"))
    return sorted(out, key=lambda f: f.path)


def feeds_for_page(collection: Collection, config: SiteConfig, page_kind: str,
                   slug: str | None = None) -> list[FeedInfo]:
    """The feeds a page links in ``<head>`` with ``rel="alternate"``, most specific first.

    ``page_kind``: "home" (main, JSON and digest feeds), "category" or "tag" (its own feed,
    then the main feed), anything else (the main feed). An unknown slug gets the main feed.
    """
    by_path = {f.path: f for f in feed_index(collection, config)}
    main = by_path[MAIN_FEED]
    if page_kind == "home":
        return [main, by_path[JSON_FEED], by_path[DIGEST_FEED]]
    if page_kind == "category" and slug and category_feed_path(slug) in by_path:
        return [by_path[category_feed_path(slug)], main]
    if page_kind == "tag" and slug and tag_feed_path(slug) in by_path:
        return [by_path[tag_feed_path(slug)], main]
    return [main]


# ---------------------------------------------------------------------------- helpers


def _sub(parent: ET.Element, tag: str, text: str | None = None,
         attrib: dict[str, str] | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag, attrib or {})
    if text is not None:
        el.text = clean(text)
    return el


def rfc822(day: dt.date) -> str:
    """An RSS date (RFC 822) for midnight UTC of ``day``."""
    return email.utils.format_datetime(dt.datetime(day.year, day.month, day.day,
                                                   tzinfo=dt.UTC))


def rfc3339(day: dt.date) -> str:
    """A JSON Feed date (RFC 3339) for midnight UTC of ``day``."""
    return f"{day.isoformat()}T00:00:00Z"


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


_HREF = re.compile(r'href="([^"]*)"')  # nh3 writes every attribute in double quotes


def paper_html(paper: Paper, config: SiteConfig) -> str:
    """The item description: the abstract as escaped text in HTML, then the curator's note
    rendered as on the paper page (Markdown without raw HTML, sanitized: ``note_html``), so a
    feed reader shows *emphasis* and links, not the Markdown source. A relative link in the
    note is made absolute against the paper page, where it points on the site."""
    root = ET.Element("div")
    for para in (p for p in paper.abstract.split("\n\n") if p.strip()):
        _sub(root, "p", " ".join(para.split()))
    out = html_fragment(list(root))
    if paper.note:
        page = config.absolute(paper_path(paper.id))
        note = _HREF.sub(lambda m: 'href="' + html_text.escape(urljoin(
            page, html_text.unescape(m.group(1)))) + '"', str(note_html(paper.note)).strip())
        label = "<strong>Curator's note:</strong>"
        note = note.replace("<p>", f"<p>{label} ", 1) if note.startswith("<p>") \
            else f"<p>{label}</p>{note}"
        out += clean(note)
    return out


def paper_text(paper: Paper) -> str:
    """The abstract and the curator's note as plain text (JSON Feed ``content_text``)."""
    text = paper.abstract
    if paper.note:
        text += "\n\nCurator's note: " + paper.note
    return text


def identifiers(paper: Paper) -> list[str]:
    """dc:identifier values: ``doi:...`` and the arXiv URL (Zotero reads both)."""
    out = []
    if paper.doi:
        out.append(f"doi:{paper.doi}")
    if paper.arxiv_url:
        out.append(paper.arxiv_url)
    if not out and paper.url:
        out.append(paper.url)
    return out


# ---------------------------------------------------------------------------- RSS


def _channel(config: SiteConfig, path: str, title: str, link: str,
             description: str, newest: dt.date | None) -> tuple[ET.Element, ET.Element]:
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", title)
    _sub(channel, "link", link)
    _sub(channel, "description", description)
    _sub(channel, f"{{{ATOM}}}link", attrib={"href": config.absolute(path), "rel": "self",
                                             "type": MEDIA_TYPES["rss"]})
    _sub(channel, "generator", GENERATOR)
    _sub(channel, "docs", "https://www.rssboard.org/rss-specification")
    if newest is not None:
        # The newest item's date, never "now": rebuilding changes nothing.
        _sub(channel, "lastBuildDate", rfc822(newest))
        _sub(channel, "pubDate", rfc822(newest))
    return rss, channel


def _paper_item(channel: ET.Element, paper: Paper, taxonomy: Taxonomy,
                config: SiteConfig) -> None:
    item = _sub(channel, "item")
    _sub(item, "title", paper.title)
    _sub(item, "link", config.absolute(paper_path(paper.id)))
    _sub(item, "description", paper_html(paper, config))
    _sub(item, "guid", guid(paper, config), {"isPermaLink": "false"})
    _sub(item, "pubDate", rfc822(paper.added))
    tags = taxonomy.tag_by_slug
    for slug in paper.tags:
        _sub(item, "category", tags[slug].title if slug in tags else slug,
             {"domain": config.absolute(f"tags/{slug}/")})
    for author in paper.authors:
        _sub(item, f"{{{DC}}}creator", author)
    for ident in identifiers(paper):
        _sub(item, f"{{{DC}}}identifier", ident)
    if paper.published:
        _sub(item, f"{{{PRISM}}}publicationDate", paper.published.iso)
    if paper.venue:
        _sub(item, f"{{{PRISM}}}publicationName", paper.venue)
    if paper.doi:
        _sub(item, f"{{{PRISM}}}doi", paper.doi)


def papers_rss(collection: Collection, config: SiteConfig, path: str, title: str, link: str,
               description: str, papers: Sequence[Paper]) -> bytes:
    """An RSS 2.0 feed of ``papers`` (already newest first), cut to ``config.feed_items``."""
    shown = tuple(papers[: max(config.feed_items, 0)])
    return _papers_rss(collection.taxonomy, config, path, title, link, description, shown)


@lru_cache(maxsize=4096)
def _papers_rss(taxonomy: Taxonomy, config: SiteConfig, path: str, title: str, link: str,
                description: str, shown: tuple[Paper, ...]) -> bytes:
    # Remembered by everything it is made of: after one edit, `serve` rebuilds only the
    # feeds that list the edited paper.
    newest = max((p.added for p in shown), default=None)
    rss, channel = _channel(config, path, title, link, description, newest)
    for paper in shown:
        _paper_item(channel, paper, taxonomy, config)
    return _serialize(rss)


def digest_rss(collection: Collection, config: SiteConfig, days: Sequence[DigestDay]) -> bytes:
    """The daily digest feed: one item per day that has news, newest day first."""
    newest = max((d.day for d in days), default=None)
    description = (f"One item a day: the top {config.digest_top} trending papers and the "
                   f"papers added that day to {config.site_name}.")
    rss, channel = _channel(config, DIGEST_FEED, _digest_title(config), config.absolute(""),
                            description, newest)
    for day in days:
        item = _sub(channel, "item")
        _sub(item, "title", day.title(config))
        _sub(item, "link", day.link(config))
        _sub(item, "description", digest_html(day, config))
        _sub(item, "guid", day.guid(config), {"isPermaLink": "false"})
        _sub(item, "pubDate", rfc822(day.day))
    return _serialize(rss)


# ---------------------------------------------------------------------------- JSON Feed


def json_feed(collection: Collection, config: SiteConfig) -> bytes:
    """The main feed as JSON Feed 1.1."""
    shown = collection.newest[: max(config.feed_items, 0)]
    tags = collection.taxonomy.tag_by_slug
    items = []
    for paper in shown:
        item: dict[str, Any] = {
            "id": guid(paper, config),
            "url": config.absolute(paper_path(paper.id)),
            "title": paper.title,
            "content_text": paper_text(paper),
            "content_html": paper_html(paper, config),
            "date_published": rfc3339(paper.added),
        }
        if paper.main_url:
            item["external_url"] = paper.main_url
        if paper.authors:
            item["authors"] = [{"name": a} for a in paper.authors]
        item["tags"] = [tags[s].title if s in tags else s for s in paper.tags]
        extra = {k: v for k, v in (("arxiv", paper.arxiv), ("doi", paper.doi),
                                   ("venue", paper.venue),
                                   ("published", paper.published.iso if paper.published
                                    else None),
                                   ("category", paper.category)) if v}
        item["_reading_list"] = extra  # JSON Feed extensions start with "_"
        items.append(item)
    feed: dict[str, Any] = {
        "version": JSON_FEED_VERSION,
        "title": _main_title(config),
        "home_page_url": config.absolute(""),
        "feed_url": config.absolute(JSON_FEED),
        "description": _site_description(config),
        "language": "en",
        "items": items,
    }
    if config.site_author:
        feed["authors"] = [{"name": config.site_author}]
    text = json.dumps(feed, ensure_ascii=False, indent=2)
    return clean(text).encode("utf-8") + b"\n"


def _site_description(config: SiteConfig) -> str:
    return config.site_description or f"The newest papers added to {config.site_name}."


# ---------------------------------------------------------------------------- OPML


def opml(collection: Collection, config: SiteConfig) -> bytes:
    """An OPML 2.0 list of every RSS feed, grouped, for one-click import into a reader."""
    root = ET.Element("opml", {"version": "2.0"})
    head = _sub(root, "head")
    _sub(head, "title", f"{config.site_name}: feeds")
    newest = max((p.added for p in collection.papers), default=None)
    if newest is not None:
        _sub(head, "dateCreated", rfc822(newest))
    body = _sub(root, "body")
    index = {f.path: f for f in feed_index(collection, config)}

    def outline(parent: ET.Element, info: FeedInfo, html_path: str) -> None:
        _sub(parent, "outline", attrib={
            "type": "rss", "text": clean(info.title), "title": clean(info.title),
            "xmlUrl": config.absolute(info.path), "htmlUrl": config.absolute(html_path)})

    outline(body, index[MAIN_FEED], "")
    outline(body, index[DIGEST_FEED], "")
    group = _sub(body, "outline", attrib={"text": "Categories", "title": "Categories"})
    for category in collection.taxonomy.categories:
        outline(group, index[category_feed_path(category.slug)],
                f"categories/{category.slug}/")
    group = _sub(body, "outline", attrib={"text": "Tags", "title": "Tags"})
    for tag in collection.taxonomy.tags:
        outline(group, index[tag_feed_path(tag.slug)], f"tags/{tag.slug}/")
    return _serialize(root)


# ---------------------------------------------------------------------------- all files


def build_feeds(collection: Collection, config: SiteConfig, today: dt.date,
                rankings: Sequence[Any] | None = None) -> dict[str, bytes]:
    """Every feed file of the site and ``feeds.opml``: site path -> bytes. Deterministic.

    ``rankings`` are :class:`generator.core.trending.Ranking` values (for ``today`` and, when the
    caller has them, earlier days); without them the digest lists additions only.
    Raises :class:`FeedError` without an absolute ``site_url``.
    """
    require_site_url(config)
    files: dict[str, bytes] = {}
    files[MAIN_FEED] = papers_rss(collection, config, MAIN_FEED, _main_title(config),
                                  config.absolute(""), _site_description(config),
                                  collection.newest)
    files[JSON_FEED] = json_feed(collection, config)
    for category in collection.taxonomy.categories:
        path = category_feed_path(category.slug)
        files[path] = papers_rss(
            collection, config, path, _category_title(config, category.title),
            config.absolute(f"categories/{category.slug}/"),
            category.description or category.title,
            collection.by_category.get(category.slug, ()))
        for alias in category.aliases:
            files[category_feed_path(alias)] = files[path]
    for tag in collection.taxonomy.tags:
        path = tag_feed_path(tag.slug)
        files[path] = papers_rss(
            collection, config, path, _tag_title(config, tag.title),
            config.absolute(f"tags/{tag.slug}/"),
            tag.description or f"Papers tagged {tag.title} on {config.site_name}.",
            collection.by_tag.get(tag.slug, ()))
        for alias in tag.aliases:
            files[tag_feed_path(alias)] = files[path]
    days = digest_days(collection, config, today, rankings)
    files[DIGEST_FEED] = digest_rss(collection, config, days)
    files[OPML_FILE] = opml(collection, config)
    return dict(sorted(files.items()))


# ---------------------------------------------------------------------------- subscribe page


def subscribe_context(collection: Collection, config: SiteConfig) -> dict[str, Any]:
    """The context of ``site_templates/subscribe.md.j2`` (rendered with autoescape: values
    are plain text). Feed URLs are absolute (what a reader needs) when ``site_url`` is set,
    else site paths; ``path`` keys are site paths for relative links."""

    def url(path: str) -> str:
        return config.absolute(path) if config.site_url else "/" + path

    index = {f.path: f for f in feed_index(collection, config)}

    def one(path: str, **extra: Any) -> dict[str, Any]:
        return {"path": path, "url": url(path), "title": index[path].title, **extra}

    category_feeds = [
        {"slug": c.slug, "title": c.title, "count": len(collection.by_category.get(c.slug, ())),
         "path": category_feed_path(c.slug), "url": url(category_feed_path(c.slug))}
        for c in collection.taxonomy.categories]
    tag_feeds = [
        {"slug": t.slug, "title": t.title, "count": len(collection.by_tag.get(t.slug, ())),
         "path": tag_feed_path(t.slug), "url": url(tag_feed_path(t.slug))}
        for t in collection.taxonomy.tags]
    return {
        "site_name": config.site_name,
        "main_feed": one(MAIN_FEED, items=config.feed_items),
        "json_feed": one(JSON_FEED),
        "digest_feed": one(DIGEST_FEED, top=config.digest_top, days=config.digest_days),
        "opml_file": one(OPML_FILE),
        "category_feeds": category_feeds,
        "tag_feeds": tag_feeds,
        "feed_count": sum(1 for f in index.values() if f.kind == "rss"),
        # A link to the Markdown source, so MkDocs checks the page exists (a list
        # without it gets a build warning, not a dead link) and writes its URL.
        "email_doc": "subscribe-by-email.md",
    }
