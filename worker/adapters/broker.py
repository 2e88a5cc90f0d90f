"""kombu's Redis transport, with two fixes and a change: a worker stays alive when Redis
restarts, a message a killed worker had just taken from its queue is not lost, and a worker
takes the messages waiting in its queue several at a time.

The first. Seen in the compose demo and in a run against a Redis restarted under it (celery 5.7.0,
kombu 5.7.0), reproduced step by step in ``tests/integration/test_broker_connection_loss.py``:
a worker with tasks in flight (late acks) whose Redis restarts died with ``Unrecoverable
error: AttributeError("'NoneType' object has no attribute 'hostname'")``. The cause:

1. The consumer loses its connection while its channel waits on a ``BRPOP``. Celery's
   ``on_connection_error_after_connected`` calls ``Connection.collect()``, which closes the
   channel; kombu's ``Channel.close`` first reads the pending ``BRPOP`` reply (kombu#1733,
   so that a popped message is not lost), which on a dead connection raises
   ``ConnectionError`` before the channel is marked closed. ``collect`` swallows it, then
   detaches the transport from the connection (``transport.client = None``).
2. Celery then calls ``connection.close()``, which closes the same channel again. This
   time the channel closes and restores its unacknowledged messages, which needs a Redis
   client, whose parameters come from ``transport.client``: ``None.hostname``. An
   AttributeError is not a connection error, so ``ignore_errors`` lets it through and the
   worker stops. Acks of messages delivered on the old connection, sent after the worker
   reconnected, fail the same way. (kombu#582 reported the same AttributeError, from a
   gossip channel closed after its connection, in 2016.)

Here a channel whose transport was detached raises a connection error instead, which
every one of those callers handles: the close completes, and a message that could not be
restored or acknowledged stays in kombu's unacked hash, restored by a live worker after
the visibility timeout (at least once; our tasks are idempotent). Broker connection
settings (retries, timeouts) live in ``worker/app.py``.

The second fix keeps a message that a worker has taken from its queue from being lost when
the worker is killed (SIGKILL, the OOM killer) before it has recorded the message as
unacknowledged. kombu takes a message with ``BRPOP``, which removes it from the queue at
once, and only then writes it to the unacked hash (``QoS.append``): between the two, the
message exists only in the reply on the worker's socket or in its memory, and a worker
killed then takes it with it, for good (the feed's poll has already remembered the entry as
seen; ``tests/integration/test_broker_in_flight.py`` shows it). Here a worker that
consumes one queue takes each message with ``BLMOVE`` into that queue's in-flight list
(``<queue>\\x06\\x16inflight``) in the same step, and removes it from there once the
message is in the unacked hash. The sweep that restores expired unacked messages (every
``unacked_restore_interval``) also puts back, at the head of its queue, a message that
stayed in the in-flight list as long as the fourth change below trusts a consumer's list
(10 s by default, never more than the visibility timeout): a live worker moves it on within
milliseconds, so it is a dead worker's (at least once: a worker that was merely stalled that
long delivers its copy too; our tasks are idempotent). A live worker whose write after the
move failed (a failover, a lost connection, a Redis refusing writes) delivers none of the
batch and puts it back itself at its next sweep, on its new connection. A channel that
consumes several queues, or with several priority steps (``BLMOVE`` has one source), keeps
kombu's ``BRPOP``.

The third change takes the messages waiting in a queue together. kombu's channel takes one
message per turn of the worker's event loop, and each costs that one thread three round trips
(the pop, the unacked write, the in-flight removal) besides handing the task to Celery: in
``benchmarks/throughput.py`` a threads worker with 128 slots held 14-65 tasks while hundreds
waited in Redis (docs/scale.md). Here, once a ``BLMOVE`` brings a message, the channel moves up
to ``INTAKE_BATCH - 1`` more into the in-flight list (``LMOVE``, one pipeline), as many as its
prefetch leaves room for, and writes all of them to kombu's unacked hash and out of the
in-flight list in one ``MULTI`` before it hands them to Celery one by one; the entries are
the ones ``QoS.append`` writes (the message, its exchange and routing key under its delivery
tag), which then only records the delivery in memory. A worker killed at any step leaves each
message in flight or unacked, where the sweeps find it as before.

The fourth brings back, within seconds, a delivery that no live consumer holds. kombu puts a
delivery back only after the visibility timeout (125 s by default, the hard time limit plus a
margin, so that a task still running is never delivered twice): a worker killed with SIGKILL,
or a failover that took back the acknowledgement of a task that had finished, cost those
tasks two minutes. Here every consumer writes the deliveries it holds (``record_holding``,
into ``unacked_holders``, each list trusted for five sweeps and at least 10 s) at every sweep
(``unacked_restore_interval``), and the sweep puts back at the head of its queue a delivery
older than that which no trusted list names (``restore_orphans``, kombu's ``restore_by_tag``,
so a concurrent acknowledgement wins). A consumer cut off from Redis for longer than its
trust gets its tasks delivered again elsewhere while it may still run them: at least once,
as after the visibility timeout, only sooner; the publish is idempotent. Delivery times are
the consumers' clocks, as for kombu's own timeout: hosts need synchronised clocks. In
``tests/e2e/test_worker_killed.py`` the article of a SIGKILLed worker reached the stream
10.3-10.7 s after the kill (the visibility timeout 125 s); in the failover suite, the
replica-behind case published all 10.5 s after the kill instead of 19.7-21.0 s (there the
test's visibility timeout was 20 s).

Every broker gets all four: ``redis://`` and ``rediss://`` (:class:`Transport`),
``sentinel://`` (:class:`SentinelTransport`) and the embedded Redis's unix socket
(:class:`SocketTransport`), which every command uses when no Redis is configured
(``wirestream run`` and ``demo`` included); :func:`celery_broker` picks the transport and
spells the URL for it. A connection made by the package's Celery app (:class:`Amqp`) keeps
its transport when it fails over to another URL of the broker's list (:class:`Connection`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from queue import Empty
from time import monotonic, time
from typing import Any
from uuid import uuid4

import redis
from celery.app.amqp import AMQP
from kombu.connection import Connection as KombuConnection
from kombu.transport import redis as kombu_redis
from kombu.transport import virtual
from kombu.utils.encoding import bytes_to_str
from kombu.utils.json import dumps, loads

IN_FLIGHT_SUFFIX = "inflight"
INTAKE_BATCH = 16  # messages taken in one turn of the event loop, at most
HOLDERS_KEY = "unacked_holders"  # under the broker's global key prefix
# A consumer's list of the deliveries it holds is trusted this long after it was written: it
# is written at every sweep (``unacked_restore_interval``), so a live consumer's list is never
# older. A delivery older than this that no trusted list names is an orphan.
HOLDER_TRUSTED_SWEEPS = 5
HOLDER_TRUSTED_MIN_SECONDS = 10.0
# The oldest deliveries a sweep looks at: more than the deliveries its live workers may hold
# for longer than their trust (a backlog held in prefetch), so orphans behind them are seen.
DELIVERIES_PER_SWEEP = 1000

# KEYS: in-flight list, queue. ARGV: message. Only the sweeper that removes the message
# from the in-flight list puts it back, so two sweepers never requeue it twice.
_RESTORE_IN_FLIGHT = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0
"""


