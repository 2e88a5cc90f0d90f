"""The Redis connection: built once per process, errors translated once.

Every Redis client of the project comes from :func:`connect` (the pipeline's services, the
CLI through ``runtime.redis_for``, consumers), and Celery's broker from
:func:`celery_transport`: one place decides between one server, a Sentinel deployment and a
Redis Cluster, plain TCP and TLS, and how long a command rides out a failover.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import unquote, urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.retry import Retry, is_retryable_connect_error
from redis.sentinel import (
    Sentinel,
    SentinelConnectionPool,
    SentinelManagedConnection,
    SentinelManagedSSLConnection,
)

from worker.errors import ConfigError, RedisUnavailable

if TYPE_CHECKING:
    from worker.settings import Settings

RedisClient = redis.Redis

# A failover is noticed by the sentinels after their down-after-milliseconds, then a replica
# is promoted: commands retry with a backoff capped at this many seconds until it is done.
RETRY_BACKOFF_CAP = 1.0
RETRY_BACKOFF_BASE = 0.1


@dataclass(frozen=True)
class RedisOptions:
    """How to reach Redis beyond its URL: a cluster, sentinels, TLS files, the failover budget,
    the wait for a reply."""

    cluster: bool = False
    sentinels: tuple[tuple[str, int], ...] = ()
    sentinel_master: str = "wirestream"
    sentinel_password: str | None = None
    failover_seconds: float = 30.0
    socket_timeout: float = 10.0
    tls_ca_file: Path | None = None
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> RedisOptions:
        return cls(
            cluster=settings.redis_cluster,
            sentinels=tuple(split_address(address) for address in settings.redis_sentinels),
            sentinel_master=settings.redis_sentinel_master,
            sentinel_password=settings.redis_sentinel_password,
            failover_seconds=settings.redis_failover_seconds,
            socket_timeout=settings.redis_socket_timeout,
            tls_ca_file=settings.redis_tls_ca_file,
            tls_cert_file=settings.redis_tls_cert_file,
            tls_key_file=settings.redis_tls_key_file,
        )

    def retry(self) -> Retry:
        # Sleeps 0.1, 0.2, 0.4, 0.8 s, then 1 s each: about failover_seconds in all; none
        # for a budget of 0 (a caller that tries again soon on its own).
        retries = 4 + math.ceil(self.failover_seconds) if self.failover_seconds > 0 else 0
        backoff = ExponentialBackoff(cap=RETRY_BACKOFF_CAP, base=RETRY_BACKOFF_BASE)
        return Retry(backoff, retries, is_retryable=worth_retrying)

    def tls_parameters(self) -> dict[str, Any]:
        """redis-py's (and kombu's) TLS keywords: the server's certificate is always checked."""
        return {
            "ssl_cert_reqs": ssl.CERT_REQUIRED,
            "ssl_ca_certs": str(self.tls_ca_file) if self.tls_ca_file else None,
            "ssl_certfile": str(self.tls_cert_file) if self.tls_cert_file else None,
            "ssl_keyfile": str(self.tls_key_file) if self.tls_key_file else None,
        }


def worth_retrying(error: Exception) -> bool:
    """A server that is down may come back (or be replaced); wrong credentials, a server
    certificate that does not verify and a missing socket file will not, so they fail at
    once instead of after the failover budget."""
    if isinstance(error, redis.AuthenticationError):
        return False
    if isinstance(error.__cause__, ssl.SSLCertVerificationError):
        return False
    return is_retryable_connect_error(error)


def split_address(address: str) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


class PrimaryConnection(SentinelManagedConnection):
    """A connection through the sentinels that asks them for the primary's address on every
    attempt to reconnect.

    redis-py 8.2 reconnects a connection that lost its socket (``send_packed_command``, the
    next command after a failed one) through ``connect_check_health``, which retries the
    address of its last connection for the whole retry budget without asking the sentinels
    (redis/redis-py#3874): a command in flight when the primary was killed kept knocking on
    the dead primary for the failover budget (32 s, then failed) while every other command
    had moved to the new primary within 2.4 s (``tests/integration/test_sentinel_failover.py``
    and the failover suite, where such a task held the last articles for 20 s). Here that
    path goes through ``connect``, which asks the sentinels at each attempt."""

    def connect_check_health(
        self, check_health: bool = True, retry_socket_connect: bool = True
    ) -> None:
        if retry_socket_connect:  # not from connect_to, which has just asked the sentinels
            self.connect()  # type: ignore[no-untyped-call]
            return
        super().connect_check_health(check_health=check_health, retry_socket_connect=False)


