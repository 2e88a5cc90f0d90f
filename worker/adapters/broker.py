"""kombu's Redis transport, with the one fix that keeps a worker alive when Redis restarts.

Seen in the compose demo and in a run against a Redis restarted under it (celery 5.7.0,
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
"""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        if self.connection.client is None:
            raise redis.ConnectionError("broker: channel of a lost connection")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[no-untyped-call]


class Transport(kombu_redis.Transport):
    Channel = Channel


TRANSPORT = f"{__name__}:Transport"


def transport_for(broker_url: str) -> str | None:
    """This transport for ``redis://`` and ``rediss://`` brokers; None (kombu's choice by
    scheme) for the others: kombu picks the transport of a ``redis+socket://`` URL (the
    embedded Redis, which lives and dies with its command) from the URL alone, and a
    ``sentinel://`` URL needs kombu's Sentinel transport."""
    return TRANSPORT if broker_url.startswith(("redis://", "rediss://")) else None
