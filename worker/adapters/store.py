"""Feed list, due schedule, seen entries and counters in Redis."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from worker.adapters.redis_client import RedisClient, redis_errors
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


class FeedStore:
    def __init__(self, client: RedisClient, keys: Keys) -> None:
        self._redis = client
        self._keys = keys
        self._claim_due = client.register_script(_CLAIM_DUE)

    def add(self, feed: Feed, *, poll_at: datetime) -> bool:
        """Store a feed; an existing one keeps its polling state. True if it is new."""
        with redis_errors("feeds", feed.url):
            current = self.get(feed.id)
            if current is not None:
                feed = current.with_changes(title=feed.title or current.title, tags=feed.tags)
            pipe = self._redis.pipeline()
            pipe.hset(self._keys.feeds, feed.id, json.dumps(feed.to_payload()))
            pipe.zadd(self._keys.due, {feed.id: poll_at.timestamp()}, nx=True)
            pipe.execute()
        return current is None

    def get(self, feed_id: str) -> Feed | None:
        with redis_errors("feeds", feed_id):
            raw = self._redis.hget(self._keys.feeds, feed_id)
        return Feed.from_payload(json.loads(raw)) if raw else None

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
            removed, _ = pipe.execute()
        return bool(removed)

    def save(self, feed: Feed, *, next_poll_at: datetime) -> None:
        """Record a poll's outcome and when the feed is next due; a removed feed stays removed."""
        with redis_errors("feeds", feed.url):
            if not self._redis.hexists(self._keys.feeds, feed.id):
                return
            pipe = self._redis.pipeline()
            pipe.hset(self._keys.feeds, feed.id, json.dumps(feed.to_payload()))
            pipe.zadd(self._keys.due, {feed.id: next_poll_at.timestamp()}, xx=True)
            pipe.execute()

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

    def due_times(self) -> dict[str, datetime]:
        with redis_errors("schedule", self._keys.due):
            scored = cast(list[Any], self._redis.zrange(self._keys.due, 0, -1, withscores=True))
        return {str(feed_id): datetime.fromtimestamp(score, UTC) for feed_id, score in scored}

    def due_count(self, now: datetime) -> int:
        with redis_errors("schedule", self._keys.due):
            return int(self._redis.zcount(self._keys.due, "-inf", now.timestamp()))


class SeenStore:
    """Which feed entries were already handed to the article workers."""

    def __init__(self, client: RedisClient, keys: Keys, *, ttl_seconds: int) -> None:
        self._redis = client
        self._keys = keys
        self._ttl = ttl_seconds

    def unseen(self, key_groups: Sequence[Sequence[str]]) -> list[bool]:
        """For each group of keys, True when none of them has been seen."""
        flat = [key for group in key_groups for key in group]
        if not flat:
            return []
        with redis_errors("poll", self._keys.seen_entry("*")):
            pipe = self._redis.pipeline(transaction=False)
            for key in flat:
                pipe.exists(self._keys.seen_entry(key))
            found = iter(pipe.execute())
        return [not any(next(found) for _ in group) for group in key_groups]

    def mark(self, keys: Iterable[str]) -> None:
        with redis_errors("poll", self._keys.seen_entry("*")):
            pipe = self._redis.pipeline(transaction=False)
            for key in keys:
                pipe.set(self._keys.seen_entry(key), 1, ex=self._ttl)
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