class PrimarySSLConnection(PrimaryConnection, SentinelManagedSSLConnection):
    """The same over TLS."""


class BlockingSentinelConnectionPool(SentinelConnectionPool, redis.BlockingConnectionPool):
    """The primary's address from the sentinels, and a thread waits for a free connection
    instead of failing (the feeds worker runs 64 threads on one client)."""


def connect(
    url: str, options: RedisOptions | None = None, *, max_connections: int = 64
) -> RedisClient:
    """A client whose pool waits for a free connection rather than failing under threads, and
    whose commands are retried while the server is unreachable for up to the failover budget.

    With sentinels in ``options``, ``url`` gives only the scheme (``rediss://``: TLS), the
    user, the password and the database; the primary's address comes from the sentinels and
    is asked again after a failover. With ``options.cluster``, ``url`` names one node of a
    Redis Cluster and the client routes each command to the node serving its key's slot."""
    options = options or RedisOptions()
    common: dict[str, Any] = {
        "max_connections": max_connections,
        "timeout": 20,
        "decode_responses": True,
        # A value that is not UTF-8 (a stream entry some other writer added) is read as
        # lone surrogates instead of failing the whole reply, and written back byte for
        # byte: a consumer dead-letters such an entry instead of dying on every read.
        "encoding_errors": "surrogateescape",
        "health_check_interval": 30,
        "socket_connect_timeout": min(10, options.socket_timeout),
        # Ours, not redis-py's (5 s in 8.x, none before): above every blocking read (a
        # consumer's and `tail`'s 5 s), which would otherwise end in a timeout and a
        # reconnect about one time in four; short enough that a command in flight when the
        # server's host vanishes (no reset, no reply) is retried within seconds.
        "socket_timeout": options.socket_timeout,
        "retry": options.retry(),
    }
    parts = urlsplit(url)
    tls = parts.scheme == "rediss"
    if tls:
        common.update(options.tls_parameters())
    if options.cluster:
        return cluster_client(url, common)
    if not options.sentinels:
        pool = redis.BlockingConnectionPool.from_url(url, **common)
        return redis.Redis(connection_pool=pool)
    sentinel_tls = {"ssl": True, **options.tls_parameters()} if tls else {}
    sentinel = Sentinel(
        list(options.sentinels),
        sentinel_kwargs={
            "password": options.sentinel_password,
            "socket_connect_timeout": 5,
            "socket_timeout": 5,
            **sentinel_tls,
        },
    )
    client: RedisClient = sentinel.master_for(
        options.sentinel_master,
        connection_pool_class=BlockingSentinelConnectionPool,
        connection_class=PrimarySSLConnection if tls else PrimaryConnection,
        ssl=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        db=database_of(url),
        **common,
    )
    return client


def cluster_client(url: str, common: dict[str, Any]) -> RedisClient:
    """A Redis Cluster client with a waiting pool per node. Typed as the single-node client:
    it answers the same commands, routed by key slot, so the adapters need no second code
    path; the few that differ (MGET across slots) go through :func:`get_values`."""
    client = RedisCluster.from_url(
        url, connection_pool_class=redis.BlockingConnectionPool, **common
    )
    return cast(RedisClient, client)


def get_values(client: RedisClient, keys: Sequence[str]) -> list[Any]:
    """MGET. On a cluster, keys in different slots are read node by node (not atomically,
    which no caller needs): MGET itself refuses keys of several slots."""
    if isinstance(client, RedisCluster):
        return cast(list[Any], client.mget_nonatomic(list(keys)))
    return cast(list[Any], client.mget(list(keys)))


def disconnect(client: RedisClient) -> None:
    """Close every pooled connection: the server's pool, or each node's on a cluster."""
    if isinstance(client, RedisCluster):
        client.disconnect_connection_pools()
    else:
        client.connection_pool.disconnect()


