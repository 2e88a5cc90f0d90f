"""Consumer groups of a stream: the Redis side of ``worker.consumer`` and ``wirestream groups``.

Every reply is translated here once: entries come back as ``(id, fields)`` pairs, pending
entries as :class:`Pending`, and Redis being unreachable as a RetryableError.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import redis

from worker.adapters.redis_client import RedisClient, redis_errors
from worker.adapters.stream import RawEntry, raw_entries
from worker.errors import ConfigError, RetryableError
from worker.keys import Keys

_ID_HELPERS = """
local function field(reply, name)
  for i = 1, #reply, 2 do
    if reply[i] == name then return reply[i + 1] end
  end
  return nil
end
local function redis7()
  return redis.REDIS_VERSION_NUM ~= nil and redis.REDIS_VERSION_NUM >= 0x070000
end
"""

# Creates the group (ARGV[3] 'create'), or moves an existing one (XGROUP SETID); on Redis 7
# also sets its read counter (entries-read) for the two positions where it is known without
# counting: '$' (every entry ever added is behind it) and '0' (behind it: the entries
# trimmed before, which the group could never read). Redis leaves the counter unknown after
# XGROUP CREATE or SETID, and gap counting needs it.
#   KEYS: stream. ARGV: group, start id, 'create' or 'set'. Returns 0 when the group to
#   create existed, 1 otherwise.
_PLACE_GROUP = (
    _ID_HELPERS
    + """
if ARGV[3] == 'create' then
  local created = redis.pcall('XGROUP', 'CREATE', KEYS[1], ARGV[1], ARGV[2], 'MKSTREAM')
  if type(created) == 'table' and created.err then
    if string.find(created.err, 'BUSYGROUP', 1, true) then return 0 end
    return created
  end
else
  redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], ARGV[2])
end
if redis7() and (ARGV[2] == '$' or ARGV[2] == '0') then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  local added = field(info, 'entries-added')
  local read = added
  if ARGV[2] == '0' then read = added - field(info, 'length') end
  redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], ARGV[2], 'ENTRIESREAD', read)
end
return 1
"""
)

# Finds out whether entries the group had not read were trimmed away. It runs in one
# MULTI with the XREADGROUP that follows it, so no trim can fall between the check and the
# read, and the count is exact. (The entries are not read by the script itself: passing
# them through Lua costs the server a conversion each way.)
#
# How the count is exact (Redis 7): the stream counts every entry ever added
# (entries-added); those no longer in it number entries-added - length (trimmed; the
# articles stream is never XDEL'd). The group counts the entries ever added up to its last
# delivered id (entries-read). When that id is below the first entry still in the stream,
# every entry up to it was trimmed, so the trimmed entries the group never read number
# (entries-added - length) - entries-read. The counter is then set to
# entries-added - length, as if those had been read, so the gap is reported once and the
# next gap is counted from here. Redis < 7 (the embedded server is 6.2) keeps no counters:
# no gap is reported there. A group whose counter Redis does not know (started at an id in
# the middle of the stream, until it catches up) reports no gap either.
#   KEYS: stream. ARGV: group.
#   Returns {gap, last generated id}; gap is {} or {after id, before id, lost}.
_CHECK_GAP = (
    _ID_HELPERS
    + """
local function before(a, b)
  local am, as = string.match(a, '^(%d+)-(%d+)$')
  local bm, bs = string.match(b, '^(%d+)-(%d+)$')
  if tonumber(am) ~= tonumber(bm) then return tonumber(am) < tonumber(bm) end
  return tonumber(as) < tonumber(bs)
end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
local gap = {}
if redis7() and field(info, 'length') > 0 then
  local first = field(info, 'recorded-first-entry-id')
  local trimmed = field(info, 'entries-added') - field(info, 'length')
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', KEYS[1])) do
    if field(group, 'name') == ARGV[1] then
      local last, read = field(group, 'last-delivered-id'), field(group, 'entries-read')
      if read and before(last, first) and trimmed > read then
        gap = {last, first, trimmed - read}
        redis.call('XGROUP', 'SETID', KEYS[1], ARGV[1], last, 'ENTRIESREAD', trimmed)
      end
    end
  end
end
return {gap, field(info, 'last-generated-id')}
"""
)

# A consumer leaves its group only when it holds no pending entry: one that still holds
# some stays listed, so `groups` shows them and another consumer can claim them.
#   KEYS: stream. ARGV: group, consumer. Returns 1 when it was deleted.
_LEAVE = """
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
  return 1
