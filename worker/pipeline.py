"""The architecture in one page: what happens to a feed, and to each of its new entries.

::

    poll_feed(feed_id)    fetch (conditional) ─ same body? ─ parse ─ select entries ─ new? ─ enqueue
                          ─ schedule the next poll (rate, server hints, graded backoff)
    process_entry(entry)  fetch (guarded) ─ extract (without the host's recurring lines and
                          those other pages of the same poll had) ─ canonical trusted? ─ tag
                          ─ fingerprint ─ user rules (tag, drop, route; the story's size
                          when a rule reads it) ─ build message ─ dedupe and publish atomically
                          (with the routed copies) ─ count the body's short lines per host
    record_failure(...)   what could not be processed goes to the dead-letter stream

Stages (``worker.stages``) decide; adapters (``worker.adapters``, reached through
:class:`Services`) do the I/O; Celery tasks (``worker.tasks``) only call these functions
and apply the retry policy.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from worker.adapters.http import parse_retry_after
from worker.adapters.stream import DeadLetter
from worker.errors import Deferred, RedisUnavailable, RetryableError, StageError
from worker.logs import get_logger
from worker.models import (
    Article,
    ExtractedPage,
    Feed,
    FeedEntry,
    ParsedEntry,
    ParsedFeed,
    PublishResult,
    Response,
    Tags,
)
from worker.services import Services, build_tagger
from worker.settings import Settings
from worker.stages.boilerplate import site_key
from worker.stages.dedupe import Fingerprint, fingerprint
from worker.stages.extract import extract_page, without_lines
from worker.stages.feeds import parse_feed
from worker.stages.poll import NO_DATE, RejectedEntry, is_news, select_entries
from worker.stages.publish import (
    CREATED,
    are_different_stories,
    build_article,
    build_message,
    canonical_claim,
    claimed_canonical,
    dated_from_feed,
)
from worker.stages.rules import Rule
from worker.stages.schedule import (
    Cadence,
    ServerHints,
    cache_hints,
    deferral_delay,
    grade_error,
    plan_next_poll,
    plan_retry,
    publishing_rate,
)

log = get_logger(__name__)

MAX_CHILD_SITEMAPS = 5
"""Sitemaps of an index read per poll, the most recently modified first."""


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
    status: str  # polled, not_modified, unchanged (same body), failed, deferred, removed
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
    dropped_by: str | None = None  # the user rule that dropped the article

    @property
    def outcome(self) -> str:
        if self.dropped_by is not None:
            return "dropped"
        return {
            "article.created": "published",
            "article.updated": "updated",
            "article.duplicate": "duplicate",
        }.get(self.result.event or "", "unchanged")


def poll_feed(feed_id: str, services: Services) -> PollOutcome:
    # What users see as the poll's start; which of two polls of a feed is the later one is
    # decided by their numbers, from Redis, never by the clocks of the hosts that ran them.
    started_at = services.clock()
    started = services.feeds.start_poll(feed_id)
    if started is None:
        return PollOutcome(feed_id, "removed")
    feed, poll = started.feed, started.number
    timings = Timings()
    settings = services.settings
    # A sitemap index rarely changes while the sitemaps it lists do: it is always read.
    conditional = not (feed.format or "").startswith("sitemapindex")
    try:
        with timings.stage("fetch"):
            response = services.http.fetch(
                feed.url,
                kind="feed",
                max_bytes=settings.max_feed_bytes,
                etag=feed.etag if conditional else None,
                last_modified=feed.last_modified if conditional else None,
            )
        feed = _moved_permanently(feed, response)
        if response.not_modified:
            _record_poll(services, feed, response, started_at, poll, result="not_modified")
            services.stats.add("feeds.not_modified")
            return PollOutcome(feed.id, "not_modified", timings=timings.stages)
        # Some servers answer 200 with fresh validators for the very same bytes.
        body_hash = hashlib.blake2b(response.body, digest_size=16).hexdigest()
        if body_hash == feed.body_hash and conditional:
            _record_poll(services, feed, response, started_at, poll, result="unchanged")
            services.stats.add("feeds.not_modified")
            services.stats.add("feeds.unchanged")
            return PollOutcome(feed.id, "unchanged", timings=timings.stages)
        with timings.stage("parse"):
            parsed = _parse_with_sitemaps(services, response)
            now = services.clock()
            freshness = timedelta(hours=settings.sitemap_freshness_hours)
            candidates, rejected = select_entries(
                parsed,
                feed,
                discovered_at=now,
                freshness=freshness if "sitemap" in parsed.format else None,
            )
        with timings.stage("enqueue"):
            remembered = services.seen.remembered(
                [*(c.seen_keys for c in candidates), *((r.seen_key,) for r in rejected)]
            )
            news = [
                candidate
                for candidate, known in zip(candidates, remembered[: len(candidates)], strict=True)
                if is_news(candidate, known)
            ]
            unreported = [
                rejection
                for rejection, known in zip(rejected, remembered[len(candidates) :], strict=True)
                if known is None
            ]
            # Enqueue (and dead-letter) before remembering: a crash in between repeats them
            # on the next poll, which the idempotent publish absorbs; the other order could
            # lose entries.
            services.enqueue_entries([candidate.entry for candidate in news])
            for rejection in unreported:
                _dead_letter_entry(services, feed, rejection)
            # Every entry still listed is remembered for another window, so one that stays
            # in its feed longer than the window never comes back as new.
            services.seen.remember(
                [
                    *((key, c.version) for c in candidates for key in c.seen_keys),
                    *((rejection.seen_key, NO_DATE) for rejection in rejected),
                ]
            )
    except Deferred as wait:
        delay = _postpone_poll(services, feed, wait)
        return PollOutcome(feed.id, "deferred", timings=timings.stages, poll_again_in=delay)
    except RedisUnavailable:
        raise  # not the feed's failure: the poll goes back to its queue (worker/tasks.py)
    except StageError as error:
        _record_poll_failure(services, feed, error, started_at, poll)
        return PollOutcome(feed.id, "failed", error=error, timings=timings.stages)
    learnt = feed.with_changes(
        title=feed.title or parsed.title,
        body_hash=body_hash,
        format=parsed.format,
        entries_per_day=publishing_rate(
            (entry.published or entry.updated for entry in parsed.entries), now
        ),
        ttl=parsed.ttl_seconds,
        update_period=parsed.update_period_seconds,
        new_entries=feed.new_entries + len(news),
        last_new_entry_at=now if news else feed.last_new_entry_at,
    )
    _record_poll(services, learnt, response, started_at, poll, result="polled")
    services.stats.add("feeds.polled")
    services.stats.add("entries.new", len(news))
    return PollOutcome(
        feed.id,
        "polled",
        new_entries=len(news),
        rejected_entries=len(unreported),
        timings=timings.stages,
    )


def _moved_permanently(feed: Feed, response: Response) -> Feed:
    """A feed that moved for good (301, 308 all the way) is polled at its new URL from now on;
    a temporary redirect keeps the URL the user gave."""
    location = response.permanent_location
    if location is None or location == feed.url:
        return feed
    log.info("feed_moved", feed_url=feed.url, new_url=location)
    return feed.with_changes(url=location, previous_urls=(*feed.previous_urls, feed.url))


def _parse_with_sitemaps(services: Services, response: Response) -> ParsedFeed:
    """The parsed feed; for a sitemap index, the entries of its most recent sitemaps."""
    parsed = parse_feed(response.body, url=response.final_url, content_type=response.content_type)
    if not parsed.child_sitemaps:
        return parsed
    newest_first = sorted(
        parsed.child_sitemaps,
        key=lambda child: child.updated.isoformat() if child.updated else "",
        reverse=True,
    )
    entries: list[ParsedEntry] = []
    formats = set()
    for child in newest_first[:MAX_CHILD_SITEMAPS]:
        assert child.link is not None  # the parser keeps only sitemaps with a location
        child_response = services.http.fetch(
            child.link, kind="feed", max_bytes=services.settings.max_feed_bytes
        )
        child_parsed = parse_feed(
            child_response.body,
            url=child_response.final_url,
            content_type=child_response.content_type,
        )
        entries.extend(child_parsed.entries)
        formats.add(child_parsed.format)
    kind = "news-sitemap" if "news-sitemap" in formats else "sitemap"
    return replace(parsed, format=f"sitemapindex+{kind}", entries=tuple(entries))


def process_entry(entry: FeedEntry, services: Services) -> ProcessOutcome:
    timings = Timings()
    # The CPU steps (services.cpu: processes of their own in the articles worker) share what
    # is left of the task's soft time limit.
    deadline = time.monotonic() + services.settings.task_soft_time_limit
    with timings.stage("fetch"):
        response = services.http.fetch(
            entry.source_url, kind="article", max_bytes=services.settings.max_page_bytes
        )
    site = site_key(response.final_url)
    with timings.stage("cpu"):  # the wait for a CPU process included
        analyse = partial(
            analyse_page,
            services.settings,
            entry,
            response.body,
            url=response.final_url,
            content_type=response.content_type,
            now=response.fetched_at,
            recurring_lines=services.host_lines.recurring(site),
        )
        analysed = services.cpu.run(analyse, timeout=deadline - time.monotonic())
    timings.stages.update(analysed.timings)
    page, tags, body = analysed.page, analysed.tags, analysed.body
    if entry.feed.id:
        with timings.stage("poll_lines"):
            # Learnt from the batch: the other pages of the same poll are the host's too.
            poll = services.keys.poll_lines(entry.feed.id, entry.discovered_at.isoformat())
            shared = services.host_lines.shared_in_poll(poll, response.final_url, page.line_keys)
            without_shared = without_lines(page, shared)
        if without_shared is not page:
            # The tags and fingerprint of what is left: a step more, for the few pages that
            # share lines with the others of their poll.
            page = without_shared
            with timings.stage("tag_again"):
                analyse_rest = partial(tags_and_fingerprint, services.settings, page, entry)
                tags, body = services.cpu.run(analyse_rest, timeout=deadline - time.monotonic())
    page = dated_from_feed(entry, page)
    with timings.stage("canonical"):
        trust_canonical = _trusts_canonical(services, site, response, page)
    with timings.stage("build"):
        article = build_article(
            entry,
            response,
            page,
            tags,
            processed_at=services.clock(),
            trust_canonical=trust_canonical,
        )
    with timings.stage("rules"):
        # The story's size is a Redis read: made only for rule files that ask for it.
        cluster_size = (
            services.stream.cluster_size(
                article.id, article.content_hash, body, at=article.processed_at
            )
            if services.rules.uses_cluster_size
            else 1
        )
        ruled = services.rules.apply(article, cluster_size=cluster_size)
        article = ruled.applied_to(article)
    if ruled.dropped_by is not None:
        _record_drop(services, article, ruled.dropped_by)
        unpublished = PublishResult(None, None, article.id, None)
        return ProcessOutcome(
            article.id, article.url, unpublished, timings.stages, dropped_by=ruled.dropped_by.name
        )
    with timings.stage("publish"):
        # New, updated, or a copy of a story already in the window: decided inside Redis
        # in the same step that appends the event.
        result = services.stream.publish(
            build_message(article, ruled.routes), body, at=article.processed_at
        )
    if result.event == CREATED:
        # Only a first publication counts: a redelivery, an update or a copy of the same
        # page would make its story lines look recurring.
        services.host_lines.record(site, page.line_keys)
    return ProcessOutcome(article.id, article.url, result, timings.stages)


@dataclass(frozen=True)
class AnalysedPage:
    page: ExtractedPage
    tags: Tags
    body: Fingerprint
    timings: dict[str, float]
    """Milliseconds of extraction and tagging, measured where they ran."""


def analyse_page(
    settings: Settings,
    entry: FeedEntry,
    body: bytes,
    *,
    url: str,
    content_type: str | None,
    now: datetime,
    recurring_lines: frozenset[str],
) -> AnalysedPage:
    """The CPU work of an article: extraction, then tags and fingerprint, in one step where
    ``services.cpu`` runs steps. As two steps, every article crossed to a CPU process and
    back twice, and the CPU processes waited for the worker's threads in between."""
    timings = Timings()
    with timings.stage("extract"):
        page = extract_page(
            body, url=url, content_type=content_type, now=now, recurring_lines=recurring_lines
        )
    with timings.stage("tag"):
        tags, fingerprinted = tags_and_fingerprint(settings, page, entry)
    return AnalysedPage(page, tags, fingerprinted, timings.stages)


