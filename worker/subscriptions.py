"""Subscribing to feeds, one by one (checked, or discovered on a web page) or from a feed
list (OPML or TOML): shared by the CLI and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worker.adapters.http import HttpClient
from worker.adapters.store import FeedStore
from worker.errors import ConfigError, PermanentError, StageError
from worker.models import Feed, ParsedFeed
from worker.stages.discover import (
    alternate_feed_links,
    common_feed_urls,
    robots_url,
    sitemaps_in_robots,
)
from worker.stages.feedlist import ListedFeed, parse_feed_list
from worker.stages.feeds import parse_feed
from worker.stages.opml import parse_opml
from worker.stages.urls import canonical_url, feed_id


@dataclass(frozen=True)
class ImportReport:
    listed: int
    created: int
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class FoundFeed:
    url: str
    title: str | None


def new_feed(
    url: str,
    title: str | None,
    tags: tuple[str, ...],
    *,
    added_at: datetime,
    min_interval: float | None = None,
    max_interval: float | None = None,
) -> Feed:
    try:
        canonical = canonical_url(url)
    except StageError as error:
        raise ConfigError(f"feeds: {error.reason}: {url!r}") from None
    return Feed(
        id=feed_id(canonical),
        url=url.strip(),
        title=title,
        tags=tags,
        added_at=added_at,
        min_interval=min_interval,
        max_interval=max_interval,
    )


def import_feed_list(store: FeedStore, body: bytes, *, source: str, now: datetime) -> ImportReport:
    """Subscribe to every feed an OPML or TOML list names; a bad entry is skipped and reported.

    A file whose name ends in ``.toml`` is a TOML feed list; anything else is OPML.
    """
    if source.endswith(".toml"):
        try:
            listed = parse_feed_list(body, source=source)
        except PermanentError as error:
            # The subject is the file itself, or "feed #N (URL)" within it.
            subject = source if error.subject == source else f"{source}: {error.subject}"
            raise ConfigError(f"feeds import: {subject}: {error.reason}") from None
    else:
        listed = [
            ListedFeed(item.url, item.title, item.tags) for item in parse_opml(body, source=source)
        ]
    if not listed:
        raise ConfigError(f"feeds import: {source}: the list names no feeds")
    created = 0
    skipped = []
    for item in listed:
        try:
            feed = new_feed(
                item.url,
                item.title,
                item.tags,
                added_at=now,
                min_interval=item.min_interval,
                max_interval=item.max_interval,
            )
        except ConfigError as error:
            name = f" {item.title!r}" if item.title else ""
            skipped.append(f"{source}: skipped feed{name}: {error}")
            continue
        created += store.add(feed, poll_at=now)
    return ImportReport(listed=len(listed), created=created, skipped=tuple(skipped))


def find_feeds(http: HttpClient, url: str, *, max_bytes: int) -> list[FoundFeed]:
    """The feed at ``url`` once checked, or the feeds a web page there leads to.

    A page's ``<link rel="alternate">`` feeds come first; without any, the usual feed paths
    and the sitemaps its robots.txt names are tried. Raises the feed's own error when ``url``
    is neither a feed nor a page that leads to one.
    """
    try:
        return [_checked(http, url, max_bytes)]
    except PermanentError as error:
        if "text/html" not in error.reason and "an HTML page" not in error.reason:
            raise
        feed_error = error
    page = http.fetch(url, kind="article", max_bytes=max_bytes)
    html = page.body.decode("utf-8", errors="replace")
    candidates = alternate_feed_links(html, page.final_url)
    if not candidates:
        candidates = [*common_feed_urls(page.final_url), *_robots_sitemaps(http, page.final_url)]
    found = []
    for candidate in candidates:
        try:
            found.append(_checked(http, candidate, max_bytes))
        except StageError:
            continue  # a guess that is no feed, or a link that is broken
    if not found:
        raise PermanentError("discover", url, f"a web page that leads to no feed ({feed_error})")
    return found


def _checked(http: HttpClient, url: str, max_bytes: int) -> FoundFeed:
    response = http.fetch(url, kind="feed", max_bytes=max_bytes)
    parsed: ParsedFeed = parse_feed(
        response.body, url=response.final_url, content_type=response.content_type
    )
    return FoundFeed(url=response.final_url, title=parsed.title)


def _robots_sitemaps(http: HttpClient, url: str) -> list[str]:
    try:
        robots = http.fetch(robots_url(url), kind="robots", max_bytes=500_000)
    except StageError:
        return []  # no robots.txt: nothing named there
    return sitemaps_in_robots(robots.body.decode("utf-8", errors="replace"), url)
