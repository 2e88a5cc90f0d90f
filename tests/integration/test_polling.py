"""poll_feed against the simulated web and a real Redis: the scheduling signals, conditional
GET and lying validators, entries never enqueued twice, graded backoff and recovery, and
permanent redirects."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from worker import pipeline
from worker.errors import RedisUnavailable, RetryableError
from worker.models import Feed, FeedEntry
from worker.services import Services, build_services
from worker.settings import load_settings
from worker.simweb import SimWeb
from worker.stages.urls import feed_id


@dataclass
class Poller:
    services: Services
    web: SimWeb
    enqueued: list[FeedEntry] = field(default_factory=list)

    def subscribe(self, url: str, **changes: object) -> str:
        feed = Feed(id=feed_id(url), url=url, **changes)  # type: ignore[arg-type]
        self.services.feeds.add(feed, poll_at=datetime.now(UTC))
        return feed.id

    def poll(self, feed_id: str) -> pipeline.PollOutcome:
        return pipeline.poll_feed(feed_id, self.services)

    def feed(self, feed_id: str) -> Feed:
        feed = self.services.feeds.get(feed_id)
        assert feed is not None
        return feed

    def next_poll_in(self, feed_id: str) -> float:
        due = self.services.feeds.due_times()[feed_id]
        polled = self.feed(feed_id).last_polled_at
        assert polled is not None
        return (due - polled).total_seconds()


@pytest.fixture
def poller(redis_url: str, namespace: str) -> Iterator[Poller]:
    settings = load_settings(
        redis_url=redis_url,
        namespace=namespace,
        allowed_networks="127.0.0.0/8",
        # Every simulated feed is on 127.0.0.1: politeness is not what these tests are about.
        host_rate_overrides={"127.0.0.1": SIMWEB_HOST_RATE},
        host_failure_threshold=1000,
    )
    with SimWeb() as web:
        enqueued: list[FeedEntry] = []
        services = build_services(settings, redis_url, enqueued.extend)
        # No jitter: each delay is exactly what the signal asked for.
        services.random_fraction = lambda: 0.0
        yield Poller(services, web, enqueued)
        services.close()


SIMWEB_HOST_RATE = 2000.0
PERIOD = 3600  # one item an hour: the publishing rate alone asks for a poll an hour


@pytest.mark.parametrize(
    ("options", "delay", "reason"),
    [
        # Nine gaps between ten items, counted up to now: a little longer than one period.
        ({}, PERIOD * 19 / 18, "publishing rate"),
        ({"ttl": 180}, 180 * 60, "ttl"),
        ({"sy": "daily:2"}, 12 * 3600, "sy:updatePeriod"),
        ({"max_age": 20_000}, 20_000, "cache-control max-age"),
        ({"expires": 30_000}, 30_000, "expires"),
        ({"retry_after": 25_000}, 25_000, "retry-after"),
    ],
)
def test_each_scheduling_signal_sets_the_next_poll(
    poller: Poller, options: dict[str, object], delay: float, reason: str
) -> None:
    feed = poller.subscribe(poller.web.synthetic_feed_url(1, period=PERIOD, **options))

    assert poller.poll(feed).status == "polled"

    assert poller.feed(feed).next_poll_reason == reason
    assert poller.next_poll_in(feed) == pytest.approx(delay, abs=PERIOD / 18 + 5)


def test_a_per_feed_minimum_interval_overrides_the_publishing_rate(poller: Poller) -> None:
    feed = poller.subscribe(poller.web.synthetic_feed_url(2, period=60), min_interval=1800)

    poller.poll(feed)

    assert poller.feed(feed).next_poll_reason == "minimum interval"
    assert poller.next_poll_in(feed) == pytest.approx(1800, abs=5)


def test_an_unchanged_feed_answers_304_and_its_validators_are_kept(poller: Poller) -> None:
    feed = poller.subscribe(poller.web.synthetic_feed_url(3, period=PERIOD))

    assert poller.poll(feed).status == "polled"
    etag = poller.feed(feed).etag
    assert etag
    assert poller.poll(feed).status == "not_modified"
    assert poller.feed(feed).etag == etag
    assert poller.feed(feed).last_result == "not_modified"


@pytest.mark.parametrize("validators", ["rotating", "none", "ignored"])
def test_lying_or_missing_validators_are_caught_by_the_body_hash(
    poller: Poller, validators: str
) -> None:
    feed = poller.subscribe(poller.web.synthetic_feed_url(4, validators=validators))

    first = poller.poll(feed)
    second = poller.poll(feed)

    assert (first.status, first.new_entries) == ("polled", 10)
    assert (second.status, second.new_entries) == ("unchanged", 0)
    assert len(poller.enqueued) == 10


def test_a_feed_publishing_on_a_schedule_yields_each_entry_exactly_once(poller: Poller) -> None:
    feed = poller.subscribe(poller.web.synthetic_feed_url(5, period=600, tracking=1))
    counts = []
    for step in range(6):
        counts.append(poller.poll(feed).new_entries)
        poller.web.advance_time(600 * (step % 3))  # 0, 1 or 2 new items between polls

    urls = [entry.url for entry in poller.enqueued]
    assert counts[0] == 10
    assert counts[1:] == [0, 1, 2, 0, 1]
    assert len(urls) == len(set(urls)) == 14
    assert all("utm_" not in url for url in urls)


def test_a_run_of_500s_backs_off_then_recovers(poller: Poller) -> None:
    url = poller.web.synthetic_feed_url(6, period=PERIOD)
    feed = poller.subscribe(url)
    poller.poll(feed)
    poller.web.set_behaviour("synthetic.example/feed/6.xml", status=500)

    delays = []
    for _ in range(4):
        assert poller.poll(feed).status == "failed"
        delays.append(poller.next_poll_in(feed))
    failing = poller.feed(feed)

    assert delays == pytest.approx([300, 600, 1200, 2400], abs=1)
    assert (failing.consecutive_failures, failing.error_grade) == (4, "temporary")
    assert failing.next_poll_reason == "temporary error backoff"
    assert "500 Internal Server Error" in (failing.last_error or "")
    dead = poller.services.redis.xrange(poller.services.keys.dead_stream)
    assert len(dead) == 1  # dead-lettered once, when it started failing

    poller.web.set_behaviour("synthetic.example/feed/6.xml")
    assert poller.poll(feed).status == "not_modified"
    recovered = poller.feed(feed)
    assert (recovered.consecutive_failures, recovered.error_grade) == (0, None)
    assert recovered.next_poll_reason == "publishing rate"


def test_a_broker_that_cannot_take_the_entries_is_not_the_feeds_failure(poller: Poller) -> None:
    """Redis restarting while a poll hands its entries over: the poll goes back to its queue
    (the error goes up to the task) with the feed neither marked failing nor dead-lettered,
    and nothing remembered, so the next poll hands the same entries over."""
    feed = poller.subscribe(poller.web.synthetic_feed_url(7, period=PERIOD))

    def broker_restarting(entries: list[FeedEntry]) -> None:
        raise RedisUnavailable("enqueue", "feed", "broker unavailable: delivery is uncertain")

    handed_over = poller.services.enqueue_entries
    poller.services.enqueue_entries = broker_restarting
    with pytest.raises(RedisUnavailable):
        poller.poll(feed)
    poller.services.enqueue_entries = handed_over

    assert poller.feed(feed).consecutive_failures == 0
    assert poller.services.redis.xlen(poller.services.keys.dead_stream) == 0
    assert poller.poll(feed).status == "polled"
    assert len(poller.enqueued) == 10


def test_a_poll_that_fails_after_its_redelivered_copy_succeeded_leaves_the_feed_as_polled(
    poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker cut off from the network holds a poll task until its fetch times out; the
    task is redelivered meanwhile and polled by another worker. The late failure is the cut
    worker's, not the feed's: no backoff, no dead letter."""
    url = poller.web.synthetic_feed_url(11, period=PERIOD)
    feed = poller.subscribe(url)
    fetch = poller.services.http.fetch

    def fetch_while_cut_off(target: str, **options: Any) -> Any:
        monkeypatch.setattr(poller.services.http, "fetch", fetch)
        assert poller.poll(feed).status == "polled"  # the redelivered copy, on another worker
        raise RetryableError("fetch", target, "timed out after 10s")

    monkeypatch.setattr(poller.services.http, "fetch", fetch_while_cut_off)
    outcome = poller.poll(feed)

    assert outcome.status == "failed"
    assert_polled_without_failure(poller, feed)