# Messages this process moved into an in-flight list and could not record as unacked (the
# write after the move failed: a failover, a lost connection), as (in-flight list, queue,
# message). Its next sweep puts them back, on whatever connection it has by then, instead of
# the sweeps of every worker after the holder lists' trust. One list per process: a lost
# connection's channel is gone, and the one that replaces it sweeps.
_abandoned_in_flight: list[tuple[str, str, bytes]] = []


def _unprefixed(client: redis.Redis, *command: Any) -> Any:
    """A command whose keys carry the global key prefix already: kombu's prefixing client
    adds it to the commands it knows only, and knows neither BLMOVE nor LREM nor EVAL."""
    return redis.Redis.execute_command(client, *command)  # type: ignore[no-untyped-call]


class QoS(kombu_redis.QoS):
    def append(self, message: Any, delivery_tag: str) -> None:
        if delivery_tag in self.channel.unacked_written:
            # Written with its batch (Channel._take_batch): only the record in memory is left.
            self.channel.unacked_written.remove(delivery_tag)
            virtual.QoS.append(self, message, delivery_tag)  # type: ignore[no-untyped-call]
            return
        super().append(message, delivery_tag)  # type: ignore[no-untyped-call]

    def restore_visible(self, start: int = 0, num: int = 10, interval: int = 10) -> None:
        super().restore_visible(start=start, num=num, interval=interval)  # type: ignore[no-untyped-call]
        self.channel.restore_abandoned_in_flight(
            min(float(self.channel.visibility_timeout), self.trusted_seconds())
        )
        self.restore_orphans()

    @cached_property
    def holder_id(self) -> str:
        return uuid4().hex

    def trusted_seconds(self) -> float:
        interval = float(self.channel.unacked_restore_interval)
        return max(HOLDER_TRUSTED_SWEEPS * interval, HOLDER_TRUSTED_MIN_SECONDS)

    def record_holding(self) -> None:
        """Write the deliveries this consumer holds, trusted for ``trusted_seconds``."""
        # kombu forgets an acknowledged delivery lazily: until then it is in _dirty too.
        holding = {
            "until": time() + self.trusted_seconds(),
            "tags": [tag for tag in self._delivered if tag not in self._dirty],
        }
        with self.channel.conn_or_acquire() as client:
            _unprefixed(client, "HSET", self.channel.holders_key, self.holder_id, dumps(holding))  # type: ignore[no-untyped-call]

    def restore_orphans(self) -> int:
        """Put back at the head of their queues the deliveries older than the trusted time
        that no trusted list names: their consumer died, or a failover took back the
        acknowledgement of a task that had finished. Returns how many were put back."""
        now = time()
        key = self.channel.holders_key
        with self.channel.conn_or_acquire() as client:
            holders = _unprefixed(client, "HGETALL", key)
            delivered = client.zrange(
                self.unacked_index_key, 0, now - self.trusted_seconds(), byscore=True,
                offset=0, num=DELIVERIES_PER_SWEEP,
            )  # fmt: skip
            held: set[str] = set()
            gone: list[str] = []
            for holder, raw in holders.items():
                listed = loads(bytes_to_str(raw))  # type: ignore[no-untyped-call]
                if listed["until"] < now:
                    gone.append(holder)
                else:
                    held.update(listed["tags"])
            if gone:
                _unprefixed(client, "HDEL", key, *gone)
            tags = [bytes_to_str(tag) for tag in delivered]  # type: ignore[no-untyped-call]
            orphans = [tag for tag in tags if tag not in held]
            for tag in orphans:
                self.restore_by_tag(tag, client)  # type: ignore[no-untyped-call]
        return len(orphans)


