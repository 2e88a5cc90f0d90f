"""Feed list, due schedule, seen entries and counters in Redis."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from redis.client import Pipeline

from worker.adapters.redis_client import RedisClient, get_values, redis_errors
from worker.keys import Keys
from worker.models import Feed

# Hands out the feeds whose time has come and pushes each one's score to the end of its
# lease in the same step, so two beat ticks (or two beats) never enqueue one feed twice,
# and a poll task that is lost only delays its feed by the lease.
_CLAIM_DUE = """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do
  redis.call('ZADD', KEYS[1], 'XX', ARGV[2], id)
end
return ids
"""

# Reads a feed for a poll and gives the poll a number, in one round trip: the order of a
# feed's polls comes from Redis, not from the clocks of the hosts that run them. Numbers come
# from one counter for every feed, so a feed removed and added again never hands a number out
# twice. A removed feed gets none.
_START_POLL = """
local feed = redis.call('HGET', KEYS[1], ARGV[1])
if not feed then
  return false
end
local number = redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], ARGV[1], number)
return {feed, number}
"""

# Records a poll's outcome in one round trip, unless the feed was removed meanwhile (0) or
# another poll of it started after this one (-1: the feed's latest poll number is not this
# poll's, or is gone because the feed was removed and added again): HSET then ZADD, both
# O(log n) at most, whatever the number of feeds.
_SAVE = """
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[4] then
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
return 1
"""

SaveResult = Literal["saved", "removed", "superseded"]
_SAVE_RESULTS: dict[int, SaveResult] = {1: "saved", 0: "removed", -1: "superseded"}


@dataclass(frozen=True)
class StartedPoll:
    """A feed as read for a poll, and the poll's number (one counter in Redis numbers every
    poll): ``save`` records the poll's outcome only while no later poll of the feed started."""

    feed: Feed
    number: int