def test_a_poll_that_fails_while_its_redelivered_copy_is_fetching_is_dropped(
    poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same, with the cut-off worker's failure recorded first: the copy that started later
    still decides, and the failure neither backs the feed off nor dead-letters it."""
    url = poller.web.synthetic_feed_url(12, period=PERIOD)
    feed = poller.subscribe(url)
    fetch = poller.services.http.fetch
    cut_off_fetching, copy_fetching, cut_off_done = (threading.Event() for _ in range(3))

    def fetch_in_order(target: str, **options: Any) -> Any:
        if not cut_off_fetching.is_set():
            cut_off_fetching.set()
            copy_fetching.wait(10)
            raise RetryableError("fetch", target, "timed out after 10s")
        copy_fetching.set()
        cut_off_done.wait(10)
        return fetch(target, **options)

    monkeypatch.setattr(poller.services.http, "fetch", fetch_in_order)
    outcomes: dict[str, pipeline.PollOutcome] = {}
    cut_off = threading.Thread(target=lambda: outcomes.update(cut_off=poller.poll(feed)))
    cut_off.start()
    assert cut_off_fetching.wait(10)
    copy = threading.Thread(target=lambda: outcomes.update(copy=poller.poll(feed)))
    copy.start()
    cut_off.join(10)
    cut_off_done.set()
    copy.join(10)

    assert (outcomes["cut_off"].status, outcomes["copy"].status) == ("failed", "polled")
    assert_polled_without_failure(poller, feed)


def test_a_poll_superseded_by_a_copy_on_a_host_whose_clock_is_behind_is_dropped(
    poller: Poller, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The redelivered copy starts later on a host whose clock is an hour behind (more than
    the visibility timeout): the copy's start time is the earlier one, and it still decides,
    because Redis numbers the polls of a feed."""
    url = poller.web.synthetic_feed_url(13, period=PERIOD)
    feed = poller.subscribe(url)
    fetch, clock = poller.services.http.fetch, poller.services.clock

    def fetch_while_cut_off(target: str, **options: Any) -> Any:
        monkeypatch.setattr(poller.services.http, "fetch", fetch)
        monkeypatch.setattr(poller.services, "clock", lambda: clock() - timedelta(hours=1))
        assert poller.poll(feed).status == "polled"  # the copy, on the host that is behind
        monkeypatch.setattr(poller.services, "clock", clock)
        raise RetryableError("fetch", target, "timed out after 10s")

    monkeypatch.setattr(poller.services.http, "fetch", fetch_while_cut_off)
    outcome = poller.poll(feed)

    assert outcome.status == "failed"
    assert_polled_without_failure(poller, feed)
    polled_at = poller.feed(feed).last_polled_at  # the copy's start, by its own clock
    assert polled_at is not None and polled_at < clock() - timedelta(minutes=59)


def assert_polled_without_failure(poller: Poller, feed: str) -> None:
    kept = poller.feed(feed)
    assert (kept.last_result, kept.consecutive_failures, kept.error_grade) == ("polled", 0, None)
    assert kept.next_poll_reason == "publishing rate"
    assert poller.services.redis.xlen(poller.services.keys.dead_stream) == 0
    assert poller.services.stats.snapshot()["feeds.superseded"] == 1


def test_a_404_is_a_soft_error_with_its_own_slower_backoff(poller: Poller) -> None:
    feed = poller.subscribe(f"{poller.web.base_url}/synthetic.example/missing.xml")

    poller.poll(feed)

    assert poller.feed(feed).error_grade == "soft"
    assert poller.next_poll_in(feed) == pytest.approx(3600, abs=1)


def test_a_301_moves_the_feed_and_keeps_its_old_url(poller: Poller) -> None:
    old = poller.web.synthetic_feed_url(7)
    new = poller.web.synthetic_feed_url(8)
    feed = poller.subscribe(old)
    poller.web.set_behaviour("synthetic.example/feed/7.xml", status=301, redirect_to=new)

    assert poller.poll(feed).status == "polled"
    moved = poller.feed(feed)
    assert (moved.url, moved.previous_urls) == (new, (old,))

    before = poller.web.hits()["synthetic.example"]
    assert poller.poll(feed).status == "not_modified"
    assert poller.web.hits()["synthetic.example"] == before + 1  # straight to the new URL


def test_a_302_does_not_move_the_feed(poller: Poller) -> None:
    old = poller.web.synthetic_feed_url(9)
    feed = poller.subscribe(old)
    poller.web.set_behaviour(
        "synthetic.example/feed/9.xml", status=302, redirect_to=poller.web.synthetic_feed_url(10)
    )

    assert poller.poll(feed).status == "polled"
    assert (poller.feed(feed).url, poller.feed(feed).previous_urls) == (old, ())


def test_a_sitemap_index_is_polled_as_a_feed_of_its_news_sitemaps(poller: Poller) -> None:
    index = f"{poller.web.base_url}/synthetic.example/sitemap-index.xml?feeds=11,12"
    feed = poller.subscribe(index)

    first = poller.poll(feed)
    poller.web.advance_time(24 * 3600)
    later = poller.poll(feed)

    assert (first.status, first.new_entries) == ("polled", 20)
    assert all(
        (entry.title or "").startswith(("Feed 11 item", "Feed 12 item"))
        for entry in poller.enqueued
    )
    # A day later the sitemaps list newer items (feed 12 ten, feed 11 eight or nine): only
    # those come out, nothing listed before comes again.
    assert later.status == "polled"
    assert 18 <= later.new_entries <= 19
    urls = [entry.url for entry in poller.enqueued]
    assert len(urls) == len(set(urls)) == 20 + later.new_entries


def test_an_entry_without_a_link_is_dead_lettered_once_not_at_every_poll(poller: Poller) -> None:
    path = "synthetic.example/feed/linkless.xml"
    feed = poller.subscribe(f"{poller.web.base_url}/{path}")
    linkless = b'<item><title>No link here</title><guid isPermaLink="false">a-1</guid></item>'
    outcomes = []
    for count in range(3):
        # The feed changes between polls (a new linked item each time), so each poll parses it.
        linked = b"".join(
            b"<item><link>%s/synthetic.example/story/%d</link></item>"
            % (poller.web.base_url.encode(), number)
            for number in range(count)
        )
        poller.web.set_behaviour(
            path,
            body=b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>%s%s'
            b"</channel></rss>" % (linkless, linked),
            content_type="application/rss+xml",
        )
        outcomes.append(poller.poll(feed))

    assert [(o.status, o.new_entries, o.rejected_entries) for o in outcomes] == [
        ("polled", 0, 1),
        ("polled", 1, 0),
        ("polled", 1, 0),
    ]
    dead = poller.services.redis.xrange(poller.services.keys.dead_stream)
    assert [(fields["stage"], fields["reason"]) for _, fields in dead] == [
        ("poll", "entry has no link")
    ]
