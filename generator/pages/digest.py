"""The daily digest's content: what a day brought (trending top N and new additions), as an
RSS item (see :mod:`generator.pages.feeds`) and as a multipart email (:func:`build_message`).

Pure: collection, config, day and rankings in; values out. Delivering the email is
:mod:`generator.sources.smtp`'s job, remembering which days went out is
:mod:`generator.commands.sentmarker`'s, and the ``digest`` command joins them.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from ..core.config import SiteConfig
from ..core.entries import Collection, Paper, paper_path
from ..core.render import excerpt, short_authors
from ..core.terminal import is_control

EXCERPT_CHARS = 280


# XML 1.0 forbids most control characters even when escaped; YAML already refuses them, but a
# feed or an email must stay well-formed whatever reaches it.
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str) -> str:
    """Text safe to put in XML: characters XML 1.0 cannot carry are dropped."""
    return _INVALID_XML.sub("", text)


def html_fragment(elements: Iterable[ET.Element]) -> str:
    """Serialize HTML elements built with ElementTree (all text escaped) to a string."""
    return "".join(ET.tostring(el, encoding="unicode", method="html") for el in elements)


# ---------------------------------------------------------------------------- content


@dataclass(frozen=True)
class TrendingPick:
    """One trending paper of a day's digest."""

    rank: int
    paper: Paper
    summary: str = ""  #: why it is trending: "+41 GitHub stars, +6 citations this week"
    movement: str = ""  #: "new", "up 3", "down 1" (empty when unchanged)


@dataclass(frozen=True)
class DigestDay:
    """What one day's digest says."""

    day: dt.date
    added: tuple[Paper, ...] = ()
    trending: tuple[TrendingPick, ...] = ()
    window: str = ""  #: the trending window used ("week", ...), empty without trending
    explanation: str = ""  #: how the ranking was made, from the ranking itself

    @property
    def is_empty(self) -> bool:
        return not self.added and not self.trending

    def title(self, config: SiteConfig) -> str:
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} new paper{'s' if len(self.added) != 1 else ''}")
        if self.trending:
            parts.append(f"top {len(self.trending)} trending")
        summary = ", ".join(parts) or "no news"
        return f"{config.site_name} digest, {self.day.isoformat()}: {summary}"

    def link(self, config: SiteConfig) -> str:
        return config.absolute("trending/" if self.trending else "")

    def guid(self, config: SiteConfig) -> str:
        """Stable per day: rebuilding or re-ranking never makes a reader show it twice."""
        return config.absolute(f"digest/{self.day.isoformat()}/")