end
return 0
"""

# A consumer whose handler is still at work keeps its entries: each one it still holds is
# claimed again by itself (idle time back to 0; JUSTID leaves the delivery count alone), so
# no other consumer's XAUTOCLAIM takes it. One another consumer took meanwhile is left to it.
#   KEYS: stream. ARGV: group, consumer, ids... Returns how many it still held.
_RENEW = """
local held = 0
for i = 3, #ARGV do
  if #redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[i], ARGV[i], 1, ARGV[2]) == 1 then
    redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[i], 'JUSTID')
    held = held + 1
  end
end
return held
"""


@dataclass(frozen=True)
class Pending:
    stream_id: str
    consumer: str
    idle_ms: int
    deliveries: int


@dataclass(frozen=True)
class NewEntries:
    entries: list[RawEntry]
    gap: tuple[str, str, int] | None  # after id, before id, entries lost
    last_generated_id: str


@dataclass(frozen=True)
class ConsumerInfo:
    name: str
    pending: int
    idle_ms: int


@dataclass(frozen=True)
class GroupInfo:
    name: str
    consumers: list[ConsumerInfo]
    pending: int
    lag: int | None  # entries not yet delivered to the group; None: Redis cannot tell
    last_delivered_id: str
    oldest_pending_id: str | None

    def last_delivered_at(self) -> datetime | None:
        return id_time(self.last_delivered_id) if self.last_delivered_id != "0-0" else None

    def oldest_pending_age(self, now: datetime) -> float | None:
        """Seconds since the oldest unacknowledged entry was appended."""
        if self.oldest_pending_id is None:
            return None
        return max((now - id_time(self.oldest_pending_id)).total_seconds(), 0.0)


def consumer_infos(rows: list[dict[str, Any]]) -> list[ConsumerInfo]:
    """XINFO CONSUMERS' reply."""
    return [ConsumerInfo(str(c["name"]), int(c["pending"]), int(c["idle"])) for c in rows]


def id_time(stream_id: str) -> datetime:
    """A stream entry id starts with the milliseconds of its XADD."""
    return datetime.fromtimestamp(int(stream_id.split("-")[0]) / 1000, UTC)