class Poller(kombu_redis.MultiChannelPoller):
    def maybe_restore_messages(self) -> None:
        # kombu sweeps from the first channel that consumes (a worker has two: its tasks' and
        # its remote control's); every one that consumes writes what it holds before that.
        for channel in self._channels:
            if channel.active_queues:
                try:
                    channel.qos.record_holding()
                except redis.TimeoutError:
                    # A whole socket timeout of silence is a lost broker (its host gone, no
                    # reset), not a blip for the next tick: kombu's sweeps kept the event
                    # loop waiting out one timeout after another, and a worker sat 40 s or
                    # more on the dead connection (tests/integration/test_broker_silence.py).
                    # Raised, it makes the consumer reconnect, through the sentinels if any
                    # (worker/adapters/worker_consumer.py).
                    raise
                except channel.connection_errors:
                    return  # as kombu's own sweep: tried again at the next tick
        super().maybe_restore_messages()  # type: ignore[no-untyped-call]


class Channel(kombu_redis.Channel):
    QoS = QoS
    _moving_from: str | None = None  # the queue of the BLMOVE awaiting its reply
    _collected: list[tuple[str, str]] | None = None  # see publishes_collected

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # (queue, message) -> when a sweep first saw it in the queue's in-flight list.
        self._in_flight_since: dict[tuple[str, bytes], float] = {}
        # Delivery tags whose unacked entry was written with their batch (QoS.append).
        self.unacked_written: set[str] = set()
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]

    def drop_connections(self) -> None:
        """Close every connection of the channel without a word to the server (which no
        longer answers); the next command connects afresh."""
        client = self.__dict__.get("client")  # only if kombu has made it
        if client is not None and client.connection is not None:
            client.connection.disconnect()
        self._disconnect_pools()  # type: ignore[no-untyped-call]

    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis.ConnectionError("broker: channel of a lost connection")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]

    @property
    def holders_key(self) -> str:
        """Which consumer holds which deliveries (``QoS.restore_orphans``), with the global key
        prefix (sent as it is)."""
        return f"{self.global_keyprefix}{HOLDERS_KEY}"

    def in_flight_key(self, queue: str) -> str:
        """The in-flight list of ``queue``, with the global key prefix (sent as it is)."""
        return f"{self.global_keyprefix}{queue}{self.sep}{IN_FLIGHT_SUFFIX}"

    def _single_source(self) -> str | None:
        queues = sorted(self.active_queues)
        if len(queues) == 1 and list(self.priority_steps) == [0]:
            return str(queues[0])
        return None

    def _brpop_start(self, timeout: int | None = None) -> None:
        queue = self._moving_from = self._single_source()
        if queue is None:
            super()._brpop_start(timeout)  # type: ignore[no-untyped-call]
            return
        self._in_poll = self.client.connection
        self._brpop_sent_at = monotonic()  # type: ignore[assignment]  # kombu's health check
        self.client.connection.send_command(
            "BLMOVE",  # kombu's prefixing client does not know it: the keys carry the prefix
            f"{self.global_keyprefix}{queue}",
            self.in_flight_key(queue),
            "RIGHT",
            "LEFT",
            self.brpop_timeout if timeout is None else timeout,
        )

    def _brpop_read(self, **options: Any) -> bool:
        queue, self._moving_from = self._moving_from, None
        if queue is None:
            return bool(super()._brpop_read(**options))  # type: ignore[no-untyped-call]
        try:
            try:
                raw = self.client.parse_response(self.client.connection, "BLMOVE", **options)
            except self.connection_errors:
                self.client.connection.disconnect()  # reconnected on the next poll
                raise
            if not raw:
                raise Empty()
            self._queue_cycle.rotate(queue)
            payloads = self._take_batch(queue, raw)
            for payload in payloads:
                self.connection._deliver(payload, queue)
            return True
        finally:
            self._in_poll = None  # type: ignore[assignment]  # as kombu's own _brpop_read
            self._flush_brpop_reauth()  # type: ignore[no-untyped-call]

    def _take_batch(self, queue: str, first: bytes) -> list[Any]:
        room = self.qos.can_consume_max_estimate()
        more = INTAKE_BATCH - 1 if room is None else min(INTAKE_BATCH, room) - 1
        source, in_flight = f"{self.global_keyprefix}{queue}", self.in_flight_key(queue)
        raws = [first]
        try:
            payloads = self._record_taken(source, in_flight, raws, more)
        except (*self.connection_errors, redis.ResponseError):
            _abandoned_in_flight.extend((in_flight, source, raw) for raw in raws)
            raise
        self.unacked_written.update(payload["properties"]["delivery_tag"] for payload in payloads)
        return payloads

    def _record_taken(self, source: str, in_flight: str, raws: list[bytes], more: int) -> list[Any]:
        """Move up to ``more`` messages after the first into the in-flight list (``raws``
        grows with them), then write them all as unacked and out of it in one ``MULTI``."""
        with self.conn_or_acquire() as client:
            if more > 0:
                pipe = client.pipeline(transaction=False)
                for _ in range(more):
                    pipe.execute_command("LMOVE", source, in_flight, "RIGHT", "LEFT")
                raws += [raw for raw in pipe.execute() if raw]
            payloads = [loads(bytes_to_str(raw)) for raw in raws]  # type: ignore[no-untyped-call]
            now = time()
            pipe = client.pipeline()
            for raw, payload in zip(raws, payloads, strict=True):
                properties = payload["properties"]
                tag, delivery = properties["delivery_tag"], properties["delivery_info"]
                pipe.zadd(self.unacked_index_key, {tag: now})
                pipe.hset(
                    self.unacked_key,
                    tag,
                    dumps([payload, delivery["exchange"], delivery["routing_key"]]),  # type: ignore[no-untyped-call]
                )
                pipe.execute_command("LREM", in_flight, 1, raw)
            pipe.execute()
        return payloads

    @contextmanager
    def publishes_collected(self) -> Iterator[list[tuple[str, str]]]:
        """Within it, a message published on this channel is routed and kept, not sent: as its
        queue's key (with the global key prefix) and its payload, in order, for a caller that
        sends it together with writes of its own in one script (the drainer: a task's send and
        its removal from the schedule, so that a failover cannot keep one and lose the other)."""
        collected: list[tuple[str, str]] = []
        self._collected = collected
        try:
            yield collected
        finally:
            self._collected = None

    def _put(self, queue: str, message: Any, **kwargs: Any) -> None:
        if self._collected is None:
            super()._put(queue, message, **kwargs)  # type: ignore[no-untyped-call]
            return
        priority = self._get_message_priority(message, reverse=False)  # type: ignore[no-untyped-call]
        key = f"{self.global_keyprefix}{self._q_for_pri(queue, priority)}"  # type: ignore[no-untyped-call]
        self._collected.append((key, dumps(message)))  # type: ignore[no-untyped-call]

    def _poll_error(self, type: str, **options: Any) -> None:
        if type == "BRPOP" and self._moving_from is not None:
            # The reply is dropped, as kombu drops a BRPOP's; the message stays in flight
            # and comes back after the visibility timeout.
            self._moving_from = None
            self.client.parse_response(self.client.connection, "BLMOVE")
            return
        super()._poll_error(type, **options)  # type: ignore[no-untyped-call]

    def restore_abandoned_in_flight(self, after: float) -> None:
        """Put back the messages that stayed in flight for ``after`` seconds (as long as a
        holder's list is trusted): a live consumer moves its own on within milliseconds,
        and one whose recording failed (a failover, a lost connection) holds none of them."""
        now = monotonic()
        still: dict[tuple[str, bytes], float] = {}
        with self.conn_or_acquire() as client:
            while _abandoned_in_flight:
                key, queue_key, raw = _abandoned_in_flight[0]
                # Only what is still in flight goes back: the failed write may have been done.
                _unprefixed(client, "EVAL", _RESTORE_IN_FLIGHT, 2, key, queue_key, raw)
                _abandoned_in_flight.pop(0)
            for queue in sorted(self.active_queues):
                key = self.in_flight_key(queue)
                for raw in _unprefixed(client, "LRANGE", key, 0, -1):
                    since = self._in_flight_since.get((queue, raw), now)
                    if now - since < after:
                        still[(queue, raw)] = since
                        continue
                    queue_key = f"{self.global_keyprefix}{queue}"
                    _unprefixed(client, "EVAL", _RESTORE_IN_FLIGHT, 2, key, queue_key, raw)
        self._in_flight_since = still