def _attr(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _text_list(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(str(v) for v in value if str(v))


def pick_ranking(rankings: Sequence[Any] | None, day: dt.date,
                 config: SiteConfig) -> Any | None:
    """The ranking a day's digest uses: computed for ``day``, in the site's default window
    (``trending_default``), else in the first configured window that has one.

    A fallback ranking (no metrics: ordered by recency) is not used: it would only repeat
    the additions, and calling it "trending" would mislead."""
    if not rankings:
        return None
    same_day = [r for r in rankings if _attr(r, "today") == day
                and not _attr(r, "fallback", False)]
    order = [config.trending_default, *config.trending_windows]
    for window in order:
        for ranking in same_day:
            if _attr(ranking, "window") == window:
                return ranking
    return same_day[0] if same_day else None


def digest_for(collection: Collection, config: SiteConfig, day: dt.date,
               rankings: Sequence[Any] | None = None) -> DigestDay:
    """The digest of ``day``: papers added that day and that day's trending top N.

    ``rankings`` are :class:`generator.core.trending.Ranking` values (fields ``window``, ``today``,
    ``explanation``, ``rows`` of ``paper_id``, ``rank``, ``reasons``, ``movement``).
    """
    added = tuple(p for p in collection.newest if p.added == day)
    ranking = pick_ranking(rankings, day, config)
    picks: list[TrendingPick] = []
    if ranking is not None:
        rows = sorted(_attr(ranking, "rows", ()) or (), key=lambda r: (_attr(r, "rank", 0),
                                                                      _attr(r, "paper_id")))
        for row in rows:
            paper = collection.by_id.get(_attr(row, "paper_id"))
            if paper is None:
                continue
            movement = str(_attr(row, "movement") or "")
            summary = _attr(row, "summary") or "; ".join(_text_list(_attr(row, "reasons")))
            picks.append(TrendingPick(int(_attr(row, "rank", len(picks) + 1)), paper,
                                      str(summary), "" if movement == "same" else movement))
            if len(picks) >= config.digest_top:
                break
    return DigestDay(day, added, tuple(picks),
                     str(_attr(ranking, "window", "")) if picks else "",
                     str(_attr(ranking, "explanation", "") or "") if picks else "")


def digest_rankings(collection: Collection, history: Any, config: SiteConfig,
                    today: dt.date) -> list[Any]:
    """Trending rankings (window ``trending_default``, top ``digest_top``) for each day the
    digest feed covers, so past days keep their own top N on every rebuild."""
    from ..core import trending  # pure, but keeps this module importable on its own

    window = config.trending_default if config.trending_default in trending.WINDOWS \
        else "week"
    if history is None or not getattr(history, "days", None):
        return []  # no popularity data: every day would be a recency fallback, never shown
    return [trending.rank(collection, history, today - dt.timedelta(days=back), window,
                          limit=config.digest_top)
            for back in range(max(config.digest_days, 0))]


def digest_days(collection: Collection, config: SiteConfig, today: dt.date,
                rankings: Sequence[Any] | None = None) -> list[DigestDay]:
    """The digests of the last ``config.digest_days`` days up to ``today`` that have news,
    newest first."""
    out = []
    for back in range(max(config.digest_days, 0)):
        day = digest_for(collection, config, today - dt.timedelta(days=back), rankings)
        if not day.is_empty:
            out.append(day)
    return out


def _excerpt(text: str) -> str:
    """An abstract's start on one line, in the digest's style ("word…", no trailing stop)."""
    return excerpt(" ".join(text.split()), EXCERPT_CHARS, ellipsis="…", trim=",;:.")


def _max_added(config: SiteConfig) -> int:
    """A day that added a whole list at once shows the newest ``feed_items`` of them."""
    return max(config.feed_items, 1)


def _window_label(window: str) -> str:
    return {"day": "today", "week": "this week", "month": "this month"}.get(window, window)


def digest_html(day: DigestDay, config: SiteConfig) -> str:
    """The digest as an HTML fragment; all entry text is escaped by ElementTree."""
    return html_fragment(digest_elements(day, config))


def digest_elements(day: DigestDay, config: SiteConfig) -> list[ET.Element]:
    """The digest as HTML elements (headings and lists)."""

    parts: list[ET.Element] = []

    def el(parent: ET.Element | None, tag: str, text: str | None = None,
           **attrib: str) -> ET.Element:
        node = ET.Element(tag, attrib) if parent is None else ET.SubElement(parent, tag, attrib)
        if text is not None:
            node.text = clean(text)
        return node

    def paper_link(parent: ET.Element, paper: Paper) -> None:
        el(parent, "a", paper.title, href=config.absolute(paper_path(paper.id)))

    if day.trending:
        parts.append(el(None, "h2", f"Trending {_window_label(day.window)}".strip()))
        if day.explanation:
            parts.append(el(None, "p", day.explanation))
        ol = el(None, "ol")
        for pick in day.trending:
            li = el(ol, "li")
            paper_link(li, pick.paper)
            details = [d for d in (short_authors(pick.paper), pick.summary, pick.movement)
                       if d]
            if details:
                li[-1].tail = clean(" — " + " · ".join(details))
        parts.append(ol)
    if day.added:
        parts.append(el(None, "h2", f"Added on {day.day.isoformat()}"))
        ul = el(None, "ul")
        for paper in day.added[:_max_added(config)]:
            li = el(ul, "li")
            paper_link(li, paper)
            if paper.authors:
                li[-1].tail = clean(" — " + short_authors(paper))
            el(li, "br")
            el(li, "small", _excerpt(paper.abstract))
        parts.append(ul)
        more = len(day.added) - _max_added(config)
        if more > 0:
            p = el(None, "p", f"… and {more} more: ")
            el(p, "a", "the newest papers", href=config.absolute(""))
            parts.append(p)
    return parts


def digest_text(day: DigestDay, config: SiteConfig) -> str:
    """The digest as plain text (the email's text part)."""
    lines = [day.title(config), ""]
    if day.trending:
        lines.append(f"Trending {_window_label(day.window)}".strip())
        if day.explanation:
            lines.append(day.explanation)
        lines.append("")
        for pick in day.trending:
            lines.append(f"{pick.rank}. {pick.paper.title}")
            details = [d for d in (short_authors(pick.paper), pick.summary, pick.movement)
                       if d]
            if details:
                lines.append("   " + " · ".join(details))
            lines.append("   " + config.absolute(paper_path(pick.paper.id)))
        lines.append("")
    if day.added:
        lines.append(f"Added on {day.day.isoformat()}")
        lines.append("")
        for paper in day.added[:_max_added(config)]:
            lines.append(f"- {paper.title}")
            if paper.authors:
                lines.append(f"  {short_authors(paper)}")
            lines.append(textwrap.fill(_excerpt(paper.abstract), 76, initial_indent="  ",
                                       subsequent_indent="  "))
            lines.append(f"  {config.absolute(paper_path(paper.id))}")
        more = len(day.added) - _max_added(config)
        if more > 0:
            lines.append(f"... and {more} more: {config.absolute('')}")
        lines.append("")
    lines.append(f"All feeds and how to subscribe: {config.absolute('subscribe/')}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------- email


def message_id(day: dt.date, config: SiteConfig) -> str:
    """A deterministic Message-ID per day and site (mail servers drop exact repeats)."""
    domain = urlsplit(config.site_url).hostname or "reading-list.invalid"
    return f"<digest-{day.isoformat()}@{domain}>"


def build_message(day: DigestDay, config: SiteConfig, sender: str, to: Sequence[str],
                  sent_at: dt.datetime | None = None) -> EmailMessage:
    """The digest as a multipart/alternative email: plain text first, then HTML."""
    msg = EmailMessage()
    # A header is one line: a line break in site_name must not become a traceback (or a
    # header of its own).
    msg["Subject"] = " ".join("".join(" " if is_control(c) else c
                                      for c in day.title(config)).split())
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Message-ID"] = message_id(day.day, config)
    if sent_at is not None:
        msg["Date"] = format_datetime(sent_at)
    msg.set_content(digest_text(day, config))
    page = ET.Element("html", {"lang": "en"})
    head = ET.SubElement(page, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = day.title(config)
    body = ET.SubElement(page, "body")
    body.extend(digest_elements(day, config))
    footer = ET.SubElement(body, "p")
    ET.SubElement(footer, "a", {"href": config.absolute("subscribe/")}).text = \
        "All feeds and how to subscribe"
    document = ET.tostring(page, encoding="unicode", method="html")
    msg.add_alternative("<!DOCTYPE html>\n" + document + "\n", subtype="html")
    return msg