class GroupStream:
    """One stream as seen by its consumer groups."""

    def __init__(self, client: RedisClient, stream: str) -> None:
        self._redis = client
        self.stream = stream
        self._place = client.register_script(_PLACE_GROUP)
        self._check_gap = client.register_script(_CHECK_GAP)
        self._leave = client.register_script(_LEAVE)
        self._renew = client.register_script(_RENEW)

    def create_group(self, group: str, start_id: str) -> bool:
        """Create ``group`` delivering the entries after ``start_id``; False if it existed."""
        with redis_errors("consume", self.stream), _bad_id(start_id):
            return bool(self._place(keys=[self.stream], args=[group, start_id, "create"]))

    def reset_group(self, group: str, start_id: str) -> None:
        """Move an existing group so that it is next delivered the entries after ``start_id``
        (its pending entries stay pending)."""
        if not self.has_group(group):
            raise ConfigError(f"groups reset: no group {group!r} on {self.stream}")
        with redis_errors("groups", self.stream), _bad_id(start_id):
            self._place(keys=[self.stream], args=[group, start_id, "set"])

    def has_group(self, group: str) -> bool:
        return group in {info["name"] for info in self._groups()}

    def read_new(self, group: str, consumer: str, count: int) -> NewEntries:
        with redis_errors("consume", self.stream):
            # EVALSHA by hand: a pipeline running a Script object asks SCRIPT EXISTS first,
            # one more round trip per batch.
            pipe = self._redis.pipeline(transaction=True)
            pipe.evalsha(self._check_gap.sha, 1, self.stream, group)
            pipe.xreadgroup(group, consumer, {self.stream: ">"}, count=count)
            checked, reply = pipe.execute(raise_on_error=False)
            if isinstance(reply, redis.ResponseError) and "NOGROUP" in str(reply):
                # Redis restarted without persistence: the consumer creates the group again.
                raise RetryableError("consume", self.stream, f"group {group} is gone")
            if isinstance(reply, Exception):
                raise reply
            if isinstance(checked, redis.exceptions.NoScriptError):
                # Redis restarted (or its scripts were flushed): this one read went unchecked.
                self._redis.script_load(_CHECK_GAP)
                checked = [[], "0-0"]
            elif isinstance(checked, Exception):
                raise checked
        gap, last = checked
        return NewEntries(
            entries=raw_entries(reply),
            gap=(str(gap[0]), str(gap[1]), int(gap[2])) if gap else None,
            last_generated_id=str(last),
        )

    def wait_for_new(self, after_id: str, timeout: float) -> None:
        """Return when an entry after ``after_id`` exists, or after ``timeout`` seconds."""
        with redis_errors("consume", self.stream):
            self._redis.xread({self.stream: after_id}, count=1, block=max(int(timeout * 1000), 1))

    def pending(
        self, group: str, *, consumer: str | None = None, count: int, after: str = "-"
    ) -> list[Pending]:
        """Pending entries of the group (or of one consumer), lowest id first."""
        with redis_errors("consume", self.stream):
            rows = self._redis.xpending_range(
                self.stream, group, after, "+", count, consumername=consumer
            )
        return [
            Pending(
                str(row["message_id"]),
                str(row["consumer"]),
                int(row["time_since_delivered"]),
                int(row["times_delivered"]),
            )
            for row in rows
        ]

    def deliveries(self, group: str, ids: Sequence[str]) -> dict[str, int]:
        """How many times each of ``ids`` (pending) was delivered."""
        with redis_errors("consume", self.stream):
            pipe = self._redis.pipeline(transaction=False)
            for entry_id in ids:
                pipe.xpending_range(self.stream, group, entry_id, entry_id, 1)
            replies = pipe.execute()
        return {
            str(row["message_id"]): int(row["times_delivered"]) for rows in replies for row in rows
        }

    def claim(
        self, group: str, consumer: str, ids: Sequence[str], min_idle_ms: int
    ) -> list[RawEntry]:
        """Take over pending entries idle for at least ``min_idle_ms`` (each delivery
        counted); entries trimmed meanwhile are dropped from the pending list by Redis."""
        if not ids:
            return []
        with redis_errors("consume", self.stream):
            reply = cast(
                list[Any], self._redis.xclaim(self.stream, group, consumer, min_idle_ms, list(ids))
            )
        return [(str(entry_id), dict(fields)) for entry_id, fields in reply if fields]

    def consumers(self, group: str) -> list[ConsumerInfo]:
        with redis_errors("consume", self.stream):
            return consumer_infos(self._redis.xinfo_consumers(self.stream, group))

    def take_over(self, group: str, consumer: str, dead: str, count: int = 10_000) -> list[str]:
        """Move the pending entries of consumer ``dead`` to ``consumer`` (their delivery count
        unchanged: it counts when they are delivered); their ids."""
        with redis_errors("consume", self.stream):
            rows = self._redis.xpending_range(self.stream, group, "-", "+", count, dead)
            if not rows:
                return []
            ids: list[Any] = [row["message_id"] for row in rows]
            claimed = self._redis.xclaim(self.stream, group, consumer, 0, ids, justid=True)
        return [str(entry_id) for entry_id in cast(list[Any], claimed)]

    def hand_back(
        self, group: str, consumer: str, deliveries: dict[str, int], *, idle_ms: int
    ) -> None:
        """Leave entries pending as if idle for ``idle_ms`` already, so that the next
        XAUTOCLAIM of any consumer takes them, with their delivery count set back."""
        with redis_errors("consume", self.stream):
            pipe = self._redis.pipeline(transaction=False)
            for entry_id, count in deliveries.items():
                pipe.xclaim(
                    self.stream, group, consumer, 0, [entry_id],
                    idle=idle_ms, retrycount=count, justid=True,
                )  # fmt: skip
            pipe.execute()

    def renew(self, group: str, consumer: str, ids: Sequence[str]) -> int:
        """Reset the idle time of those of ``ids`` that ``consumer`` still holds (their
        delivery count unchanged); returns how many it still holds."""
        if not ids:
            return 0
        with redis_errors("consume", self.stream):
            return int(self._renew(keys=[self.stream], args=[group, consumer, *ids]))

    def autoclaim(
        self, group: str, consumer: str, min_idle_ms: int, cursor: str, count: int
    ) -> tuple[str, list[RawEntry], list[str]]:
        """XAUTOCLAIM: the next cursor, the entries claimed, the ids found trimmed."""
        with redis_errors("consume", self.stream):
            reply: list[Any] = self._redis.xautoclaim(
                self.stream, group, consumer, min_idle_ms, cursor, count=count
            )
        deleted = [str(entry_id) for entry_id in reply[2]] if len(reply) > 2 else []
        claimed = [(str(entry_id), dict(fields)) for entry_id, fields in reply[1] if fields]
        return str(reply[0]), claimed, deleted

    def ack(self, group: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        with redis_errors("consume", self.stream):
            self._redis.xack(self.stream, group, *ids)

    def dead_letter(
        self,
        group: str,
        dead_stream: str,
        letters: Sequence[dict[str, str]],
        maxlen: int,
        *,
        sent_back: tuple[SentBackEntries, Sequence[str]] | None = None,
    ) -> None:
        """Append each letter (it names its ``stream_id``) to the group's dead-letter stream
        and ack its entry (or remove it from the entries ``sent_back``, those it names), in
        one transaction: an entry is in one place or the other."""
        if not letters:
            return
        with redis_errors("consume", dead_stream):
            pipe = self._redis.pipeline(transaction=True)
            for letter in letters:
                pipe.xadd(dead_stream, letter, maxlen=maxlen, approximate=True)  # type: ignore[arg-type]
            pipe.xack(self.stream, group, *(letter["stream_id"] for letter in letters))
            if sent_back is not None:
                entries, stream_ids = sent_back
                entries.queue_finish(pipe, stream_ids)
            pipe.execute()

    def leave(self, group: str, consumer: str) -> bool:
        with redis_errors("consume", self.stream):
            return bool(self._leave(keys=[self.stream], args=[group, consumer]))

    def groups(self) -> list[GroupInfo]:
        """Every group of the stream with its consumers, pending entries and lag."""
        infos = self._groups()
        with redis_errors("groups", self.stream):
            pipe = self._redis.pipeline(transaction=False)
            for info in infos:
                pipe.xinfo_consumers(self.stream, info["name"])
                pipe.xpending(self.stream, info["name"])
            replies = pipe.execute()
        result = []
        for index, info in enumerate(infos):
            consumers, pending = replies[2 * index], replies[2 * index + 1]
            lag = info.get("lag")
            result.append(
                GroupInfo(
                    name=str(info["name"]),
                    consumers=consumer_infos(consumers),
                    pending=int(info["pending"]),
                    lag=int(lag) if lag is not None else None,
                    last_delivered_id=str(info["last-delivered-id"]),
                    oldest_pending_id=str(pending["min"]) if pending["pending"] else None,
                )
            )
        return result

    def _groups(self) -> list[dict[str, Any]]:
        with redis_errors("groups", self.stream):
            try:
                groups: list[dict[str, Any]] = self._redis.xinfo_groups(self.stream)
                return groups
            except redis.ResponseError as error:
                if "no such key" in str(error).lower():
                    return []
                raise


# Lua's view of Redis's clock in milliseconds: every consumer host agrees on due times.
_NOW_MS = """
local clock = redis.call('TIME')
local now_ms = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

# The sent-back entries that are due, each leased to the caller for ARGV[1] ms and counted
# as one more delivery. An id whose entry is gone (finished meanwhile) is dropped.
#   KEYS: due ZSET, entries HASH. ARGV: lease ms, count.
#   Returns {stream id, entry JSON, deliveries, ...}.
_TAKE_SENT_BACK = (
    _NOW_MS
    + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now_ms, 'LIMIT', 0, tonumber(ARGV[2]))
local taken = {}
for _, id in ipairs(ids) do
  local entry = redis.call('HGET', KEYS[2], 'e:' .. id)
  if entry then
    redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[1]), id)
    taken[#taken + 1] = id
    taken[#taken + 1] = entry
    taken[#taken + 1] = redis.call('HINCRBY', KEYS[2], 'n:' .. id, 1)
  else
    redis.call('ZREM', KEYS[1], id)
  end
end
return taken
"""
)