def tags_and_fingerprint(
    settings: Settings, page: ExtractedPage, entry: FeedEntry
) -> tuple[Tags, Fingerprint]:
    """The tags and fingerprint of an extracted page: a pure function of it."""
    return build_tagger(settings).tag(page, entry), fingerprint(page.text)


def _trusts_canonical(
    services: Services, site: str, response: Response, page: ExtractedPage
) -> bool:
    """Whether the page's ``rel=canonical`` names its story. A host whose pages of different
    stories claim one canonical (a template printing the section's URL on every page) has its
    canonicals distrusted from then on: each story keeps the id of its own address."""
    claimed = claimed_canonical(response, page)
    if claimed is None:
        return True
    if services.canonicals.distrusted(site):
        return False
    claim = canonical_claim(response, page)
    first = services.canonicals.first_claim(site, claimed, claim)
    if not are_different_stories(claim, first):
        return True
    services.canonicals.distrust(site)
    services.stats.add("hosts.canonicals_distrusted")
    log.warning(
        "canonical_distrusted",
        host=site,
        canonical=claimed,
        url=response.final_url,
        first_claimed_by=first.split("\t", 1)[0],
    )
    return False


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


def _record_drop(services: Services, article: Article, rule: Rule) -> None:
    """A dropped article is counted under its rule and logged with the reason, never silent."""
    services.stats.add("articles.dropped")
    services.stats.add(f"dropped.{rule.name}")
    log.info(
        "article_dropped", article_id=article.id, url=article.url, rule=rule.name, reason=rule.drop
    )


