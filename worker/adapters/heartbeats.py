"""Which Celery workers are alive, from a short-lived key each one refreshes: read by every
container health check, so this module imports no more than Redis needs."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime
from typing import cast

from worker.adapters.redis_client import (
    RedisClient,
    RedisOptions,
    connect,
    get_values,
    redis_errors,
)
from worker.errors import RetryableError
from worker.keys import Keys
from worker.logs import get_logger
from worker.settings import Settings

log = get_logger(__name__)


class WorkerHeartbeats:
    """Which Celery workers are alive: each refreshes a short-lived key at every heartbeat,
    so a health check or the status screen knows at once, without a broadcast ping."""

    def __init__(self, client: RedisClient, keys: Keys, *, ttl_seconds: int = 10) -> None:
        self._redis = client
        self._keys = keys
        self._ttl = ttl_seconds

    def beat(self, worker: str, now: datetime) -> None:
        with redis_errors("heartbeat", worker):
            self._redis.set(self._keys.worker_heartbeat(worker), now.timestamp(), ex=self._ttl)

    def alive(self) -> dict[str, datetime]:
        """Worker name -> its last heartbeat, for every worker heard from within the TTL."""
        prefix = self._keys.worker_heartbeat("")
        with redis_errors("heartbeat", self._keys.worker_heartbeats):
            names = sorted(self._redis.scan_iter(match=self._keys.worker_heartbeats, count=1000))
            stamps = cast(list[str | None], get_values(self._redis, names)) if names else []
        return {
            name.removeprefix(prefix): datetime.fromtimestamp(float(stamp), UTC)
            for name, stamp in zip(names, stamps, strict=True)
            if stamp is not None
        }


class BackgroundHeartbeats:
    """Writes a worker's heartbeats from a thread of its own, the latest one first, so that
    its caller, the worker's event loop, never waits on Redis: a heartbeat written on a
    connection to a Redis whose host was lost held the loop, and every task, for a whole
    socket timeout at each beat (tests/integration/test_broker_silence.py)."""

    @classmethod
    def for_worker(cls, settings: Settings, redis_url: str) -> BackgroundHeartbeats:
        """With a client of their own: the broker's socket timeout and no retry, so that a
        beat on a dead connection gives way to the next one within that timeout."""
        options = replace(
            RedisOptions.from_settings(settings),
            socket_timeout=settings.broker_socket_timeout,
            failover_seconds=0,
        )
        return cls(WorkerHeartbeats(connect(redis_url, options), Keys.for_settings(settings)))

    def __init__(self, heartbeats: WorkerHeartbeats) -> None:
        self._heartbeats = heartbeats
        self._lock = threading.Lock()
        self._latest: tuple[str, datetime] | None = None
        self._due = threading.Event()
        threading.Thread(target=self._write_forever, name="heartbeats", daemon=True).start()

    def beat(self, worker: str, now: datetime) -> None:
        with self._lock:
            self._latest = (worker, now)
        self._due.set()

    def _write_forever(self) -> None:
        while True:
            self._due.wait()
            self._due.clear()
            with self._lock:
                latest, self._latest = self._latest, None
            if latest is None:
                continue
            try:
                self._heartbeats.beat(*latest)
            except RetryableError:
                pass  # Redis away: no heartbeat to record, and the worker reconnects on its own
            except Exception as error:  # the thread must outlive any one beat
                log.error("heartbeat_not_written", worker=latest[0], error=str(error))