# Sent-back entries due again later: their lease renewed, after a failure (ARGV[1] '0'),
# or handed back by a consumer that stopped (ARGV[1] '1': that delivery is not counted).
# Only those still held by the caller: their delivery count is still the one it took them
# at (another consumer that took one since, its lease run out, counted one more).
#   KEYS: due ZSET, entries HASH. ARGV: hand back, then (stream id, delay ms, count) triples.
#   Returns how many were still held.
_DELAY_SENT_BACK = (
    _NOW_MS
    + """
local held = 0
for i = 2, #ARGV, 3 do
  if redis.call('HGET', KEYS[2], 'n:' .. ARGV[i]) == ARGV[i + 2] then
    redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[i + 1]), ARGV[i])
    if ARGV[1] == '1' then redis.call('HINCRBY', KEYS[2], 'n:' .. ARGV[i], -1) end
    held = held + 1
  end
end
return held
"""
)


@dataclass(frozen=True)
class SentBack:
    """A dead letter sent back to its group, as a consumer takes it."""

    stream_id: str
    entry_json: str
    deliveries: int


class SentBackEntries:
    """One group's dead letters that an operator sent back to it (``groups dead retry``).

    A stream entry a group has acknowledged cannot be made pending again, so they wait here,
    beside the stream and in its slot: an entry JSON per stream id and a due time. A
    consumer takes the due ones under a lease of ``min_idle`` (a consumer that dies holding
    them leaves them to the next one once it ends), and removes each when it was handled or
    dead-lettered again."""

    def __init__(self, client: RedisClient, keys: Keys, group: str) -> None:
        self._redis = client
        self.dead_stream = keys.group_dead_stream(group)
        self.due = keys.group_sent_back_due(group)
        self.entries = keys.group_sent_back(group)
        self._take = client.register_script(_TAKE_SENT_BACK)
        self._delay = client.register_script(_DELAY_SENT_BACK)

    def letters(self, letter_ids: Sequence[str] | None = None) -> list[RawEntry]:
        """The group's dead letters, oldest first (``letter_ids``: those of them)."""
        with redis_errors("groups", self.dead_stream):
            if letter_ids is None:
                return raw_entries([[self.dead_stream, self._redis.xrange(self.dead_stream)]])
            pipe = self._redis.pipeline(transaction=False)
            for letter_id in letter_ids:
                pipe.xrange(self.dead_stream, letter_id, letter_id)
            replies = pipe.execute()
        return raw_entries([[self.dead_stream, [row for rows in replies for row in rows]]])

    def send_back(self, letters: Sequence[tuple[str, str, str]]) -> None:
        """Each ``(letter id, stream id, entry JSON)``: its entry due at once, its letter
        removed, in one transaction: a letter is in one place or the other."""
        if not letters:
            return
        with redis_errors("groups", self.entries):
            pipe = self._redis.pipeline(transaction=True)
            for letter_id, stream_id, entry_json in letters:
                pipe.hset(self.entries, mapping={f"e:{stream_id}": entry_json, f"n:{stream_id}": 0})
                pipe.zadd(self.due, {stream_id: 0})
                pipe.xdel(self.dead_stream, letter_id)
            pipe.execute()

    def take(self, count: int, *, lease_ms: int) -> list[SentBack]:
        with redis_errors("consume", self.entries):
            reply = self._take(keys=[self.due, self.entries], args=[lease_ms, count])
        return [
            SentBack(str(reply[i]), str(reply[i + 1]), int(reply[i + 2]))
            for i in range(0, len(reply), 3)
        ]

    def delay(
        self, taken: Mapping[str, int], delays_ms: Mapping[str, int], *, handed_back: bool = False
    ) -> int:
        """Each entry of ``delays_ms`` due again after its delay, if the caller still holds
        it: ``taken`` gives each one's delivery count when the caller took it. Returns how
        many it still held."""
        if not delays_ms:
            return 0
        triples = [
            value
            for stream_id, ms in delays_ms.items()
            for value in (stream_id, ms, taken[stream_id])
        ]
        with redis_errors("consume", self.entries):
            return int(
                self._delay(
                    keys=[self.due, self.entries], args=["1" if handed_back else "0", *triples]
                )
            )

    def finish(self, stream_ids: Sequence[str]) -> None:
        """Remove handled entries."""
        if not stream_ids:
            return
        with redis_errors("consume", self.entries):
            transaction = self._redis.pipeline(transaction=True)
            self.queue_finish(transaction, stream_ids)
            transaction.execute()

    def queue_finish(self, pipe: Any, stream_ids: Sequence[str]) -> None:
        """The removal of ``stream_ids``, queued on the caller's transaction (a dead letter
        written again goes with it)."""
        if stream_ids:
            pipe.zrem(self.due, *stream_ids)
            pipe.hdel(self.entries, *(f"{k}:{i}" for i in stream_ids for k in ("e", "n")))

    def count(self) -> int:
        with redis_errors("groups", self.entries):
            return int(self._redis.zcard(self.due))


@contextmanager
def _bad_id(stream_id: str) -> Iterator[None]:
    """An id Redis refuses (malformed) is a bad argument, not a failure."""
    try:
        yield
    except redis.ResponseError as error:
        if "Invalid stream ID" not in str(error):
            raise
        raise ConfigError(f"consume: {stream_id!r} is not a stream id") from None