class FeedStore:
    def __init__(self, client: RedisClient, keys: Keys) -> None:
        self._redis = client
        self._keys = keys
        self._claim_due = client.register_script(_CLAIM_DUE)
        self._start_poll = client.register_script(_START_POLL)
        self._save = client.register_script(_SAVE)

    def add(self, feed: Feed, *, poll_at: datetime) -> bool:
        """Store a feed; an existing one keeps its polling state. True if it is new.

        A poll of an existing feed running meanwhile is superseded (``save`` does not record
        it; the feed is polled again when due): recorded, it would write back the subscription
        it had read, undoing this change. The read and the write are one transaction, retried
        if a poll's outcome was saved in between, so neither undoes the other."""
        added: list[bool] = []

        def update(pipe: Pipeline) -> None:
            raw = pipe.hget(self._keys.feeds, feed.id)
            current = Feed.from_payload(json.loads(raw)) if raw else None
            stored = (
                feed
                if current is None
                else current.with_changes(
                    title=feed.title or current.title,
                    tags=feed.tags,
                    min_interval=feed.min_interval,
                    max_interval=feed.max_interval,
                )
            )
            pipe.multi()
            pipe.hset(self._keys.feeds, feed.id, json.dumps(stored.to_payload()))
            pipe.zadd(self._keys.due, {feed.id: poll_at.timestamp()}, nx=True)
            if current is not None:
                pipe.hdel(self._keys.poll_numbers, feed.id)
            added[:] = [current is None]

        with redis_errors("feeds", feed.url):
            self._redis.transaction(update, self._keys.feeds)
        return added[0]

    def get(self, feed_id: str) -> Feed | None:
        with redis_errors("feeds", feed_id):
            raw = self._redis.hget(self._keys.feeds, feed_id)
        return Feed.from_payload(json.loads(raw)) if raw else None

    def start_poll(self, feed_id: str) -> StartedPoll | None:
        """The feed, read for a poll that starts now, with the poll's number (``None``: the
        feed was removed). An older poll of the feed still running finds itself superseded
        when it tries to record its outcome (``save``)."""
        with redis_errors("feeds", feed_id):
            started = self._start_poll(
                keys=[self._keys.feeds, self._keys.poll_numbers, self._keys.poll_counter],
                args=[feed_id],
            )
        if started is None:
            return None
        raw, number = started
        return StartedPoll(Feed.from_payload(json.loads(raw)), int(number))

    def all(self) -> list[Feed]:
        with redis_errors("feeds", self._keys.feeds):
            raw = self._redis.hgetall(self._keys.feeds)
        feeds = [Feed.from_payload(json.loads(value)) for value in raw.values()]
        return sorted(feeds, key=lambda feed: feed.url)

    def remove(self, feed_id: str) -> bool:
        with redis_errors("feeds", feed_id):
            pipe = self._redis.pipeline()
            pipe.hdel(self._keys.feeds, feed_id)
            pipe.zrem(self._keys.due, feed_id)
            # A poll of the feed still running finds no number of its own if the feed is added
            # again: superseded.
            pipe.hdel(self._keys.poll_numbers, feed_id)
            removed, _, _ = pipe.execute()
        return bool(removed)

    def save(self, feed: Feed, *, poll: int, next_poll_at: datetime) -> SaveResult:
        """Record the outcome of poll number ``poll`` (``start_poll``) and when the feed is
        next due, unless another poll of the feed started after this one. A poll task runs
        twice when it is redelivered while the worker that held it is cut off; that worker's
        fetch times out, and recorded, its failure (its own lost network) would back the feed
        off for minutes, whichever copy finished first. A removed feed stays removed."""
        with redis_errors("feeds", feed.url):
            result = self._save(
                keys=[self._keys.feeds, self._keys.due, self._keys.poll_numbers],
                args=[feed.id, json.dumps(feed.to_payload()), next_poll_at.timestamp(), poll],
            )
        return _SAVE_RESULTS[int(result)]

    def postpone(self, feed_id: str, *, until: datetime) -> None:
        """Move a subscribed feed's next poll, its state untouched (its host asked us to wait)."""
        with redis_errors("schedule", feed_id):
            self._redis.zadd(self._keys.due, {feed_id: until.timestamp()}, xx=True)

    def claim_due(self, now: datetime, *, lease_seconds: float, limit: int) -> list[str]:
        with redis_errors("schedule", self._keys.due):
            ids = self._claim_due(
                keys=[self._keys.due],
                args=[now.timestamp(), now.timestamp() + lease_seconds, limit],
            )
        return [str(feed_id) for feed_id in ids]

    def urls(self, feed_ids: Sequence[str]) -> dict[str, str]:
        """Feed id -> URL for those of ``feed_ids`` still subscribed, in one round trip."""
        if not feed_ids:
            return {}
        with redis_errors("feeds", self._keys.feeds):
            raw = self._redis.hmget(self._keys.feeds, list(feed_ids))
        return {
            feed_id: str(json.loads(value)["url"])
            for feed_id, value in zip(feed_ids, raw, strict=True)
            if value
        }

    def due_times(self) -> dict[str, datetime]:
        with redis_errors("schedule", self._keys.due):
            scored = cast(list[Any], self._redis.zrange(self._keys.due, 0, -1, withscores=True))
        return {str(feed_id): datetime.fromtimestamp(score, UTC) for feed_id, score in scored}


class SeenStore:
    """Which feed entries were already handed to the article workers."""

    def __init__(self, client: RedisClient, keys: Keys, *, ttl_seconds: int) -> None:
        self._redis = client
        self._keys = keys
        self._ttl = ttl_seconds

    def remembered(self, key_groups: Sequence[Sequence[str]]) -> list[str | None]:
        """For each group of keys, what the first one seen remembers (the entry's version)."""
        flat = [self._keys.seen_entry(key) for group in key_groups for key in group]
        if not flat:
            return [None for _ in key_groups]
        with redis_errors("poll", self._keys.seen_entry("*")):
            found = iter(get_values(self._redis, flat))
        remembered: list[str | None] = []
        for group in key_groups:
            values = [next(found) for _ in group]
            remembered.append(next((str(value) for value in values if value is not None), None))
        return remembered

    def remember(self, versions: Iterable[tuple[str, str]]) -> None:
        """Mark keys seen with the version they stand for, for another full window."""
        with redis_errors("poll", self._keys.seen_entry("*")):
            pipe = self._redis.pipeline(transaction=False)
            for key, version in versions:
                pipe.set(self._keys.seen_entry(key), version, ex=self._ttl)
            pipe.execute()


class Stats:
    """Monotonic counters: run summaries and status read them."""

    def __init__(self, client: RedisClient, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def add(self, name: str, amount: int = 1) -> None:
        with redis_errors("stats", name):
            self._redis.hincrby(self._keys.stats, name, amount)

    def snapshot(self) -> dict[str, int]:
        with redis_errors("stats", self._keys.stats):
            raw = self._redis.hgetall(self._keys.stats)
        return {str(name): int(value) for name, value in raw.items()}
