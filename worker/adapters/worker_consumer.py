"""Celery's worker consumer, with a pause before reconnecting to a broker that failed it again
at once.

A Redis that answers but refuses the worker's commands (maxmemory reached: ``OOM``; a full
disk: ``MISCONF``; a replica left without its own: ``NOREPLICAS``) fails the consumer right
after each reconnect, and kombu's retry intervals only apply to a connection that cannot be
made. Celery 5.7 then restarts its consumer at once, five times a second (its only brake is
``Frequent restarts detected``, logged as critical with a traceback every second): measured
here, an idle articles worker opened 150 connections in 10 s of ``OOM`` and wrote 70 log
lines. Here a failure that comes less than :data:`QUICK_FAILURE` seconds after the previous
reconnect pauses the consumer first, 1 s, then twice as long each time up to
:data:`MAX_PAUSE`; a first failure (a Redis restart, a failover) reconnects at once, as
before. Messages the worker held come back from Redis as after any lost connection.

A connection lost to silence (a socket timeout: the broker's host is gone, no reset) is
also closed without a word to the server, with the event dispatcher's, before the restart:
Celery's restart otherwise waited out a socket timeout on each of them.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import redis
from celery.exceptions import CPendingDeprecationWarning
from celery.worker import state
from celery.worker.consumer import Consumer

from worker.adapters.broker import Channel
from worker.logs import get_logger

log = get_logger(__name__)

# Celery warns at every lost connection, in ten lines, that it will cancel running tasks by
# default one day; worker/app.py says why ours go on, and says so explicitly.
warnings.filterwarnings(
    "ignore",
    message=r"\s*In Celery 5\.1 we introduced an optional breaking change",
    category=CPendingDeprecationWarning,
)

# A connection that failed sooner than this after it was made failed "at once".
QUICK_FAILURE = 5.0
FIRST_PAUSE = 1.0
# Also the longest a worker waits after the broker stops refusing its commands: 16 s made
# the failover suite's min-replicas split brain 12 s slower to publish again; a consumer of
# the stream waits at most as long between rounds (OUTAGE_WAIT_MAX).
MAX_PAUSE = 5.0
# A pause is slept in slices, so that a shutdown asked for meanwhile is not kept waiting.
_SLICE = 0.25


@dataclass
class ReconnectBackoff:
    """How long to pause before reconnecting, given when the connection was made and when it
    failed (monotonic seconds)."""

    pause: float = 0.0
    connected_at: float | None = None

    def connected(self, now: float) -> None:
        self.connected_at = now

    def failed(self, now: float) -> float:
        """The pause before the next reconnect: none after a connection that lasted, longer
        each time one fails at once or cannot be set up."""
        lasted = self.connected_at is not None and now - self.connected_at >= QUICK_FAILURE
        self.connected_at = None
        self.pause = 0.0 if lasted else min(max(self.pause * 2, FIRST_PAUSE), MAX_PAUSE)
        return self.pause


class PatientConsumer(Consumer):  # type: ignore[misc]
    """The consumer of ``worker_consumer`` (``worker/app.py``)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.reconnect_backoff = ReconnectBackoff()

    def connect(self) -> object:
        connection = super().connect()
        self.reconnect_backoff.connected(time.monotonic())
        return connection

    def on_connection_error_after_connected(self, exc: BaseException) -> None:
        if isinstance(exc, redis.TimeoutError):
            self._drop_silent_connections()
        super().on_connection_error_after_connected(exc)
        self._pause_after(exc)

    def on_connection_error_before_connected(self, exc: BaseException) -> None:
        # A connection that cannot be made is retried inside kombu, with its own intervals;
        # what ends up here is a connection made, then refused while being set up.
        super().on_connection_error_before_connected(exc)
        self._pause_after(exc)

    def _drop_silent_connections(self) -> None:
        """Close the connections of the consumer and of its event dispatcher without a word to
        a server that stopped answering (its host lost: no reset). Left open, the restart
        waited out one socket timeout on each before reconnecting: closing the consumer's
        channel read its pending BLMOVE, and the heartbeat's worker-offline event was
        published on the dispatcher's (tests/integration/test_broker_silence.py)."""
        dispatcher = getattr(self, "event_dispatcher", None)
        for connection in (self.connection, getattr(dispatcher, "connection", None)):
            transport = getattr(connection, "_transport", None)  # only if one was made
            for channel in getattr(transport, "channels", ()):
                if isinstance(channel, Channel):
                    channel.drop_connections()

    def _pause_after(self, exc: BaseException) -> None:
        pause = self.reconnect_backoff.failed(time.monotonic())
        if not pause:
            return
        log.warning("broker_reconnect_paused", seconds=pause, error=repr(exc))
        deadline = time.monotonic() + pause
        while (left := deadline - time.monotonic()) > 0:
            state.maybe_shutdown()
            time.sleep(min(_SLICE, left))
