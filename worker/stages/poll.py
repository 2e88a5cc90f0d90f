"""Poll stage: from a parsed feed to the entries worth a look, each with its identity keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worker.errors import PermanentError
from worker.models import Feed, FeedEntry, ParsedEntry, ParsedFeed
from worker.stages.urls import canonical_url, matching_key, short_digest


@dataclass(frozen=True)
class EntryCandidate:
    """A feed entry and the keys under which it counts as seen once it is enqueued.

    The canonical URL key is global, so the same article linked by two feeds is fetched
    once; the GUID key is per feed, because GUIDs are only unique within their feed.
    """

    entry: FeedEntry
    seen_keys: tuple[str, ...]


@dataclass(frozen=True)
class RejectedEntry:
    entry: ParsedEntry
    reason: str


def select_entries(
    parsed: ParsedFeed, feed: Feed, *, discovered_at: datetime
) -> tuple[list[EntryCandidate], list[RejectedEntry]]:
    """Every entry with a usable link, once each, oldest first so they publish in order."""
    candidates: list[EntryCandidate] = []
    rejected: list[RejectedEntry] = []
    batch_keys: set[str] = set()
    for parsed_entry in sorted(parsed.entries, key=_entry_time):
        if not parsed_entry.link:
            rejected.append(RejectedEntry(parsed_entry, "entry has no link"))
            continue
        try:
            url = canonical_url(parsed_entry.link)
        except PermanentError as error:
            rejected.append(RejectedEntry(parsed_entry, error.reason))
            continue
        keys = entry_seen_keys(feed.id, url, parsed_entry.guid)
        if batch_keys.intersection(keys):
            continue
        batch_keys.update(keys)
        entry = FeedEntry(
            feed=feed.ref,
            url=url,
            source_url=parsed_entry.link,
            guid=parsed_entry.guid,
            title=parsed_entry.title,
            published=parsed_entry.published or parsed_entry.updated,
            discovered_at=discovered_at,
            feed_tags=feed.tags,
        )
        candidates.append(EntryCandidate(entry, keys))
    return candidates, rejected


def entry_seen_keys(feed_id: str, canonical: str, guid: str | None) -> tuple[str, ...]:
    # The looser key: an entry linking to the http, mobile or AMP variant of a page another
    # feed already gave is not fetched again.
    url_key = f"url:{short_digest(matching_key(canonical))}"
    if not guid:
        return (url_key,)
    return (url_key, f"guid:{feed_id}:{short_digest(guid)}")


def _entry_time(entry: ParsedEntry) -> tuple[int, str]:
    moment = entry.published or entry.updated
    # Undated entries keep their feed order after the dated ones.
    return (0, moment.isoformat()) if moment else (1, "")
