"""Feed list, due schedule and seen entries against a real Redis."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import redis

from worker.adapters.store import FeedStore, SeenStore, StartedPoll, Stats
from worker.keys import Keys
from worker.models import Feed

# Dated from today, not a fixed day: the publish script sets absolute expiries (EXPIREAT),
# so a fixed date slides out of every window as the calendar moves on.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)


def feed(n: int, **changes: object) -> Feed:
    base = Feed(id=f"feed{n}", url=f"https://outlet{n}.example/rss", title=f"Outlet {n}")
    return base.with_changes(**changes) if changes else base


def polling(store: FeedStore) -> StartedPoll:
    """feed1, added and with a poll started."""
    store.add(feed(1), poll_at=NOW)
    started = store.start_poll("feed1")
    assert started is not None
    return started


def test_adding_a_known_feed_keeps_its_polling_state(redis_client: redis.Redis, keys: Keys) -> None:
    store = FeedStore(redis_client, keys)
    assert store.add(feed(1), poll_at=NOW) is True
    started = store.start_poll("feed1")
    assert started is not None
    polled = started.feed.with_changes(etag='"v1"', consecutive_failures=2)
    assert store.save(polled, poll=started.number, next_poll_at=NOW) == "saved"
    assert store.add(feed(1, title="Renamed", tags=("world",)), poll_at=NOW) is False
    stored = store.get("feed1")
    assert stored is not None
    assert (stored.title, stored.tags, stored.etag, stored.consecutive_failures) == (
        "Renamed",
        ("world",),
        '"v1"',
        2,
    )


def test_a_feed_changed_during_its_poll_keeps_the_change_and_the_poll_is_not_recorded(
    redis_client: redis.Redis, keys: Keys
) -> None:
    """The running poll read the old subscription: recorded, it would write it back."""
    store = FeedStore(redis_client, keys)
    running = polling(store)

    store.add(feed(1, tags=("world",)), poll_at=NOW)
    polled = running.feed.with_changes(etag='"v2"')

    assert store.save(polled, poll=running.number, next_poll_at=NOW) == "superseded"
    stored = store.get("feed1")
    assert stored is not None and (stored.tags, stored.etag) == (("world",), None)
    following = store.start_poll("feed1")
    assert following is not None
    polled_again = following.feed.with_changes(etag='"v3"')
    assert store.save(polled_again, poll=following.number, next_poll_at=NOW) == "saved"
    stored = store.get("feed1")
    assert stored is not None and (stored.tags, stored.etag) == (("world",), '"v3"')


def test_claim_due_hands_each_due_feed_out_once_until_its_lease_ends(
    redis_client: redis.Redis, keys: Keys
) -> None:
    store = FeedStore(redis_client, keys)
    store.add(feed(1), poll_at=NOW - timedelta(seconds=5))
    store.add(feed(2), poll_at=NOW)
    store.add(feed(3), poll_at=NOW + timedelta(hours=1))

    assert sorted(store.claim_due(NOW, lease_seconds=60, limit=10)) == ["feed1", "feed2"]
    assert store.claim_due(NOW + timedelta(seconds=30), lease_seconds=60, limit=10) == []
    later = NOW + timedelta(seconds=61)
    assert sorted(store.claim_due(later, lease_seconds=60, limit=10)) == ["feed1", "feed2"]


def test_claim_due_respects_the_batch_limit(redis_client: redis.Redis, keys: Keys) -> None:
    store = FeedStore(redis_client, keys)
    for n in range(5):
        store.add(feed(n), poll_at=NOW)
    first = store.claim_due(NOW, lease_seconds=60, limit=3)
    second = store.claim_due(NOW, lease_seconds=60, limit=3)
    assert len(first) == 3
    assert len(second) == 2
    assert not set(first) & set(second)


def test_saving_a_removed_feed_does_not_bring_it_back(
    redis_client: redis.Redis, keys: Keys
) -> None:
    store = FeedStore(redis_client, keys)
    started = polling(store)
    assert store.remove("feed1") is True
    assert store.save(started.feed, poll=started.number, next_poll_at=NOW) == "removed"
    assert store.get("feed1") is None
    assert store.due_times() == {}
    assert store.remove("feed1") is False


def test_a_poll_that_started_before_another_poll_of_the_feed_is_not_recorded(
    redis_client: redis.Redis, keys: Keys
) -> None:
    """Two copies of one poll task (the first worker cut off, the task redelivered): the copy
    that started first is stale, whether it finishes before the other or after."""
    store = FeedStore(redis_client, keys)
    store.add(feed(1), poll_at=NOW)
    stale = store.start_poll("feed1")
    fresh = store.start_poll("feed1")
    assert stale is not None and fresh is not None
    failed = stale.feed.with_changes(last_polled_at=NOW, last_result="failed")
    polled = fresh.feed.with_changes(last_polled_at=NOW, last_result="polled")
    next_poll = NOW + timedelta(seconds=10)

    assert store.save(failed, poll=stale.number, next_poll_at=NOW + timedelta(hours=1)) == (
        "superseded"
    )
    assert store.save(polled, poll=fresh.number, next_poll_at=next_poll) == "saved"
    assert store.save(failed, poll=stale.number, next_poll_at=NOW + timedelta(hours=1)) == (
        "superseded"
    )

    stored = store.get("feed1")
    assert stored is not None and stored.last_result == "polled"
    assert store.due_times()["feed1"] == next_poll
    following = store.start_poll("feed1")
    assert following is not None
    assert store.save(following.feed, poll=following.number, next_poll_at=next_poll) == "saved"


def test_a_poll_of_a_feed_removed_and_added_again_is_not_recorded(
    redis_client: redis.Redis, keys: Keys
) -> None:
    """The poll read the old subscription: whether or not the new one was polled since, its
    outcome is dropped, and the new subscription's polls are recorded."""
    store = FeedStore(redis_client, keys)
    store.add(feed(1), poll_at=NOW)
    old = store.start_poll("feed1")
    assert old is not None
    store.remove("feed1")
    store.add(feed(1, tags=("world",)), poll_at=NOW)
    assert store.save(old.feed, poll=old.number, next_poll_at=NOW) == "superseded"

    new = store.start_poll("feed1")
    assert new is not None
    assert store.save(old.feed, poll=old.number, next_poll_at=NOW) == "superseded"
    assert store.save(new.feed, poll=new.number, next_poll_at=NOW) == "saved"
    stored = store.get("feed1")
    assert stored is not None and stored.tags == ("world",)


