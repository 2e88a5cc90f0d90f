"""Reading the article stream as a consumer group: ack after handling, reclaim, gaps, replay.

::

    from worker.consumer import Consumer, StreamEntry

    def handle(entry: StreamEntry) -> None:
        print(entry.stream_id, entry.event, entry.data["title"])

    with Consumer.connect("my-app") as consumer:  # settings as every command resolves them
        consumer.run(handle)

Guarantees (docs/consume.md has the whole story):

- at least once: an entry is acknowledged only after its handler returned; a handler that
  raises leaves it pending, and it is delivered again after a backoff; after
  ``max_deliveries`` it goes to the group's dead-letter stream with the error and is acked;
- on start, a consumer first takes its own pending entries, then the pending entries of
  consumers idle for ``min_idle`` seconds (XAUTOCLAIM), then new ones; while its handler
  works on a batch, however long, it renews the batch so that no other consumer claims it;
- a consumer that stops deletes itself from the group only when it holds no pending entry;
- SIGTERM or SIGINT finishes the batch in hand, acknowledges it, then stops;
- entries a group had not read that were trimmed away are reported once (a log line and
  ``on_gap``) with the exact number lost and between which ids.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache, cached_property
from importlib.resources import files
from types import FrameType
from typing import Any

from jsonschema import Draft202012Validator

from worker.adapters.groups import GroupStream, SentBack, SentBackEntries
from worker.adapters.redis_client import RedisClient, disconnect
from worker.errors import RetryableError
from worker.keys import Keys
from worker.logs import get_logger
from worker.models import utc_iso
from worker.runtime import redis_for
from worker.settings import Settings, load_settings

SCHEMA = "wirestream.article/1"
"""The one entry schema this consumer understands; another raises :class:`EntryError`."""
# How bytes that are not UTF-8 come out of a client decoding with "surrogateescape".
_NOT_UTF8 = re.compile("[\udc80-\udcff]")


@dataclass(frozen=True)
class StreamEntry:
    """One delivered entry of the article stream.

    ``fields`` are the entry's flat fields as published (``schema``, ``event``,
    ``revision``, ``id``, ``url``, ``feed``, ``lang``, ``cluster``, maybe ``duplicate_of``,
    ``data`` as JSON text).
    ``data`` is parsed on first use, so a handler that filters on the flat fields pays
    nothing for the article body."""

    stream_id: str
    fields: Mapping[str, str]
    deliveries: int = 1
    """How many times the group delivered this entry, this delivery included."""

    @property
    def event(self) -> str:
        return self.fields.get("event", "")

    @property
    def article_id(self) -> str:
        return self.fields.get("id", "")

    @property
    def cluster(self) -> str:
        return self.fields.get("cluster", "")

    @property
    def schema(self) -> str:
        return self.fields.get("schema", "")

    @property
    def revision(self) -> int | None:
        """How many events the article has had, this one included; ``None`` on entries
        published before revisions were (2026-12-07)."""
        revision = self.fields.get("revision")
        return int(revision) if revision and revision.isdigit() else None

    @property
    def idempotency_key(self) -> str:
        """What a sink keys on so the same event applied twice changes nothing: the article,
        the event, its revision and the body's content hash. A redelivery has the same key,
        and so has an entry that a Redis failover took back and the pipeline published again
        under a new stream id; an ``article.updated`` of the same article has a new one.
        Entries without a revision (published before it existed) are keyed on the stream id.
        """
        if self.revision is None:
            return f"{self.article_id}:{self.event}:{self.stream_id}"
        dedupe = self.data.get("dedupe")
        content_hash = dedupe.get("content_hash", "") if isinstance(dedupe, dict) else ""
        return f"{self.article_id}:{self.event}:{self.revision}:{content_hash}"

    @cached_property
    def data(self) -> dict[str, Any]:
        """The article (the entry's ``data`` field decoded)."""
        try:
            parsed = json.loads(self.fields.get("data") or "{}")
        except ValueError as error:
            raise EntryError(self.stream_id, f"data is not JSON: {error}") from None
        if not isinstance(parsed, dict):
            raise EntryError(self.stream_id, "data is not a JSON object")
        return parsed

    def to_dict(self) -> dict[str, Any]:
        """The entry as every command prints or pipes it: ``stream_id``, the flat fields, and
        ``data`` decoded. Validates against :func:`entry_schema`."""
        if (field := _field_not_utf8(self)) is not None:
            raise EntryError(self.stream_id, f"field {field!r} is not UTF-8")
        return {"stream_id": self.stream_id, **self.fields, "data": self.data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


class EntryError(ValueError):
    """An entry that is not a wirestream article: dead-lettered at once, never retried."""

    def __init__(self, stream_id: str, reason: str) -> None:
        self.stream_id = stream_id
        self.reason = reason
        super().__init__(f"consume: entry {stream_id}: {reason}")


class PartialFailure(Exception):
    """Raised by a batch handler that handled some entries of its batch and not others:
    ``failed`` maps the stream id of each failed entry to its error. The others are acked."""

    def __init__(self, failed: Mapping[str, str]) -> None:
        self.failed = dict(failed)
        super().__init__(f"{len(self.failed)} entries failed")


class StopConsuming(Exception):
    """Raised by a handler that cannot go on (its output is closed, its database is gone): the
    entry it was given and the rest of its batch (a batch handler's: the whole batch) are
    handed back, unacknowledged and claimable at once by another consumer of the group,
    without counting as a failed delivery; then ``run`` returns."""


Handler = Callable[[StreamEntry], None]
"""Handles one entry; returning acks it, raising leaves it pending for a later delivery."""

BatchHandler = Callable[[Sequence[StreamEntry]], None]
"""Handles a batch (one transaction, one request); returning acks all of it, raising
:class:`PartialFailure` acks all but the failed ones, raising anything else acks none."""


@dataclass(frozen=True)
class Gap:
    """Entries the group had not read that were trimmed away before it could."""

    group: str
    lost: int
    after_id: str  # the last entry the group had been delivered
    before_id: str  # the first entry still in the stream


@dataclass(frozen=True)
class Start:
    """Where a group that does not exist yet begins (an existing group keeps its place)."""

    id: str
    """A stream id: the group is delivered the entries after it ('$': newest, '0': all)."""

    @classmethod
    def newest(cls) -> Start:
        return cls("$")

    @classmethod
    def beginning(cls) -> Start:
        return cls("0")

    @classmethod
    def after(cls, stream_id: str) -> Start:
        return cls(stream_id)

    @classmethod
    def since(cls, moment: datetime) -> Start:
        """The first entry at or after ``moment`` (naive: UTC): stream ids start with the
        milliseconds of the XADD."""
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        milliseconds = int(moment.timestamp() * 1000)
        return cls(f"{milliseconds - 1}-{MAX_SEQUENCE}" if milliseconds > 0 else "0")


MAX_SEQUENCE = 2**64 - 1


# A Redis that is back (a restart, a failover, the refusal of writes lifted) is read again
# within seconds: one more round costs a round trip, and each round already spends up to
# `redis_failover_seconds` in the client's own retries when Redis is out of reach.
OUTAGE_WAIT_MAX = 5.0


@dataclass(frozen=True)
class Backoff:
    """Delay before an entry whose handler failed is delivered again: ``base`` seconds after
    the first failure, doubling per delivery, at most ``maximum``."""

    base: float = 1.0
    maximum: float = 60.0

    def delay(self, deliveries: int) -> float:
        return float(min(self.base * 2 ** max(deliveries - 1, 0), self.maximum))


def _socket_timeout(client: RedisClient) -> float | None:
    """How long the client waits for a reply: as given, or its connection class's default;
    None for none or unknown (a cluster client has a pool per node)."""
    pool = getattr(client, "connection_pool", None)
    if pool is None:
        return None
    if "socket_timeout" in pool.connection_kwargs:
        timeout = pool.connection_kwargs["socket_timeout"]
    else:
        parameter = inspect.signature(pool.connection_class).parameters.get("socket_timeout")
        timeout = parameter.default if parameter is not None else None
    return float(timeout) if isinstance(timeout, int | float) else None


def default_consumer_name() -> str:
    """Host and process id: unique among the consumers of a group on several hosts."""
    return f"{socket.gethostname()}-{os.getpid()}"


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class Consumer:
    """A member of a consumer group of one stream (default: ``<namespace>:articles``).

    Parameters:
        client: a redis-py client with ``decode_responses=True`` (``Consumer.connect`` makes
            one from the settings).
        group: the consumer group; created at ``start`` when it does not exist.
        keys: the namespace's key names (default: namespace ``wirestream``).
        consumer: this consumer's name in the group (default: host and process id).
        stream: the stream read (default: the articles stream; a routed stream also works).
        start: where a new group begins (default: the newest entry; see :class:`Start`).
        max_deliveries: deliveries of one entry before it goes to the group's dead-letter
            stream (default 5).
        min_idle: seconds an entry stays pending with another consumer before this one
            claims it (default 60). Entries in a handler's hands are renewed every third of
            it, so a slow handler keeps them; a dead consumer's are claimed after it.
        batch_size: entries read per round trip (default 100).
        block: seconds one read waits for new entries (default 5); at most the client's socket
            timeout less 1 s (``redis_socket_timeout``, 10 s; redis-py's own default, 5 s).
        backoff: delay before a failed entry is delivered again (default 1 s doubling to 60 s);
            also between rounds while Redis is out of reach or refuses writes, there at
            most 5 s.
        on_gap: called once per gap with its :class:`Gap` (a log line is written anyway).
        validate: check each entry against :func:`entry_schema` before its handler sees it;
            an invalid one is dead-lettered (default off: the publisher validates). Fields
            the schema does not name (added to the contract since) are ignored.
        dead_maxlen: approximate cap on the group's dead-letter stream.
    """

    def __init__(
        self,
        client: RedisClient,
        group: str,
        *,
        keys: Keys | None = None,
        consumer: str | None = None,
        stream: str | None = None,
        start: Start | None = None,
        max_deliveries: int = 5,
        min_idle: float = 60.0,
        batch_size: int = 100,
        block: float = 5.0,
        backoff: Backoff | None = None,
        on_gap: Callable[[Gap], None] | None = None,
        validate: bool = False,
        dead_maxlen: int = 100_000,
    ) -> None:
        if max_deliveries < 1 or batch_size < 1 or min_idle <= 0 or block <= 0:
            raise ValueError("max_deliveries, batch_size, min_idle and block must be positive")
        self.redis = client
        self.group = group
        self.keys = keys or Keys("wirestream")
        self.name = consumer or default_consumer_name()
        self._named_by_default = consumer is None
        self.stream = stream or self.keys.articles_stream
        self.start = start or Start.newest()
        self.max_deliveries = max_deliveries
        self.min_idle = min_idle
        self.batch_size = batch_size
        # A read that waits as long as the client waits for a reply ends in a timeout about
        # one time in four, and the client reconnects and sends it again: four idle
        # consumers made 124 connections in 40 s (redis-py 8's default socket timeout is
        # 5 s, as is the default block).
        socket_timeout = _socket_timeout(client)
        self.block = block if socket_timeout is None else min(block, max(socket_timeout - 1, 0.1))
        self.backoff = backoff or Backoff()
        self.on_gap = on_gap
        self.validate = validate
        self.dead_maxlen = dead_maxlen
        self.dead_stream = self.keys.group_dead_stream(group)
        self._groups = GroupStream(client, self.stream)
        self._sent_back = SentBackEntries(client, self.keys, group)
        # The batch in hand came from the dead letters sent back, not from the stream: each
        # one's delivery count when taken, which says whether this consumer still holds it.
        self._batch_sent_back: dict[str, int] = {}
        self._next_sent_back_check = 0.0
        self._stopping = False
        self._waiting = False
        self._recovering: set[str] = set()  # own pending entries found at start: due at once
        # Own entries left pending after a failure, as last seen: while there is none, no
        # round trip asks for them.
        self._retrying: set[str] = set()
        # Dead letters whose write failed, by stream id: their entries' reasons.
        self._letters_owed: dict[str, str] = {}
        self._claim_cursor = "0-0"
        self._next_claim_at = 0.0
        self._last_generated_id = "0-0"
        self._wait_seconds = self.block

    @classmethod
    @contextmanager
    def connect(
        cls, group: str, *, settings: Settings | None = None, **options: Any
    ) -> Iterator[Consumer]:
        """A consumer on the Redis every ``wirestream`` command uses: ``WIRESTREAM_REDIS_URL``,
        or the embedded server (started for the block when no command runs it). Options not
        given come from the settings (``consumer_max_deliveries``, ``consumer_min_idle``)."""
        settings = settings or load_settings()
        options.setdefault("keys", Keys.for_settings(settings))
        options.setdefault("max_deliveries", settings.consumer_max_deliveries)
        options.setdefault("min_idle", settings.consumer_min_idle)
        options.setdefault("dead_maxlen", settings.dead_maxlen)
        with redis_for(settings) as (_, client):
            yield cls(client, group, **options)

    def run(
        self,
        handler: Handler | None = None,
        *,
        batch_handler: BatchHandler | None = None,
        limit: int | None = None,
        until_idle: bool = False,
    ) -> int:
        """Deliver entries until SIGTERM/SIGINT, ``stop()``, ``limit`` entries settled (acked
        or dead-lettered), or with ``until_idle`` nothing left to read; returns how many were
        settled. Give ``handler`` (one entry at a time) or ``batch_handler``."""
        if (handler is None) == (batch_handler is None):
            raise ValueError("give handler or batch_handler, not both or neither")
        self._stopping = False
        self._retrying = set()
        settled = 0
        outages = 0
        rejoin = True
        with self._signals_stop():
            while not self._stopping and (limit is None or settled < limit):
                room = self.batch_size if limit is None else min(self.batch_size, limit - settled)
                try:
                    if rejoin:
                        self._rejoin()
                        rejoin = False
                    batch = self._next_batch(room)
                    if not batch and until_idle:
                        # Idle entries of others, and dead letters sent back, are left too.
                        self._next_claim_at = self._next_sent_back_check = 0.0
                        batch = self._next_batch(room)
                    if batch:
                        settled += self._settle(batch, handler, batch_handler)
                    elif until_idle and not self._holds_pending():
                        break
                    else:
                        self._wait(self._wait_seconds)
                    outages = 0
                except RetryableError as error:
                    # Redis restarting or out of reach: what was not acked stays pending
                    # there and is delivered again; wait and go on.
                    outages += 1
                    rejoin = True
                    delay = self.outage_wait(outages)
                    log.warning("consumer_redis_unavailable", error=str(error), retry_in=delay)
                    self._wait(delay, sleep=True)
            try:
                self._groups.leave(self.group, self.name)
            except RetryableError as error:
                log.warning("consumer_leave_failed", error=str(error))
        return settled

    def outage_wait(self, outages: int) -> float:
        """Seconds to wait after the ``outages``-th failed round in a row: the entries'
        backoff, but at most :data:`OUTAGE_WAIT_MAX`."""
        return min(self.backoff.delay(outages), OUTAGE_WAIT_MAX)

    def _rejoin(self) -> None:
        """At start and after Redis was out of reach: the group exists (a Redis restarted
        without persistence lost it), and own pending entries are delivered first."""
        self._groups.create_group(self.group, self.start.id)
        self._recovering = {
            pending.stream_id
            for pending in self._groups.pending(self.group, consumer=self.name, count=10_000)
        }
        if self._named_by_default:
            self._take_over_dead_predecessors()

    def _take_over_dead_predecessors(self) -> None:
        """The pending entries of this host's consumers (default names: ``<host>-<pid>``)
        whose process is gone, delivered first: a consumer that a supervisor started again
        after a crash (another pid, another name) takes them at once instead of after
        ``min_idle``."""
        host = socket.gethostname()
        for member in self._groups.consumers(self.group):
            member_host, _, pid = member.name.rpartition("-")
            if (
                member_host != host
                or not pid.isdigit()
                or member.name == self.name
                or member.pending == 0
                or _process_alive(int(pid))
            ):
                continue
            taken = self._groups.take_over(self.group, self.name, member.name)
            self._recovering.update(taken)
            self._groups.leave(self.group, member.name)
            log.info(
                "consumer_took_over", group=self.group, consumer=self.name,
                dead_consumer=member.name, entries=len(taken),
            )  # fmt: skip

    def stop(self) -> None:
        """Finish the batch in hand, ack it, and return from :meth:`run` (within ``block``
        seconds when waiting for entries)."""
        self._stopping = True

    @property
    def stopping(self) -> bool:
        """Whether a stop was asked for (SIGTERM, SIGINT, :meth:`stop`): a handler in a long
        wait can raise :class:`StopConsuming` to hand its entries back instead of finishing."""
        return self._stopping

    # --- what to deliver next ---------------------------------------------------------------

    def _next_batch(self, room: int) -> list[StreamEntry]:
        """Own pending entries that are due first, then idle ones of other consumers, then
        dead letters sent back to the group, then new ones."""
        self._wait_seconds = self.block
        self._batch_sent_back = {}
        return (
            self._own_due(room)
            or self._claim_idle(room)
            or self._take_sent_back(room)
            or self._read_new(room)
        )

    def _own_due(self, room: int) -> list[StreamEntry]:
        if not self._recovering and not self._retrying:
            return []
        own = self._groups.pending(self.group, consumer=self.name, count=room)
        if len(own) < room:  # the whole list: what is not in it was acked or claimed away
            self._retrying.intersection_update(pending.stream_id for pending in own)
        due = []
        for pending in own:
            wait = self.backoff.delay(pending.deliveries) - pending.idle_ms / 1000
            if wait <= 0 or pending.stream_id in self._recovering:
                due.append(pending)
            else:
                self._wait_seconds = min(self._wait_seconds, wait)
        if not due:
            return []
        # The smallest idle time seen: an entry another consumer claimed meanwhile is idle
        # for less, and is left to it.
        min_idle_ms = min(pending.idle_ms for pending in due)
        ids = [pending.stream_id for pending in due]
        self._recovering.difference_update(ids)
        entries = self._groups.claim(self.group, self.name, ids, min_idle_ms)
        counts = {pending.stream_id: pending.deliveries + 1 for pending in due}
        self._report_trimmed(set(ids) - {entry_id for entry_id, _ in entries})
        return [StreamEntry(entry_id, fields, counts[entry_id]) for entry_id, fields in entries]

    def _claim_idle(self, room: int) -> list[StreamEntry]:
        now = time.monotonic()
        if now < self._next_claim_at:
            return []
        cursor, entries, trimmed = self._groups.autoclaim(
            self.group, self.name, int(self.min_idle * 1000), self._claim_cursor, room
        )
        self._claim_cursor = cursor
        if cursor == "0-0":  # a whole pass over the pending list: look again later
            self._next_claim_at = now + self.min_idle / 2
        self._report_trimmed(set(trimmed))
        if not entries:
            return []
        counts = self._groups.deliveries(self.group, [entry_id for entry_id, _ in entries])
        log.info("consumer_claimed", group=self.group, consumer=self.name, entries=len(entries))
        return [
            StreamEntry(entry_id, fields, counts.get(entry_id, 1)) for entry_id, fields in entries
        ]

    def _take_sent_back(self, room: int) -> list[StreamEntry]:
        """Dead letters an operator sent back (``groups dead retry``) that are due, leased for
        ``min_idle``: looked for once a second while there are none."""
        now = time.monotonic()
        if now < self._next_sent_back_check:
            return []
        taken = self._sent_back.take(room, lease_ms=int(self.min_idle * 1000))
        if not taken:
            self._next_sent_back_check = now + SENT_BACK_CHECK_SECONDS
            return []
        log.info("consumer_sent_back_taken", group=self.group, entries=len(taken))
        entries = [entry_from_letter(sent) for sent in taken]
        self._batch_sent_back = {entry.stream_id: entry.deliveries for entry in entries}
        return entries

    def _read_new(self, room: int) -> list[StreamEntry]:
        new = self._groups.read_new(self.group, self.name, room)
        self._last_generated_id = new.last_generated_id
        if new.gap is not None:
            gap = Gap(self.group, lost=new.gap[2], after_id=new.gap[0], before_id=new.gap[1])
            log.warning(
                "consumer_gap", group=gap.group, lost=gap.lost,
                after_id=gap.after_id, before_id=gap.before_id,
            )  # fmt: skip
            if self.on_gap is not None:
                self.on_gap(gap)
        return [StreamEntry(entry_id, fields) for entry_id, fields in new.entries]

    def _holds_pending(self) -> bool:
        return bool(self._groups.pending(self.group, consumer=self.name, count=1))

    def _report_trimmed(self, ids: set[str]) -> None:
        if ids:
            log.warning(
                "consumer_pending_trimmed", group=self.group, entries=len(ids), ids=sorted(ids)
            )

    def _wait(self, seconds: float, *, sleep: bool = False) -> None:
        """Until a new entry is appended, a retry or a claim pass is due, or a stop signal
        (``sleep``: for ``seconds``, without Redis)."""
        timeout = min(seconds, max(self._next_claim_at - time.monotonic(), 0.01))
        self._waiting = True
        try:
            if self._stopping:
                return
            if sleep:
                time.sleep(seconds)
            else:
                self._groups.wait_for_new(self._last_generated_id, timeout)
        except _WakeUp:
            # The signal cut a blocking read short: that connection is in an unknown state.
            disconnect(self.redis)
        finally:
            self._waiting = False

    # --- handling and settling --------------------------------------------------------------

    def _settle(
        self,
        batch: list[StreamEntry],
        handler: Handler | None,
        batch_handler: BatchHandler | None,
    ) -> int:
        """Hand the batch over; ack what was handled, dead-letter what failed for the last
        time or can never be handled; the rest stays pending for a later delivery."""
        dead: dict[str, tuple[StreamEntry, str]] = {}
        ready = []
        for entry in batch:
            problem = self._refusal(entry)
            if problem is None:
                ready.append(entry)
            else:
                dead[entry.stream_id] = (entry, problem)
        with self._lease([entry.stream_id for entry in ready]):
            failed = self._hand_over(ready, handler, batch_handler)
        done = []
        retry_in: dict[str, int] = {}  # sent-back entries that failed: ms until the next try
        for entry in ready:
            error = failed.get(entry.stream_id)
            if error is None:
                done.append(entry.stream_id)
                continue
            if error is HANDED_BACK:
                continue
            log.warning(
                "consumer_handler_failed", group=self.group, stream_id=entry.stream_id,
                deliveries=entry.deliveries, error=error,
            )  # fmt: skip
            if entry.deliveries >= self.max_deliveries or error.startswith(EntryError.__name__):
                dead[entry.stream_id] = (entry, error)
            elif entry.stream_id in self._batch_sent_back:
                retry_in[entry.stream_id] = int(self.backoff.delay(entry.deliveries) * 1000)
            else:
                self._retrying.add(entry.stream_id)
        if self._batch_sent_back:
            self._sent_back.finish(done)
            self._sent_back.delay(self._batch_sent_back, retry_in)
        else:
            self._groups.ack(self.group, done)
        self._dead_letter(list(dead.values()))
        return len(done) + len(dead)

    @contextmanager
    def _lease(self, ids: list[str]) -> Iterator[None]:
        """While the handler works on ``ids``, renew them every third of ``min_idle``: a
        handler slower than ``min_idle`` (a webhook receiver retried with backoff, a batch of
        slow inserts) had its entries claimed by the other consumers of the group while it
        was still at work, each of them handling them again and counting one more delivery
        towards the dead letters. A consumer that dies stops renewing, and its entries are
        claimed ``min_idle`` later as before."""
        if not ids:
            yield
            return
        done = threading.Event()
        if self._batch_sent_back:
            lease = dict.fromkeys(ids, int(self.min_idle * 1000))

            def renew_once() -> int:
                return self._sent_back.delay(self._batch_sent_back, lease)
        else:

            def renew_once() -> int:
                return self._groups.renew(self.group, self.name, ids)

        def renew() -> None:
            held = len(ids)
            while not done.wait(self.min_idle / 3):
                try:
                    still_held = renew_once()
                except Exception as error:  # a thread of its own: logged, never raised
                    log.warning("consumer_renewal_failed", group=self.group, error=str(error))
                    continue
                if still_held < held:
                    # Claimed by another consumer while this one was stalled past min_idle.
                    log.warning(
                        "consumer_entries_claimed_away", group=self.group, consumer=self.name,
                        entries=held - still_held,
                    )  # fmt: skip
                held = still_held

        renewer = threading.Thread(target=renew, name=f"renew-{self.group}", daemon=True)
        renewer.start()
        try:
            yield
        finally:
            done.set()
            renewer.join()

    def _refusal(self, entry: StreamEntry) -> str | None:
        """Why an entry goes to the dead letters without reaching the handler, if it does."""
        owed = self._letters_owed.pop(entry.stream_id, None)
        if owed is not None:
            return owed  # its dead letter could not be written: the reason it was for
        if entry.deliveries > self.max_deliveries:
            # Delivered that often without an ack or a failure: its consumers died on it.
            return f"delivered {entry.deliveries} times without being acknowledged"
        if (field := _field_not_utf8(entry)) is not None:
            # Before the schema: the handler may read the flat fields alone.
            return f"{EntryError.__name__}: field {field!r} is not UTF-8"
        if entry.schema != SCHEMA:
            return f"{EntryError.__name__}: schema {entry.schema!r} is not {SCHEMA}"
        if self.validate:
            try:
                document = entry.to_dict()
            except EntryError as error:
                return describe_error(error)
            # A field the schema does not name was added to the contract after this version:
            # ignored, as a tolerant reader does; everything the schema names is checked.
            problems = sorted(
                (
                    problem
                    for problem in entry_validator().iter_errors(document)
                    if problem.validator != "additionalProperties"
                ),
                key=str,
            )
            if problems:
                return f"{EntryError.__name__}: invalid: {problems[0].message}"
        return None

    def _hand_over(
        self,
        entries: list[StreamEntry],
        handler: Handler | None,
        batch_handler: BatchHandler | None,
    ) -> dict[str, str]:
        """The entries the handler failed on, with their error."""
        if not entries:
            return {}
        if batch_handler is not None:
            try:
                batch_handler(entries)
            except PartialFailure as failure:
                return failure.failed
            except StopConsuming:
                self._stopping = True
                self._hand_back(entries)
                return {entry.stream_id: HANDED_BACK for entry in entries}
            except Exception as error:
                return {entry.stream_id: describe_error(error) for entry in entries}
            return {}
        assert handler is not None
        failed: dict[str, str] = {}
        for index, entry in enumerate(entries):
            try:
                handler(entry)
            except StopConsuming:
                self._stopping = True
                self._hand_back(entries[index:])
                failed.update({entry.stream_id: HANDED_BACK for entry in entries[index:]})
                break
            except Exception as error:
                failed[entry.stream_id] = describe_error(error)
        return failed

    def _hand_back(self, entries: list[StreamEntry]) -> None:
        if self._batch_sent_back:
            # Due again at once for any consumer; the delivery it was is not counted.
            back = {entry.stream_id: 0 for entry in entries}
            self._sent_back.delay(self._batch_sent_back, back, handed_back=True)
            return
        self._groups.hand_back(
            self.group,
            self.name,
            {entry.stream_id: entry.deliveries - 1 for entry in entries},
            idle_ms=int(self.min_idle * 1000),
        )

    def _dead_letter(self, letters: list[tuple[StreamEntry, str]]) -> None:
        if not letters:
            return
        failed_at = utc_iso(datetime.now(UTC)) or ""
        try:
            self._write_dead_letters(letters, failed_at)
        except RetryableError:
            # Redis away or refusing writes: the entries stay pending and come back; each is
            # dead-lettered then for its own reason, not as one delivered too often.
            self._letters_owed.update({entry.stream_id: error for entry, error in letters})
            raise
        for entry, error in letters:
            log.error(
                "consumer_dead_lettered", group=self.group, stream_id=entry.stream_id,
                deliveries=entry.deliveries, error=error, dead_stream=self.dead_stream,
            )  # fmt: skip

    def _write_dead_letters(self, letters: list[tuple[StreamEntry, str]], failed_at: str) -> None:
        self._groups.dead_letter(
            self.group,
            self.dead_stream,
            [
                {
                    "stream_id": entry.stream_id,
                    "group": self.group,
                    "consumer": self.name,
                    "deliveries": str(entry.deliveries),
                    "error": error,
                    "failed_at": failed_at,
                    "entry": dead_letter_json(entry),
                }
                for entry, error in letters
            ],
            self.dead_maxlen,
            sent_back=(self._sent_back, [entry.stream_id for entry, _ in letters])
            if self._batch_sent_back
            else None,
        )

    @contextmanager
    def _signals_stop(self) -> Iterator[None]:
        """SIGTERM and SIGINT stop the loop after the batch in hand (main thread only: a
        consumer run in another thread is stopped with :meth:`stop`)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum: int, frame: FrameType | None) -> None:
            self._stopping = True
            if self._waiting:
                raise _WakeUp

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


HANDED_BACK = "handed back"
SENT_BACK_CHECK_SECONDS = 1.0
"""How often a consumer looks for dead letters sent back to its group while there are none."""


class _WakeUp(BaseException):
    """Raised by the signal handler into a blocking read, which would otherwise wait on."""


def entry_from_letter(sent: SentBack) -> StreamEntry:
    """The stream entry a dead letter holds (its ``entry`` JSON: ``stream_id``, the flat
    fields, ``data``), as it was delivered; one that is not an entry keeps its text as
    ``data``, and is dead-lettered again for its schema."""
    try:
        document = json.loads(sent.entry_json)
    except ValueError:
        document = None
    if not isinstance(document, dict):
        return StreamEntry(sent.stream_id, {"data": sent.entry_json}, sent.deliveries)
    data = document.get("data")
    fields = {
        name: str(value) for name, value in document.items() if name not in ("stream_id", "data")
    }
    fields["data"] = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return StreamEntry(sent.stream_id, fields, sent.deliveries)


def dead_letter_json(entry: StreamEntry) -> str:
    """The entry as printed everywhere, or with ``data`` as found when it is not JSON. One
    with bytes that are not UTF-8 keeps its fields as found, every character beyond ASCII
    escaped (a byte 0xff as ``\\udcff``), so that the letter itself is UTF-8."""
    as_found = {"stream_id": entry.stream_id, **entry.fields}
    if _field_not_utf8(entry) is not None:
        return json.dumps(as_found)
    try:
        return entry.to_json()
    except EntryError:
        return json.dumps(as_found, ensure_ascii=False)


def describe_error(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _field_not_utf8(entry: StreamEntry) -> str | None:
    """The first field of ``entry`` whose name or value had bytes that are not UTF-8 (decoded
    as lone surrogates by the package's clients), if any."""
    for name, value in entry.fields.items():
        if _NOT_UTF8.search(name) or _NOT_UTF8.search(value):
            return name
    return None


def entry_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an entry as printed, piped and returned by
    :meth:`StreamEntry.to_dict` (``worker/schema/article-v1.json``, shipped in the package)."""
    text = files("worker").joinpath("schema/article-v1.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def entry_validator() -> Draft202012Validator:
    return Draft202012Validator(entry_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


log = get_logger("wirestream.consumer")
