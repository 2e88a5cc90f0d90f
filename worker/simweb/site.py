"""The demo web at one base URL: article pages, outlet feeds, the OPML lists and robots.txt.

Pages are rendered once, when the server knows its address (links on them are absolute
URLs on the simulated web); feeds are rendered per request because a scheduled or live release
changes what they list.

Releases: ``all`` lists every item at once; ``scheduled`` starts each demo feed with the
older half of its items and reveals more per feed with ``advance``; ``live`` (the demo's)
starts the same way with the evaluation set's feeds empty, and ``publish_next`` releases one
story at a time across every feed in publication order (originals, wire copies, rewrites),
with now and then a revision of a story already out, and only revisions once all are out,
so a live view keeps showing new articles, copies and updates for as long as it runs.
"""

from __future__ import annotations

import itertools
import threading
import zlib
from collections import deque
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timezone
from html import escape
from typing import Literal

from worker.simweb import catalog, evalset
from worker.simweb.feeds import (
    CONTENT_TYPES,
    OPML_CONTENT_TYPE,
    Channel,
    Entry,
    Subscription,
    render_feed,
    render_opml,
)
from worker.simweb.model import Article, Feed, Outlet
from worker.simweb.replies import HTML, Reply, content
from worker.simweb.templates import Page, render_page

ROBOTS = b"User-agent: *\nAllow: /\n"

_LIST_DATE = max(article.last_modified for article in catalog.ARTICLES)
"""Stamps the index and OPML lists, so that their bytes and validators never change."""


Release = Literal["all", "scheduled", "live"]
RELEASES: tuple[Release, ...] = ("all", "scheduled", "live")
EVALSET_FEEDS = frozenset(feed.key for feed in evalset.FEEDS)
REVISE_EVERY = 5
# Revisions go to feeds whose entries carry their own modified date (Atom's <updated>, JSON
# Feed's date_modified): an RSS item has none, so a reader cannot see that it changed.
DATED_ENTRY_FEEDS = frozenset(
    feed.key for feed in catalog.FEEDS if feed.format in ("atom", "jsonfeed")
)
"""In a live release, one story in this many is a revision of a story already out."""


class Site:
    def __init__(self, base_url: str, *, release: Release) -> None:
        self.base_url = base_url
        self._lock = threading.Lock()
        feeds = {feed.key: catalog.articles_in(feed) for feed in catalog.FEEDS} | {
            feed.key: _evalset_articles(feed) for feed in evalset.FEEDS
        }
        self._listed: dict[str, list[Article]] = {
            key: list(articles[: _shown_at_start(release, key in EVALSET_FEEDS, len(articles))])
            for key, articles in feeds.items()
        }
        # The live release: the demo's stories by publication time, then the evaluation set's.
        self._unreleased = deque(
            sorted(
                (
                    (key, article)
                    for key, articles in feeds.items()
                    for article in articles[len(self._listed[key]) :]
                ),
                key=lambda pair: (pair[1] in evalset.ARTICLES, pair[1].published),
            )
            if release == "live"
            else ()
        )
        self._ticks = itertools.count(1)
        self._revision = itertools.count(1)
        self._pages = self._render_pages(catalog.ARTICLES) | self._render_pages(evalset.ARTICLES)
        self.hosts = frozenset(outlet.host for outlet in catalog.OUTLETS)

    def url_for(self, article: Article) -> str:
        return f"{self.base_url}/{article.key}"

    def home(self, host: str) -> str:
        return f"{self.base_url}/{host}/"

    def feed_url(self, feed: Feed) -> str:
        return f"{self.base_url}/{feed.key}"

    def advance(self, count: int) -> dict[str, int]:
        """Reveal ``count`` more items of every feed; returns how many each feed now lists."""
        with self._lock:
            for feed in catalog.FEEDS:
                articles = catalog.articles_in(feed)
                shown = min(len(articles), len(self._listed[feed.key]) + count)
                self._listed[feed.key] = list(articles[:shown])
            return {self.feed_url(feed): len(self._listed[feed.key]) for feed in catalog.FEEDS}

    def publish_next(self, now: datetime) -> str:
        """Release the next story; every ``REVISE_EVERY``-th call, and every call once all
        stories are out, revise one already out instead (at ``now``). Returns what happened."""
        with self._lock:
            tick = next(self._ticks)
            if self._unreleased and tick % REVISE_EVERY:
                feed_key, article = self._unreleased.popleft()
                self._listed[feed_key].append(article)
                return f"released {article.title}"
            revisable = [
                (feed_key, index, article)
                for feed_key, articles in self._listed.items()
                if feed_key in DATED_ENTRY_FEEDS
                for index, article in enumerate(articles)
                if article.exact_copy_of is None
            ]
            if not revisable:
                return "nothing to release"
            number = next(self._revision)
            feed_key, index, article = revisable[(number - 1) % len(revisable)]
            revised = replace(
                article,
                paragraphs=(*article.paragraphs, _update_note(number, now)),
                modified=now,
            )
            self._listed[feed_key][index] = revised
            self._pages.update(self._render_pages((revised,), related_from=catalog.ARTICLES))
            return f"revised {article.title}"

    def reply(self, host: str, path: str) -> Reply | None:
        """The page or feed at ``path`` (query removed) on a demo outlet's host."""
        key = host + path
        if key in self._pages:
            return self._pages[key]
        for feed in catalog.FEEDS:
            if feed.key == key:
                return self._feed(feed)
        for feed in evalset.FEEDS:
            if feed.key == key:
                return self._feed(feed)
        return None

    def index(self) -> Reply:
        items = "\n".join(
            f'<li><a href="{escape(self.feed_url(feed))}">{escape(feed.title)}</a> '
            f"({feed.format})</li>"
            for feed in catalog.FEEDS
        )
        body = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>wirestream simulated web</title></head>