def test_a_removed_feed_is_not_started_and_gets_no_poll_number(
    redis_client: redis.Redis, keys: Keys
) -> None:
    store = FeedStore(redis_client, keys)
    assert store.start_poll("feed1") is None
    assert redis_client.hlen(keys.poll_numbers) == 0
    store.add(feed(1), poll_at=NOW)
    assert store.start_poll("feed1") is not None
    store.remove("feed1")
    assert redis_client.hlen(keys.poll_numbers) == 0


def test_seen_store_remembers_a_group_by_any_of_its_keys_with_its_version(
    redis_client: redis.Redis, keys: Keys
) -> None:
    seen = SeenStore(redis_client, keys, ttl_seconds=60)
    seen.remember([("url:a", "2026-11-30T08:00:00Z"), ("guid:f:1", "-")])
    assert seen.remembered([["url:a"], ["url:b", "guid:f:1"], ["url:c", "guid:f:2"], []]) == [
        "2026-11-30T08:00:00Z",
        "-",
        None,
        None,
    ]
    assert 0 < redis_client.ttl(keys.seen_entry("url:a")) <= 60


def test_stats_count_and_snapshot(redis_client: redis.Redis, keys: Keys) -> None:
    stats = Stats(redis_client, keys)
    stats.add("feeds.polled")
    stats.add("feeds.polled", 2)
    assert stats.snapshot() == {"feeds.polled": 3}


def test_concurrent_schedulers_never_claim_a_feed_twice_for_one_due_time(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    store = FeedStore(redis_client, keys)
    for n in range(400):
        store.add(feed(n), poll_at=NOW - timedelta(seconds=n % 7))
    claimed: list[list[str]] = [[] for _ in range(6)]
    start = threading.Barrier(len(claimed))

    def scheduler(mine: list[str]) -> None:
        own = FeedStore(redis.Redis.from_url(redis_url, decode_responses=True), keys)
        start.wait()
        while batch := own.claim_due(NOW, lease_seconds=300, limit=7):
            mine.extend(batch)

    threads = [threading.Thread(target=scheduler, args=(mine,)) for mine in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [feed_id for mine in claimed for feed_id in mine]
    assert sorted(everything) == sorted(f"feed{n}" for n in range(400))
    assert sum(1 for mine in claimed if mine) > 1  # they really did compete
