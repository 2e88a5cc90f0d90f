"""Frozen dataclasses passed between stages, adapters and tasks.

Tasks carry only small JSON-friendly dicts (``to_payload``/``from_payload``), never HTML.
Every datetime is timezone-aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any


def utc_iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, the one date format of the stream."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_utc_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


@dataclass(frozen=True)
class FeedRef:
    """How an article names the feed it came from."""

    id: str
    url: str
    title: str | None = None

    def to_payload(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "title": self.title}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> FeedRef:
        return cls(id=payload["id"], url=payload["url"], title=payload.get("title"))


@dataclass(frozen=True)
class Feed:
    """A subscribed feed: what the user gave, and what polling learnt about it."""

    id: str
    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    added_at: datetime | None = None
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    consecutive_failures: int = 0
    # Per-feed overrides from the feed list (seconds); None: the settings decide.
    min_interval: float | None = None
    max_interval: float | None = None
    # What polling learnt, for the schedule and `feeds status`.
    previous_urls: tuple[str, ...] = ()  # URLs a permanent redirect moved the feed away from
    body_hash: str | None = None  # of the last body parsed: catches validators that lie
    format: str | None = None  # of the last body parsed: rss20, atom10, sitemapindex, ...
    entries_per_day: float | None = None
    ttl: float | None = None  # seconds, from RSS <ttl>
    update_period: float | None = None  # seconds, from sy:updatePeriod/sy:updateFrequency
    last_result: str | None = None  # polled, not_modified, unchanged, failed
    last_new_entry_at: datetime | None = None
    next_poll_reason: str | None = None
    error_grade: str | None = None
    polls: int = 0  # successful polls
    new_entries: int = 0  # entries enqueued over all polls

    @property
    def ref(self) -> FeedRef:
        return FeedRef(id=self.id, url=self.url, title=self.title)

    def with_changes(self, **changes: Any) -> Feed:
        return replace(self, **changes)

    def to_payload(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "url": self.url,
            "title": self.title,
            "tags": list(self.tags),
            "added_at": utc_iso(self.added_at),
            "etag": self.etag,
            "last_modified": self.last_modified,
            "last_polled_at": utc_iso(self.last_polled_at),
            "last_status": self.last_status,
            "last_error": self.last_error,
            "consecutive_failures": self.consecutive_failures,
            "min_interval": self.min_interval,
            "max_interval": self.max_interval,
            "previous_urls": list(self.previous_urls),
            "body_hash": self.body_hash,
            "format": self.format,
            "entries_per_day": self.entries_per_day,
            "ttl": self.ttl,
            "update_period": self.update_period,
            "last_result": self.last_result,
            "last_new_entry_at": utc_iso(self.last_new_entry_at),
            "next_poll_reason": self.next_poll_reason,
            "error_grade": self.error_grade,
            "polls": self.polls,
            "new_entries": self.new_entries,
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Feed:
        return cls(
            id=payload["id"],
            url=payload["url"],
            title=payload.get("title"),
            tags=tuple(payload.get("tags") or ()),
            added_at=parse_utc_iso(payload.get("added_at")),
            etag=payload.get("etag"),
            last_modified=payload.get("last_modified"),
            last_polled_at=parse_utc_iso(payload.get("last_polled_at")),
            last_status=payload.get("last_status"),
            last_error=payload.get("last_error"),
            consecutive_failures=int(payload.get("consecutive_failures") or 0),
            min_interval=payload.get("min_interval"),
            max_interval=payload.get("max_interval"),
            previous_urls=tuple(payload.get("previous_urls") or ()),
            body_hash=payload.get("body_hash"),
            format=payload.get("format"),
            entries_per_day=payload.get("entries_per_day"),
            ttl=payload.get("ttl"),
            update_period=payload.get("update_period"),
            last_result=payload.get("last_result"),
            last_new_entry_at=parse_utc_iso(payload.get("last_new_entry_at")),
            next_poll_reason=payload.get("next_poll_reason"),
            error_grade=payload.get("error_grade"),
            polls=int(payload.get("polls") or 0),
            new_entries=int(payload.get("new_entries") or 0),
        )


@dataclass(frozen=True)
class Response:
    """One HTTP response as the guarded client returns it (body already decompressed)."""

    requested_url: str
    final_url: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    fetched_at: datetime
    redirects: tuple[str, ...] = ()
    redirect_statuses: tuple[int, ...] = ()  # the status of each redirect, in step

    @property
    def permanent_location(self) -> str | None:
        """Where an unbroken chain of permanent redirects (301, 308) led, if it led anywhere.

        A temporary redirect anywhere in the chain keeps the original URL.
        """
        if not self.redirects or any(s not in (301, 308) for s in self.redirect_statuses):
            return None
        return self.redirects[-1] if len(self.redirect_statuses) == len(self.redirects) else None

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class ParsedEntry:
    """One item of a feed, as the feed says it."""

    link: str | None
    guid: str | None = None
    title: str | None = None
    summary: str | None = None
    authors: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None


@dataclass(frozen=True)
class ParsedFeed:
    """A feed document: its format, what it says of itself, its entries."""

    format: str  # e.g. "rss20", "atom10", "rss10", "json11"
    title: str | None
    link: str | None
    encoding: str | None
    entries: tuple[ParsedEntry, ...]
    problems: tuple[str, ...] = ()  # recoverable oddities the parser worked around
    ttl_seconds: float | None = None  # RSS <ttl>
    update_period_seconds: float | None = None  # sy:updatePeriod / sy:updateFrequency
    child_sitemaps: tuple[ParsedEntry, ...] = ()  # a sitemap index: its sitemaps (link, lastmod)


@dataclass(frozen=True)
class FeedEntry:
    """An entry judged new, on its way from the poll to an article worker."""

    feed: FeedRef
    url: str  # canonical form of the link
    source_url: str  # the link exactly as the feed gave it
    guid: str | None
    title: str | None
    published: datetime | None
    discovered_at: datetime
    feed_tags: tuple[str, ...] = ()

    def to_payload(self) -> dict[str, Any]:
        return {
            "feed": self.feed.to_payload(),
            "url": self.url,
            "source_url": self.source_url,
            "guid": self.guid,
            "title": self.title,
            "published": utc_iso(self.published),
            "discovered_at": utc_iso(self.discovered_at),
            "feed_tags": list(self.feed_tags),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> FeedEntry:
        discovered = parse_utc_iso(payload["discovered_at"])
        if discovered is None:
            raise ValueError("discovered_at is missing")
        return cls(
            feed=FeedRef.from_payload(payload["feed"]),
            url=payload["url"],
            source_url=payload.get("source_url") or payload["url"],
            guid=payload.get("guid"),
            title=payload.get("title"),
            published=parse_utc_iso(payload.get("published")),
            discovered_at=discovered,
            feed_tags=tuple(payload.get("feed_tags") or ()),
        )


@dataclass(frozen=True)
class DatedValue:
    """A date and the place it was found: ``page`` metadata, ``feed``, ..."""

    value: datetime
    source: str


@dataclass(frozen=True)
class ExtractedPage:
    """What extraction found on one page."""

    title: str | None
    authors: tuple[str, ...]
    published: DatedValue | None
    modified: DatedValue | None
    language: str | None
    site_name: str | None
    image: str | None
    description: str | None
    canonical_url: str | None
    text: str
    extractor: str  # which produced the body: "trafilatura" ("jsonld" only in older entries)
    categories: tuple[str, ...] = ()
    section: str | None = None
    keywords: tuple[str, ...] = ()  # as the page declares them (meta keywords, JSON-LD)
    agency: tuple[str, ...] = ()  # wire agencies credited: "AFP", "AP", "Reuters", ...
    truncated: bool = False  # the page says the story goes on beyond what we got
    paywalled: bool = False  # the page says the story is for subscribers
    line_keys: tuple[str, ...] = ()  # keys of the body's short lines, for per-host learning
    # The body before the host's learnt lines were removed: what identifies the content, so
    # that a page's hash does not change as its host's line statistics grow.
    identity_text: str | None = None


@dataclass(frozen=True)
class PlaceTag:
    """A country the article mentions, by name, demonym or city, and where it does."""

    code: str  # ISO 3166-1 alpha-2
    name: str  # English short name
    count: int
    title: int  # occurrences in the title, the lead paragraph and the rest of the body
    lead: int
    body: int
    names: tuple[str, ...]  # the words that named it, as written
    by: str  # the extractor that found it


@dataclass(frozen=True)
class EntityTag:
    """A person or an organisation, under its canonical name."""

    name: str
    count: int
    by: str


@dataclass(frozen=True)
class TopicTag:
    code: str  # the key in config/tags.toml, e.g. "politics"
    iptc: str  # the IPTC Media Topic it stands for, e.g. "medtop:11000000"
    score: float
    by: str


@dataclass(frozen=True)
class KeywordTag:
    text: str
    score: float  # higher is more characteristic
    by: str


@dataclass(frozen=True)
class LabelTag:
    """A tag a user rule added."""

    label: str
    by: str


@dataclass(frozen=True)
class Tags:
    language: str | None
    feed: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    places: tuple[PlaceTag, ...] = ()
    people: tuple[EntityTag, ...] = ()
    organisations: tuple[EntityTag, ...] = ()
    topics: tuple[TopicTag, ...] = ()
    keywords: tuple[KeywordTag, ...] = ()
    rules: tuple[str, ...] = ()  # names of the user rules that matched
    labels: tuple[LabelTag, ...] = ()


@dataclass(frozen=True)
class Article:
    """An article ready to publish: everything of the contract but the dedupe verdict."""

    id: str
    url: str
    source_url: str
    final_url: str
    feed: FeedRef
    page: ExtractedPage
    tags: Tags
    content_hash: str
    word_count: int
    discovered_at: datetime
    fetched_at: datetime
    processed_at: datetime
    agency: tuple[str, ...] = ()
    quality: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublishResult:
    """What the atomic claim-and-append decided for one article."""

    event: str | None  # article.created / article.updated / article.duplicate; None: unchanged
    stream_id: str | None  # None also for a copy dropped by dedupe_mode = "drop"
    cluster_id: str
    duplicate_of: str | None
    similarity: float | None = None
