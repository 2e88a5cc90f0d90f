"""Which Celery workers are alive, from a short-lived key each one refreshes: read by every
container health check, so this module imports no more than Redis needs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

from worker.adapters.redis_client import RedisClient, get_values, redis_errors
from worker.keys import Keys


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
