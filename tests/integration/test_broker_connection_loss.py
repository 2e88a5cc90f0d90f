"""The crash a Redis restart caused, reproduced step by step as Celery's consumer takes it
(celery 5.7 ``Consumer.on_connection_error_after_connected``): a message delivered and not
yet acknowledged, a ``BRPOP`` waiting for the next one, Redis gone; then ``collect()`` and
``close()`` of the connection. kombu's Redis transport raises AttributeError there (the
worker's "Unrecoverable error"); ours raises a connection error, which Celery ignores.
The whole-pipeline version of this is in ``tests/recovery/test_fault_recovery.py``."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from celery import Celery
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.common import ignore_errors
from kombu.message import Message
from kombu.transport import redis as kombu_redis
from redis_servers import RedisServer

from worker.adapters.broker import Amqp, SentinelTransport, Transport, celery_broker

QUEUE = Queue("articles", Exchange("articles"), routing_key="articles")
OPTIONS = {"priority_steps": [0]}  # as worker/app.py: ours waits with BLMOVE, not BRPOP


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    if server.running:
        server.stop()


def close_after_losing_redis(server: RedisServer, transport: Any) -> None:
    """The steps of the worker's traceback: a late-acked message delivered and a BRPOP
    waiting for the next when Redis dies; Celery's ``collect()`` closes the channel, which
    fails reading the BRPOP reply (so the channel stays open) and detaches the transport;
    then Celery closes the connection, which closes the channel again."""
    connection = Connection(server.url, transport=transport, transport_options=OPTIONS)
    channel = connection.default_channel
    Producer(channel).publish({"url": "https://example.com/"}, exchange=QUEUE.exchange,
                              routing_key="articles", declare=[QUEUE])  # fmt: skip
    held: list[Message] = []
    Consumer(channel, [QUEUE], callbacks=[lambda body, message: held.append(message)]).consume()
    connection.drain_events(timeout=5)
    assert held and channel.qos._delivered, "a message must be held, unacknowledged"
    channel._brpop_start()  # waiting for the next message, as the worker's event loop does
    server.stop(signal.SIGKILL)

    connection.maybe_close_channel(channel)  # inside collect(): the BRPOP read fails
    assert not channel.closed
    connection._do_close_transport()  # the end of collect()
    ignore_errors(connection, connection.close)  # Celery's next step


def test_kombus_redis_transport_crashes_closing_a_channel_after_losing_redis(
    server: RedisServer,
) -> None:
    # The worker's "Unrecoverable error" (issue 19). If this starts failing, kombu fixed
    # the bug and worker/adapters/broker.py can go.
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'hostname'"):
        close_after_losing_redis(server, kombu_redis.Transport)


def test_our_transport_closes_the_channel_after_losing_redis(server: RedisServer) -> None:
    close_after_losing_redis(server, Transport)  # no AttributeError: the worker lives on


def test_our_transports_are_used_for_tcp_tls_sentinel_and_unix_socket_brokers() -> None:
    sentinels = "sentinel://127.0.0.1:26379;sentinel://127.0.0.1:26380"
    assert celery_broker("redis://127.0.0.1:6379/0") == {
        "broker_url": "redis://127.0.0.1:6379/0",
        "broker_transport": "worker.adapters.broker:Transport",
    }
    assert celery_broker("rediss://redis.example:6380/0") == {
        "broker_url": "rediss://redis.example:6380/0",
        "broker_transport": "worker.adapters.broker:Transport",
    }
    assert celery_broker(sentinels) == {
        "broker_url": sentinels,
        "broker_transport": "worker.adapters.broker:SentinelTransport",
    }
    # kombu would take its own transport from a redis+ prefix: ours reads socket:// URLs.
    assert celery_broker("redis+socket:///tmp/redis.sock") == {
        "broker_url": "socket:///tmp/redis.sock",
        "broker_transport": "worker.adapters.broker:SocketTransport",
    }


@pytest.mark.parametrize("scheme", ["sentinel", "redis"])
def test_a_connection_that_fails_over_to_the_next_url_keeps_our_transport(scheme: str) -> None:
    # kombu's own connection takes kombu's transport from the next URL's scheme.
    app = Celery(amqp=Amqp)
    app.conf.update(celery_broker(f"{scheme}://127.0.0.1:26379;{scheme}://127.0.0.1:26380"))
    expected = SentinelTransport if scheme == "sentinel" else Transport
    with app.connection_for_read() as connection:
        for port in (26380, 26379):  # round robin, back to the first
            connection.maybe_switch_next()
            assert connection.port == port
            assert type(connection.transport) is expected
