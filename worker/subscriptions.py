"""Subscribing to feeds, one by one or from an OPML list: shared by the CLI and the demo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worker.adapters.store import FeedStore
from worker.errors import ConfigError, StageError
from worker.models import Feed
from worker.stages.opml import parse_opml
from worker.stages.urls import canonical_url, feed_id


@dataclass(frozen=True)
class ImportReport:
    listed: int
    created: int
    skipped: tuple[str, ...]


def new_feed(url: str, title: str | None, tags: tuple[str, ...], *, added_at: datetime) -> Feed:
    try:
        canonical = canonical_url(url)
    except StageError as error:
        raise ConfigError(f"feeds: {error.reason}: {url!r}") from None
    return Feed(id=feed_id(canonical), url=url.strip(), title=title, tags=tags, added_at=added_at)


def import_opml(store: FeedStore, body: bytes, *, source: str, now: datetime) -> ImportReport:
    """Subscribe to every feed the OPML lists; a bad outline is skipped and reported."""
    listed = parse_opml(body, source=source)
    if not listed:
        raise ConfigError(f"feeds import: {source}: the OPML lists no feeds")
    created = 0
    skipped = []
    for item in listed:
        try:
            feed = new_feed(item.url, item.title, item.tags, added_at=now)
        except ConfigError as error:
            skipped.append(str(error))
            continue
        created += store.add(feed, poll_at=now)
    return ImportReport(listed=len(listed), created=created, skipped=tuple(skipped))
