"""Feed list, due schedule, seen entries and counters in Redis."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Literal, cast

from worker.adapters.redis_client import RedisClient, get_values, redis_errors
from worker.keys import Keys
from worker.models import Feed, utc_iso

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

# Records a poll's outcome in one round trip, unless the feed was removed meanwhile (0) or a
# poll of it started later than this one (-1): HSET then ZADD, both O(log n) at most,
# whatever the number of feeds. Times are compared as utc_iso writes them, with the fraction
# of a second made explicit.
_SAVE = """
local function instant(iso)
  if type(iso) ~= 'string' then
    return ''
  end
  if string.len(iso) == 20 then
    return string.sub(iso, 1, 19) .. '.000000Z'
  end
  return iso
end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then
  return 0
end
if instant(redis.call('HGET', KEYS[3], ARGV[1])) > instant(ARGV[4]) then
  return -1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[3], ARGV[1])
return 1
"""

SaveResult = Literal["saved", "removed", "superseded"]
_SAVE_RESULTS: dict[int, SaveResult] = {1: "saved", 0: "removed", -1: "superseded"}


class FeedStore:
    def __init__(self, client: RedisClient, keys: Keys) -> None:
        self._redis = client
        self._keys = keys
        self._claim_due = client.register_script(_CLAIM_DUE)
        self._save = client.register_script(_SAVE)

    def add(self, feed: Feed, *, poll_at: datetime) -> bool:
        """Store a feed; an existing one keeps its polling state. True if it is new."""
        with redis_errors("feeds", feed.url):
            current = self.get(feed.id)
            if current is not None:
                feed = current.with_changes(
                    title=feed.title or current.title,
                    tags=feed.tags,
                    min_interval=feed.min_interval,
                    max_interval=feed.max_interval,
                )
            pipe = self._redis.pipeline()
            pipe.hset(self._keys.feeds, feed.id, json.dumps(feed.to_payload()))
            pipe.zadd(self._keys.due, {feed.id: poll_at.timestamp()}, nx=True)
            pipe.execute()
        return current is None

    def get(self, feed_id: str) -> Feed | None:
        with redis_errors("feeds", feed_id):
            raw = self._redis.hget(self._keys.feeds, feed_id)
        return Feed.from_payload(json.loads(raw)) if raw else None

    def start_poll(self, feed_id: str, started_at: datetime) -> Feed | None:
        """The feed, read for a poll that starts now; the start is recorded in the same
        round trip, so that an older poll of the feed still running finds itself superseded
        when it tries to record its outcome (``save``)."""
        with redis_errors("feeds", feed_id):
            pipe = self._redis.pipeline(transaction=False)
            pipe.hget(self._keys.feeds, feed_id)
            pipe.hset(self._keys.poll_starts, feed_id, utc_iso(started_at) or "")
            raw, _ = pipe.execute()
            if not raw:
                self._redis.hdel(self._keys.poll_starts, feed_id)
                return None
        return Feed.from_payload(json.loads(raw))

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
            pipe.hdel(self._keys.poll_starts, feed_id)
            removed, _, _ = pipe.execute()
        return bool(removed)

    def save(self, feed: Feed, *, next_poll_at: datetime) -> SaveResult:
        """Record a poll's outcome and when the feed is next due, unless another poll of the
        feed started after this one (``last_polled_at``, when this poll started). A poll task
        runs twice when it is redelivered while the worker that held it is cut off; that
        worker's fetch times out, and recorded, its failure (its own lost network) would back
        the feed off for minutes, whichever copy finished first. A removed feed stays
        removed."""
        with redis_errors("feeds", feed.url):
            result = self._save(
                keys=[self._keys.feeds, self._keys.due, self._keys.poll_starts],
                args=[
                    feed.id,
                    json.dumps(feed.to_payload()),
                    next_poll_at.timestamp(),
                    utc_iso(feed.last_polled_at) or "",
                ],
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