def _record_poll(
    services: Services,
    feed: Feed,
    response: Response,
    started_at: datetime,
    poll: int,
    *,
    result: str,
) -> None:
    now = services.clock()
    max_age, expires = cache_hints(response.headers, now)
    plan = plan_next_poll(
        now,
        cadence=_cadence(services, feed),
        entries_per_day=feed.entries_per_day,
        hints=ServerHints(
            ttl=feed.ttl,
            update_period=feed.update_period,
            max_age=max_age,
            expires=expires,
            retry_after=parse_retry_after(response.headers.get("retry-after"), now),
        ),
        random_fraction=services.random_fraction(),
    )
    # Validators always come from the latest response, a 304 included: servers rotate them.
    updated = feed.with_changes(
        etag=response.headers.get("etag") or feed.etag,
        last_modified=response.headers.get("last-modified") or feed.last_modified,
        last_polled_at=started_at,
        last_status=response.status,
        last_result=result,
        last_error=None,
        error_grade=None,
        consecutive_failures=0,
        polls=feed.polls + 1,
        next_poll_reason=plan.reason,
    )
    _save_poll(services, updated, poll, next_poll_at=plan.at)


def _save_poll(services: Services, polled: Feed, poll: int, *, next_poll_at: datetime) -> bool:
    """Records poll number ``poll``; False when it is dropped: another poll of the feed
    started after it (or the feed was removed)."""
    result = services.feeds.save(polled, poll=poll, next_poll_at=next_poll_at)
    if result == "superseded":
        services.stats.add("feeds.superseded")
        log.warning(
            "feed_poll_superseded",
            feed_url=polled.url,
            dropped_result=polled.last_result,
            dropped_error=polled.last_error,
        )
    return result == "saved"