class SentinelChannel(Channel, kombu_redis.SentinelChannel):
    """The same channel on the primary that the sentinels name. With kombu's own, a worker
    whose ``BRPOP`` reply died with a killed primary lost that message: the pop had reached
    the replica, which was promoted without it (one article of 134 in a failover run)."""


class Transport(kombu_redis.Transport):
    Channel = Channel

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[no-untyped-call]
        self.cycle = Poller()  # type: ignore[no-untyped-call, assignment]


class SentinelTransport(Transport, kombu_redis.SentinelTransport):
    Channel = SentinelChannel


class SocketTransport(Transport):
    """The same transport on a unix socket (the embedded Redis), reached as ``socket://PATH``.
    kombu's own spelling, ``redis+socket://PATH``, makes ``Connection`` take the transport
    from the URL over the one Celery names; and a transport that cannot parse URLs has its
    URL parsed by ``Connection``, which reads the socket's path as the database. This one
    leaves the URL whole to the channel's ``_connparams``, which connects to ``socket://``
    hosts on their unix socket (kombu 5.7.0), as it does for kombu's spelling."""

    can_parse_url = True


class Connection(KombuConnection):
    """kombu's connection, which keeps the transport it was made with when it fails over to
    the next URL of its list. kombu's ``switch`` takes the transport from that URL's scheme:
    a worker whose primary was lost reconnected through the second sentinel's ``sentinel://``
    with kombu's own transport, without any of this module's fixes, and no sweep ran again.
    In the failover suite a task a failover had taken back came back only after the
    visibility timeout (20 s there instead of 10), and in one run an article was not
    delivered again within 100 s."""

    def switch(self, conn_str: str) -> None:
        super().switch(conn_str)  # type: ignore[no-untyped-call]
        self.transport_cls = self._initial_params["transport"] or self.transport_cls