<body>
<h1>wirestream simulated web</h1>
<p><a href="/opml.xml">opml.xml</a> (demo outlets) &middot;
<a href="/opml-faults.xml">opml-faults.xml</a> (faulty URLs) &middot;
<a href="/opml-evalset.xml">opml-evalset.xml</a> (clustering evaluation set) &middot;
<a href="/corpus-opml.xml">corpus-opml.xml</a> (real corpus, when loaded) &middot;
<a href="/_stats">_stats</a></p>
<ul>
{items}
</ul>
</body></html>
"""
        return content(body.encode(), HTML, _LIST_DATE)

    def opml(self) -> Reply:
        return self._opml("wirestream simulated web: demo outlets", catalog.FEEDS)

    def evalset_opml(self) -> Reply:
        """The evaluation set's feeds: one per outlet, every article listed at once."""
        return self._opml("wirestream simulated web: evaluation set", evalset.FEEDS)

    def _opml(self, title: str, feeds: tuple[Feed, ...]) -> Reply:
        subscriptions = [
            Subscription(
                title=feed.title,
                xml_url=self.feed_url(feed),
                html_url=self.home(feed.outlet),
                language=catalog.outlet(feed.outlet).language,
            )
            for feed in feeds
        ]
        body = render_opml(title, _LIST_DATE, subscriptions)
        return content(body, OPML_CONTENT_TYPE, _LIST_DATE)

    def _render_pages(
        self, articles: tuple[Article, ...], related_from: tuple[Article, ...] = ()
    ) -> dict[str, Reply]:
        pages: dict[str, Reply] = {}
        # Originals first: an exact copy is the very reply of the page it copies.
        for article in sorted(articles, key=lambda a: a.exact_copy_of is not None):
            if article.exact_copy_of is not None:
                pages[article.key] = pages[article.exact_copy_of]
                continue
            outlet = catalog.outlet(article.outlet)
            page = Page(
                article=article,
                outlet=outlet,
                url=self.url_for(article),
                home=self.home(outlet.host),
                related=self._related(article, related_from or articles),
            )
            body = render_page(page).encode("utf-8")
            pages[article.key] = content(body, HTML, article.last_modified)
        return pages

    def _related(
        self, article: Article, articles: tuple[Article, ...]
    ) -> tuple[tuple[str, str], ...]:
        """The outlet's three stories published closest in time."""
        others = [
            other
            for other in articles
            if other.outlet == article.outlet
            and other.key != article.key
            and other.exact_copy_of is None
        ]
        others.sort(key=lambda other: abs((other.published - article.published).total_seconds()))
        return tuple((other.title, self.url_for(other)) for other in others[:3])

    def _feed(self, feed: Feed) -> Reply:
        with self._lock:
            listed = list(self._listed[feed.key])
        return self._feed_reply(feed, listed)

    def _feed_reply(self, feed: Feed, articles: Sequence[Article]) -> Reply:
        outlet = catalog.outlet(feed.outlet)
        updated = max(
            (article.last_modified for article in articles),
            default=datetime(2026, 11, 1, tzinfo=UTC),
        )
        channel = Channel(
            id=f"tag:{outlet.host},2026:{feed.path}",
            title=feed.title,
            description=feed.description,
            home=self.home(outlet.host),
            self_url=self.feed_url(feed),
            language=f"{outlet.language}-{outlet.country}",
            updated=updated.astimezone(timezone(outlet.utc_offset)),
        )
        entries = [self._entry(feed, outlet, article) for article in reversed(articles)]
        return content(
            render_feed(feed.format, channel, entries), CONTENT_TYPES[feed.format], updated
        )

    def _entry(self, feed: Feed, outlet: Outlet, article: Article) -> Entry:
        url = self.url_for(article)
        query = evalset.LINK_QUERIES.get(article.key, outlet.tracking_query)
        if feed.opaque_guids:
            # A WordPress-style id that looks like a URL but is none: isPermaLink="false".
            entry_id = f"https://{outlet.host}/?p={zlib.crc32(article.path.encode()) % 1_000_000}"
        else:
            entry_id = url
        body = "".join(f"<p>{escape(text)}</p>" for text in article.paragraphs)
        return Entry(
            id=entry_id,
            id_is_link=not feed.opaque_guids,
            title=article.title,
            link=f"{url}?{query}" if query else url,
            published=article.published,
            updated=article.last_modified,
            authors=article.authors or ((article.agency,) if article.agency else ()),
            categories=(catalog.section_label(article.section),),
            summary=article.summary,
            content_html=body if feed.full_content else None,
            language=article.language,
        )


def _shown_at_start(release: Release, in_evalset: bool, total: int) -> int:
    if release == "all":
        return total
    if release == "live" and in_evalset:
        return 0
    return total // 2


def _evalset_articles(feed: Feed) -> tuple[Article, ...]:
    return tuple(article for article in evalset.ARTICLES if article.outlet == feed.outlet)


def _update_note(number: int, now: datetime) -> str:
    return (
        f"Update {number}, {now:%H:%M:%S} UTC: this story has been updated as officials"
        " released further details and reporters on the scene filed new accounts."
    )
