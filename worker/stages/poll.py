"""Poll stage: from a parsed feed to the entries worth a look, each with its identity keys.

Identity: the canonical link (redirectors unwrapped, tracking parameters removed) globally,
plus the GUID within the feed when the GUID is trustworthy (present, not shared by entries
with different links, not the feed's own address). Each key remembers the entry's
``updated`` date, so a known entry whose date moves on goes through again as an update,
while an entry that merely slides back into the feed stays seen.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from worker.errors import PermanentError
from worker.models import Feed, FeedEntry, ParsedEntry, ParsedFeed, utc_iso
from worker.stages.urls import canonical_url, matching_key, short_digest, unwrap_redirector

NO_DATE = "-"


@dataclass(frozen=True)
class EntryCandidate:
    """A feed entry and the keys under which it counts as seen once it is enqueued.

    The canonical URL key is global, so the same article linked by two feeds is fetched
    once; the GUID key is per feed, because GUIDs are only unique within their feed.
    """

    entry: FeedEntry
    seen_keys: tuple[str, ...]
    version: str  # the entry's updated date (ISO), or NO_DATE: what the seen keys remember


@dataclass(frozen=True)
class RejectedEntry:
    """An entry that cannot be fetched. Its seen key stands for it (it has no usable link),
    so that it is dead-lettered once, not at every poll that still lists it."""

    entry: ParsedEntry
    reason: str
    seen_key: str


def select_entries(
    parsed: ParsedFeed,
    feed: Feed,
    *,
    discovered_at: datetime,
    freshness: timedelta | None = None,
) -> tuple[list[EntryCandidate], list[RejectedEntry]]:
    """Every entry with a usable link, once each, oldest first so they publish in order.

    ``freshness`` (for sitemaps, which list a site's whole past) drops entries dated
    further back; undated sitemap entries are kept only when no entry is dated.
    """
    candidates: list[EntryCandidate] = []
    rejected: list[RejectedEntry] = []
    batch_keys: set[str] = set()
    trusted = _trusted_guids(parsed)
    for parsed_entry in sorted(_fresh(parsed.entries, discovered_at, freshness), key=_entry_time):
        if not parsed_entry.link:
            rejected.append(_rejected(feed, parsed_entry, "entry has no link"))
            continue
        link = unwrap_redirector(parsed_entry.link)
        try:
            url = canonical_url(link)
        except PermanentError as error:
            rejected.append(_rejected(feed, parsed_entry, error.reason))
            continue
        guid = parsed_entry.guid if parsed_entry.guid in trusted else None
        keys = entry_seen_keys(feed.id, url, guid)
        if batch_keys.intersection(keys):
            continue
        batch_keys.update(keys)
        entry = FeedEntry(
            feed=feed.ref,
            url=url,
            source_url=link,
            guid=parsed_entry.guid,
            title=parsed_entry.title,
            published=parsed_entry.published or parsed_entry.updated,
            discovered_at=discovered_at,
            feed_tags=feed.tags,
        )
        version = utc_iso(parsed_entry.updated) or NO_DATE
        candidates.append(EntryCandidate(entry, keys, version))
    return candidates, rejected


def is_news(candidate: EntryCandidate, remembered: str | None) -> bool:
    """New, or known with a later ``updated`` date than the one remembered."""
    if remembered is None:
        return True
    if candidate.version == NO_DATE or remembered == NO_DATE or not remembered[:1].isdigit():
        return False
    return candidate.version > remembered


def _trusted_guids(parsed: ParsedFeed) -> set[str]:
    links_per_guid: dict[str, set[str | None]] = {}
    for entry in parsed.entries:
        if entry.guid:
            links_per_guid.setdefault(entry.guid, set()).add(entry.link)
    counts = Counter(entry.guid for entry in parsed.entries if entry.guid)
    own = {parsed.link, None}
    return {
        guid
        for guid, links in links_per_guid.items()
        if guid not in own and (counts[guid] == 1 or len(links) == 1)
    }


def _fresh(
    entries: Sequence[ParsedEntry], now: datetime, freshness: timedelta | None
) -> Sequence[ParsedEntry]:
    if freshness is None:
        return entries
    if not any(entry.published or entry.updated for entry in entries):
        return entries
    return [
        entry
        for entry in entries
        if (moment := entry.published or entry.updated) is not None and now - moment <= freshness
    ]


def entry_seen_keys(feed_id: str, canonical: str, guid: str | None) -> tuple[str, ...]:
    # The looser key: an entry linking to the http, mobile or AMP variant of a page another
    # feed already gave is not fetched again.
    url_key = f"url:{short_digest(matching_key(canonical))}"
    if not guid:
        return (url_key,)
    return (url_key, f"guid:{feed_id}:{short_digest(guid)}")


def _rejected(feed: Feed, entry: ParsedEntry, reason: str) -> RejectedEntry:
    identity = "\n".join((entry.link or "", entry.guid or "", entry.title or "", reason))
    return RejectedEntry(entry, reason, f"rejected:{feed.id}:{short_digest(identity)}")


def _entry_time(entry: ParsedEntry) -> tuple[int, str]:
    moment = entry.published or entry.updated
    # Undated entries keep their feed order after the dated ones.
    return (0, moment.isoformat()) if moment else (1, "")