def _record_poll_failure(
    services: Services, feed: Feed, error: StageError, started_at: datetime, poll: int
) -> None:
    now = services.clock()
    grade = grade_error(error)
    failures = feed.consecutive_failures + 1
    plan = plan_retry(
        now,
        grade=grade,
        failures=failures,
        maximum=_cadence(services, feed).maximum,
        retry_after=error.retry_after if isinstance(error, RetryableError) else None,
        random_fraction=services.random_fraction(),
    )
    failing = feed.with_changes(
        last_polled_at=started_at,
        last_result="failed",
        last_error=str(error),
        error_grade=str(grade),
        consecutive_failures=failures,
        next_poll_reason=plan.reason,
    )
    if not _save_poll(services, failing, poll, next_poll_at=plan.at):
        return
    services.stats.add("feeds.failed")
    # One dead letter when a feed starts failing, not one per poll of a feed that is down.
    if failing.consecutive_failures == 1:
        record_failure(
            services,
            stage=error.stage,
            reason=error.reason,
            payload={"feed_id": feed.id, "feed_url": feed.url, "grade": str(grade)},
            attempts=1,
            task="poll_feed",
            error=type(error).__name__,
        )
    log.warning(
        "feed_poll_failed",
        feed_url=feed.url,
        error=str(error),
        grade=str(grade),
        consecutive_failures=failing.consecutive_failures,
    )


def _postpone_poll(services: Services, feed: Feed, wait: Deferred) -> float:
    """The feed's host cannot take the request yet: the poll is sent again in the returned
    number of seconds, not counted as a failure. The feed's due time moves past that by a
    lease, as when beat hands it out, so that beat offers it again only if that poll is lost."""
    settings = services.settings
    delay = deferral_delay(wait.delay, cap=settings.retry_backoff_max)
    until = services.clock() + timedelta(seconds=delay + settings.poll_lease)
    services.feeds.postpone(feed.id, until=until)
    services.stats.add("feeds.deferred")
    return delay


def _cadence(services: Services, feed: Feed) -> Cadence:
    settings = services.settings
    return Cadence(
        default=settings.poll_interval,
        minimum=feed.min_interval or settings.min_poll_interval,
        maximum=feed.max_interval or settings.max_poll_interval,
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