def database_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def celery_transport(url: str, options: RedisOptions | None = None) -> dict[str, Any]:
    """Celery settings naming the broker: its URL, the transport options that reach it, and
    ``broker_use_ssl`` for TLS. With sentinels, kombu's ``sentinel://`` transport asks them
    for the primary (``master_name``) and reconnects to the new one after a failover."""
    options = options or RedisOptions()
    parts = urlsplit(url)
    tls = parts.scheme == "rediss"
    transport: dict[str, Any] = {}
    config: dict[str, Any] = {"broker_url": broker_url_for(url)}
    if tls:
        config["broker_use_ssl"] = options.tls_parameters()
    if options.sentinels:
        credentials = parts.netloc.rpartition("@")[0]
        userinfo = f"{credentials}@" if credentials else ""
        database = database_of(url)
        config["broker_url"] = ";".join(
            f"sentinel://{userinfo}{host}:{port}/{database}" for host, port in options.sentinels
        )
        sentinel_kwargs: dict[str, Any] = {"password": options.sentinel_password}
        if tls:
            sentinel_kwargs.update(ssl=True, **options.tls_parameters())
        transport.update(master_name=options.sentinel_master, sentinel_kwargs=sentinel_kwargs)
    config["broker_transport_options"] = transport
    return config


def broker_url_for(redis_url: str) -> str:
    """kombu spells a unix socket ``redis+socket://``; redis-py spells it ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url


def mask_url(url: str) -> str:
    """The URL with any password replaced, fit for logs and error messages."""
    parts = urlsplit(url)
    if not parts.password:  # none, or empty as in redis://:@host (an unset REDIS_PASSWORD)
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:***@{host}{port}", parts.path, parts.query, ""))


# The server refusing the credentials or a command (ACLs): a setting to fix, not a retry.
REDIS_REFUSALS = (redis.AuthenticationError, redis.exceptions.NoPermissionError)
# Any other error reply reaching a command's top level: said in one line, not a traceback.
REDIS_REPLY_ERRORS = redis.ResponseError


def reply_error_message(error: Exception) -> str:
    """A Redis error reply, with what to do about the ones a deployment causes."""
    if "WRONGTYPE" in str(error):
        return (
            f"{error} (a key of the namespace holds another kind of value than wirestream"
            " keeps there: something else writes to it; give wirestream a namespace of its"
            " own, WIRESTREAM_NAMESPACE)"
        )
    return str(error)


def refusal_message(error: Exception) -> str:
    return (
        f"{error} (the Redis user in WIRESTREAM_REDIS_URL is refused: check its name,"
        " password and ACL rules; docs/security.md)"
    )


# Error codes of a server that answers but refuses writes for now: memory full (maxmemory
# with noeviction), a failed snapshot (stop-writes-on-bgsave-error), too few replicas
# (min-replicas-to-write). Reads and deletes still go through, so a task that took one of
# these for a failure would be acknowledged and its article lost.
WRITES_REFUSED = ("OOM", "MISCONF", "NOREPLICAS")


def writes_refused(error: Exception) -> bool:
    """A reply of a server that refuses writes for now (redis-py strips the code it knows
    from the message, OOM's among them, and keeps it as ``status_code``)."""
    if not isinstance(error, redis.ResponseError):
        return False
    code = getattr(error, "status_code", None) or str(error).split(" ", 1)[0]
    return isinstance(error, redis.exceptions.OutOfMemoryError) or code in WRITES_REFUSED


@contextmanager
def redis_errors(stage: str, subject: str) -> Iterator[None]:
    """Redis being unreachable, or refusing writes for now, is a retryable failure of
    whatever stage was talking to it."""
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError) as error:
        raise RedisUnavailable(stage, subject, f"Redis unavailable: {error}") from error
    except redis.ResponseError as error:
        if writes_refused(error):
            raise RedisUnavailable(stage, subject, f"Redis refuses writes: {error}") from error
        if "WRONGTYPE" in str(error):
            raise ConfigError(f"{stage}: {subject}: {reply_error_message(error)}") from None
        raise
    except UnicodeDecodeError as error:  # a client of the user's own, decoding strictly
        raise ConfigError(
            f"{stage}: {subject}: a reply is not UTF-8 ({error.reason} at byte {error.start})"
            " and the client decodes strictly: make it with"
            " encoding_errors='surrogateescape' (Consumer.connect's does), and a consumer"
            " dead-letters the entry"
        ) from None