class Amqp(AMQP):  # type: ignore[misc]  # Celery is untyped
    """Celery's messaging with :class:`Connection` (``Celery(amqp=...)``)."""

    Connection = Connection


TRANSPORT = f"{__name__}:Transport"
SENTINEL_TRANSPORT = f"{__name__}:SentinelTransport"
SOCKET_TRANSPORT = f"{__name__}:SocketTransport"
KOMBU_SOCKET_SCHEME = "redis+socket://"
SOCKET_SCHEME = "socket://"


def celery_broker(broker_url: str) -> dict[str, str]:
    """Celery's ``broker_url`` and ``broker_transport`` for a broker URL as kombu spells it
    (``redis://``, ``rediss://``, ``sentinel://``, ``redis+socket://``): always one of this
    module's transports, the unix socket of the embedded Redis included, spelled
    ``socket://`` for :class:`SocketTransport`."""
    if broker_url.startswith("sentinel://"):
        return {"broker_url": broker_url, "broker_transport": SENTINEL_TRANSPORT}
    if broker_url.startswith(KOMBU_SOCKET_SCHEME):
        socket_url = SOCKET_SCHEME + broker_url.removeprefix(KOMBU_SOCKET_SCHEME)
        return {"broker_url": socket_url, "broker_transport": SOCKET_TRANSPORT}
    return {"broker_url": broker_url, "broker_transport": TRANSPORT}


def by_scheme(broker_url: str) -> dict[str, str | None]:
    """Celery's broker settings that leave the transport to kombu's choice by the URL's
    scheme, for a client that picks its own by that scheme (Flower): a ``broker_url`` of
    :func:`celery_broker` spelled back as kombu spells it, and no ``broker_transport``."""
    if broker_url.startswith(SOCKET_SCHEME):
        broker_url = KOMBU_SOCKET_SCHEME + broker_url.removeprefix(SOCKET_SCHEME)
    return {"broker_url": broker_url, "broker_transport": None}
