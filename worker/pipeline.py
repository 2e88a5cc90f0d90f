"""The architecture in one page: what happens to a feed, and to each of its new entries.

::

    poll_feed(feed_id)    fetch (conditional) ─ parse ─ select entries ─ new? ─ enqueue
    process_entry(entry)  fetch (guarded) ─ extract ─ tag ─ build message ─ publish atomically
    record_failure(...)   what could not be processed goes to the dead-letter stream

Stages (``worker.stages``) decide; adapters (``worker.adapters``, reached through
:class:`Services`) do the I/O; Celery tasks (``worker.tasks``) only call these functions
and apply the retry policy.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from worker.adapters.stream import DeadLetter
from worker.errors import Deferred, RetryableError, StageError
from worker.logs import get_logger
from worker.models import Feed, FeedEntry, PublishResult, Response
from worker.services import Services
from worker.stages.extract import extract_page
from worker.stages.feeds import parse_feed
from worker.stages.poll import RejectedEntry, select_entries
from worker.stages.publish import build_article, build_message, dated_from_feed
from worker.stages.schedule import deferral_delay, next_poll_at
from worker.stages.tag import tag_article

log = get_logger(__name__)


@dataclass
class Timings:
    """Milliseconds spent in each stage of one task, for the summary log line."""

    stages: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round((time.perf_counter() - started) * 1000, 1)


@dataclass(frozen=True)
class PollOutcome:
    feed_id: str
    status: str  # polled, not_modified, failed, deferred, removed
    new_entries: int = 0
    rejected_entries: int = 0
    error: StageError | None = None
    timings: dict[str, float] = field(default_factory=dict)
    poll_again_in: float | None = None  # deferred: seconds until the poll is sent again


@dataclass(frozen=True)
class ProcessOutcome:
    article_id: str
    url: str  # canonical
    result: PublishResult
    timings: dict[str, float]

    @property
    def outcome(self) -> str:
        return {
            "article.created": "published",
            "article.updated": "updated",
            "article.duplicate": "duplicate",
        }.get(self.result.event or "", "unchanged")


def poll_feed(feed_id: str, services: Services) -> PollOutcome:
    feed = services.feeds.get(feed_id)
    if feed is None:
        return PollOutcome(feed_id, "removed")
    timings = Timings()
    settings = services.settings
    try:
        with timings.stage("fetch"):
            response = services.http.fetch(
                feed.url,
                kind="feed",
                max_bytes=settings.max_feed_bytes,
                etag=feed.etag,
                last_modified=feed.last_modified,
            )
        if response.not_modified:
            _record_poll(services, feed, response, title=None)
            services.stats.add("feeds.not_modified")
            return PollOutcome(feed.id, "not_modified", timings=timings.stages)
        with timings.stage("parse"):
            parsed = parse_feed(
                response.body, url=response.final_url, content_type=response.content_type
            )
            candidates, rejected = select_entries(parsed, feed, discovered_at=services.clock())
        with timings.stage("enqueue"):
            unseen = services.seen.unseen([candidate.seen_keys for candidate in candidates])
            fresh = [candidate for candidate, new in zip(candidates, unseen, strict=True) if new]
            # Enqueue before marking seen: a crash in between re-enqueues on the next poll,
            # which the idempotent publish absorbs; the other order could lose entries.
            services.enqueue_entries([candidate.entry for candidate in fresh])
            services.seen.mark(key for candidate in fresh for key in candidate.seen_keys)
    except Deferred as wait:
        delay = _postpone_poll(services, feed, wait)
        return PollOutcome(feed.id, "deferred", timings=timings.stages, poll_again_in=delay)
    except StageError as error:
        _record_poll_failure(services, feed, error)
        return PollOutcome(feed.id, "failed", error=error, timings=timings.stages)
    for rejection in rejected:
        _dead_letter_entry(services, feed, rejection)
    _record_poll(services, feed, response, title=parsed.title)
    services.stats.add("feeds.polled")
    services.stats.add("entries.new", len(fresh))
    return PollOutcome(
        feed.id,
        "polled",
        new_entries=len(fresh),
        rejected_entries=len(rejected),
        timings=timings.stages,
    )


def process_entry(entry: FeedEntry, services: Services) -> ProcessOutcome:
    timings = Timings()
    with timings.stage("fetch"):
        response = services.http.fetch(
            entry.source_url, kind="article", max_bytes=services.settings.max_page_bytes
        )
    with timings.stage("extract"):
        page = extract_page(
            response.body, url=response.final_url, content_type=response.content_type
        )
        page = dated_from_feed(entry, page)
    with timings.stage("tag"):
        tags = tag_article(page, entry)
    with timings.stage("publish"):
        article = build_article(entry, response, page, tags, processed_at=services.clock())
        result = services.stream.publish(build_message(article))
    return ProcessOutcome(article.id, article.url, result, timings.stages)


def record_failure(
    services: Services,
    *,
    stage: str,
    reason: str,
    payload: dict[str, Any],
    attempts: int,
    task: str,
    error: str,
) -> str:
    """Put what could not be processed in the dead-letter stream, with enough to retry it."""
    return services.dead.add(
        DeadLetter(
            stage=stage,
            reason=reason,
            input=payload,
            attempts=attempts,
            task=task,
            error=error,
            failed_at=services.clock(),
        )
    )


def _record_poll(services: Services, feed: Feed, response: Response, *, title: str | None) -> None:
    now = services.clock()
    # Validators always come from the latest response, a 304 included: servers rotate them.
    updated = feed.with_changes(
        title=feed.title or title,
        etag=response.headers.get("etag") or feed.etag,
        last_modified=response.headers.get("last-modified") or feed.last_modified,
        last_polled_at=now,
        last_status=response.status,
        last_error=None,
        consecutive_failures=0,
    )
    services.feeds.save(updated, next_poll_at=_next_poll(services, updated, None))


def _record_poll_failure(services: Services, feed: Feed, error: StageError) -> None:
    failing = feed.with_changes(
        last_polled_at=services.clock(),
        last_error=str(error),
        consecutive_failures=feed.consecutive_failures + 1,
    )
    retry_after = error.retry_after if isinstance(error, RetryableError) else None
    services.feeds.save(failing, next_poll_at=_next_poll(services, failing, retry_after))
    services.stats.add("feeds.failed")
    # One dead letter when a feed starts failing, not one per poll of a feed that is down.
    if failing.consecutive_failures == 1:
        record_failure(
            services,
            stage=error.stage,
            reason=error.reason,
            payload={"feed_id": feed.id, "feed_url": feed.url},
            attempts=1,
            task="poll_feed",
            error=type(error).__name__,
        )
    log.warning(
        "feed_poll_failed",
        feed_url=feed.url,
        error=str(error),
        consecutive_failures=failing.consecutive_failures,
    )


def _postpone_poll(services: Services, feed: Feed, wait: Deferred) -> float:
    """The feed's host cannot take the request yet: the poll is sent again in the returned
    number of seconds, not counted as a failure. The feed's due time moves past that by a
    lease, as when beat hands it out, so that beat offers it again only if that poll is lost."""
    settings = services.settings
    delay = deferral_delay(
        wait.delay, cap=settings.retry_backoff_max, random_fraction=services.random_fraction()
    )
    until = services.clock() + timedelta(seconds=delay + settings.poll_lease)
    services.feeds.postpone(feed.id, until=until)
    services.stats.add("feeds.deferred")
    return delay


def _next_poll(services: Services, feed: Feed, retry_after: float | None) -> datetime:
    return next_poll_at(
        services.clock(),
        interval=services.settings.poll_interval,
        consecutive_failures=feed.consecutive_failures,
        random_fraction=services.random_fraction(),
        retry_after=retry_after,
    )


def _dead_letter_entry(services: Services, feed: Feed, rejection: RejectedEntry) -> None:
    record_failure(
        services,
        stage="poll",
        reason=rejection.reason,
        payload={
            "feed_id": feed.id,
            "feed_url": feed.url,
            "link": rejection.entry.link,
            "guid": rejection.entry.guid,
            "title": rejection.entry.title,
        },
        attempts=1,
        task="poll_feed",
        error="PermanentError",
    )
