"""The Redis connection: built once per process, errors translated once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import redis

from worker.errors import RetryableError

RedisClient = redis.Redis


def connect(url: str, *, max_connections: int = 64) -> RedisClient:
    """A client whose pool waits for a free connection rather than failing under threads."""
    pool = redis.BlockingConnectionPool.from_url(
        url,
        max_connections=max_connections,
        timeout=20,
        decode_responses=True,
        health_check_interval=30,
        socket_connect_timeout=10,
    )
    return redis.Redis(connection_pool=pool)


def mask_url(url: str) -> str:
    """The URL with any password replaced, fit for logs and error messages."""
    parts = urlsplit(url)
    if not parts.password:  # none, or empty as in redis://:@host (an unset REDIS_PASSWORD)
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, ""))


@contextmanager
def redis_errors(stage: str, subject: str) -> Iterator[None]:
    """Redis being unreachable is a retryable failure of whatever stage was talking to it."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise RetryableError(stage, subject, f"Redis unavailable: {error}") from error
