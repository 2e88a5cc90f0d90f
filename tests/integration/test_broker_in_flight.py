"""A message a worker has taken from its queue and not yet written to kombu's unacked hash
is not lost when the worker dies. The worker's consumer waits on its queue, a message
comes, and the worker is killed before it reads the reply: with kombu's transport
(``BRPOP``) the message is gone from Redis; with ours (``BLMOVE`` into an in-flight list) a
live worker's sweep puts it back after the visibility timeout. Against a real Redis, on TCP
and on the embedded server's unix socket (the default of ``wirestream run`` and ``demo``);
the killed worker's socket is closed unread, which is what Redis sees of a SIGKILL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.message import Message
from kombu.transport import redis as kombu_redis

from worker.adapters.broker import Channel, celery_broker
from worker.adapters.embedded_redis import EmbeddedRedis
from worker.adapters.redis_client import celery_transport
from worker.keys import ARTICLES_QUEUE, Keys

QUEUE = Queue(ARTICLES_QUEUE, Exchange(ARTICLES_QUEUE), routing_key=ARTICLES_QUEUE)
VISIBILITY_TIMEOUT = 1
BODY = {"url": "https://example.com/a"}


@dataclass(frozen=True)
class Broker:
    """One Redis as each client reaches it, its URLs made as ``worker/app.py`` makes them."""

    redis_url: str  # redis-py's
    kombu_url: str  # kombu's spelling, with which kombu picks its own transport
    url: str  # Celery's broker_url, for our transport
    transport: str


@pytest.fixture(params=["tcp", "embedded"])
def broker(request: pytest.FixtureRequest, redis_url: str, tmp_path: Path) -> Iterator[Broker]:
    server = EmbeddedRedis(tmp_path / "data") if request.param == "embedded" else None
    if server is not None:
        assert server.start()
        redis_url = server.url  # unix://
    kombu_url = celery_transport(redis_url)["broker_url"]
    ours = celery_broker(kombu_url)
    yield Broker(redis_url, kombu_url, ours["broker_url"], ours["broker_transport"])
    if server is not None:
        server.stop()


def connect(url: str, keys: Keys, transport: Any) -> Connection:
    options = {
        "global_keyprefix": keys.broker_prefix,
        "priority_steps": [0],  # as worker/app.py
        "visibility_timeout": VISIBILITY_TIMEOUT,
    }
    return Connection(url, transport=transport, transport_options=options)


def consume(connection: Connection, held: list[Message]) -> Any:
    channel = connection.default_channel
    Consumer(channel, [QUEUE], callbacks=[lambda body, message: held.append(message)]).consume()
    return channel


def publish(url: str, keys: Keys, transport: Any) -> None:
    with connect(url, keys, transport) as connection:
        Producer(connection.default_channel).publish(
            BODY, exchange=QUEUE.exchange, routing_key=ARTICLES_QUEUE, declare=[QUEUE]
        )


def taken_by_a_worker_that_dies(broker: Broker, keys: Keys, url: str, transport: Any) -> None:
    """A consumer waits on the queue (its event loop's pending read); a message is published
    and handed to it by Redis; the consumer dies before it reads the reply."""
    connection = connect(url, keys, transport)
    channel = consume(connection, [])
    channel.connection.cycle.on_poll_start()  # as the worker's event loop: the read is sent
    publish(url, keys, transport)
    client = redis.Redis.from_url(broker.redis_url)
    deadline = time.monotonic() + 10
    while client.llen(keys.broker_queue(ARTICLES_QUEUE)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 0, "Redis handed it over"
    client.close()
    channel.client.connection.disconnect()  # the reply is never read


def test_kombus_redis_transport_loses_a_message_its_worker_took_and_did_not_record(
    broker: Broker, keys: Keys
) -> None:
    # If this starts failing, kombu takes messages safely and our BLMOVE can go.
    taken_by_a_worker_that_dies(broker, keys, broker.kombu_url, kombu_redis.Transport)
    client = redis.Redis.from_url(broker.redis_url)
    assert client.hlen(keys.broker_unacked) == 0
    assert list(client.scan_iter(match=f"{keys.broker_queue(ARTICLES_QUEUE)}*")) == []
    client.close()


def test_our_transport_gives_back_a_message_its_worker_took_and_did_not_record(
    broker: Broker, keys: Keys
) -> None:
    taken_by_a_worker_that_dies(broker, keys, broker.url, broker.transport)
    client = redis.Redis.from_url(broker.redis_url)
    in_flight = keys.broker_in_flight(ARTICLES_QUEUE)
    assert client.llen(in_flight) == 1

    held: list[Message] = []
    with connect(broker.url, keys, broker.transport) as survivor:
        channel = consume(survivor, held)
        assert isinstance(channel, Channel)
        channel.qos.restore_visible(interval=1)  # sees it in flight
        assert client.llen(in_flight) == 1, "not before the visibility timeout"
        time.sleep(VISIBILITY_TIMEOUT + 0.2)
        channel.qos.restore_visible(interval=1)  # still there: its worker is gone
        survivor.drain_events(timeout=5)
        assert [message.payload for message in held] == [BODY]
        assert client.llen(in_flight) == 0
        assert client.hlen(keys.broker_unacked) == 1  # held by the survivor until its ack
        held[0].ack()
        assert client.hlen(keys.broker_unacked) == 0
    client.close()


def test_a_delivered_message_leaves_the_in_flight_list_for_the_unacked_hash(
    broker: Broker, keys: Keys
) -> None:
    publish(broker.url, keys, broker.transport)
    held: list[Message] = []
    with connect(broker.url, keys, broker.transport) as connection:
        consume(connection, held)
        connection.drain_events(timeout=5)
        assert [message.payload for message in held] == [BODY]
        client = redis.Redis.from_url(broker.redis_url)
        assert client.llen(keys.broker_in_flight(ARTICLES_QUEUE)) == 0
        assert client.hlen(keys.broker_unacked) == 1
        client.close()


def publish_many(url: str, keys: Keys, transport: Any, bodies: list[dict[str, int]]) -> None:
    with connect(url, keys, transport) as connection:
        producer = Producer(connection.default_channel)
        for body in bodies:
            producer.publish(
                body, exchange=QUEUE.exchange, routing_key=ARTICLES_QUEUE, declare=[QUEUE]
            )


def delivered_and_acked(connection: Connection, held: list[Message], count: int) -> list[int]:
    """Wait until ``count`` messages are held, ack them all; their body numbers, sorted."""
    while len(held) < count:
        connection.drain_events(timeout=5)
    for message in held:
        message.ack()
    return sorted(message.payload["n"] for message in held)


def test_a_consumer_takes_the_waiting_messages_at_once_as_far_as_its_prefetch_allows(
    broker: Broker, keys: Keys
) -> None:
    bodies = [{"n": n} for n in range(5)]
    publish_many(broker.url, keys, broker.transport, bodies)
    client = redis.Redis.from_url(broker.redis_url)
    held: list[Message] = []
    with connect(broker.url, keys, broker.transport) as connection:
        channel = consume(connection, held)
        channel.basic_qos(prefetch_count=3)
        connection.drain_events(timeout=5)  # one read of the queue
        assert [message.payload for message in held] == bodies[:3]
        assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 2
        assert client.llen(keys.broker_in_flight(ARTICLES_QUEUE)) == 0
        assert client.hlen(keys.broker_unacked) == 3
        assert client.zcard(keys.broker_unacked_index) == 3

        for message in held:
            message.ack()
        connection.drain_events(timeout=5)
        assert [message.payload for message in held] == bodies
        assert client.hlen(keys.broker_unacked) == 2
    client.close()


def test_messages_taken_together_are_given_back_one_by_one_when_rejected_or_abandoned(
    broker: Broker, keys: Keys
) -> None:
    """The unacked entries written for a batch are kombu's own: a rejected message goes back
    to its queue, and the rest, held by a consumer that is gone, come back after the
    visibility timeout."""
    bodies = [{"n": n} for n in range(3)]
    publish_many(broker.url, keys, broker.transport, bodies)
    client = redis.Redis.from_url(broker.redis_url)
    held: list[Message] = []
    connection = connect(broker.url, keys, broker.transport)
    consume(connection, held)
    connection.drain_events(timeout=5)
    assert [message.payload for message in held] == bodies
    held[0].reject(requeue=True)
    assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 1
    assert client.hlen(keys.broker_unacked) == 2
    connection.default_channel.client.connection.disconnect()  # gone, unacknowledged

    again: list[Message] = []
    with connect(broker.url, keys, broker.transport) as survivor:
        channel = consume(survivor, again)
        time.sleep(VISIBILITY_TIMEOUT + 0.2)
        channel.qos.restore_visible(interval=1)
        assert delivered_and_acked(survivor, again, len(bodies)) == [0, 1, 2]
        assert client.hlen(keys.broker_unacked) == 0
    connection.release()  # finds nothing of its own left to give back
    assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 0
    client.close()


def test_a_batch_whose_recording_failed_is_put_back_by_the_next_sweep(
    broker: Broker, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The messages were moved into the in-flight list, then the write that records them
    failed (a failover broke the connection): the worker delivers none of them, and its next
    sweep puts them back at once, not after the holder lists' trust."""
    bodies = [{"n": n} for n in range(3)]
    publish_many(broker.url, keys, broker.transport, bodies)
    client = redis.Redis.from_url(broker.redis_url)
    in_flight = keys.broker_in_flight(ARTICLES_QUEUE)
    held: list[Message] = []
    with connect(broker.url, keys, broker.transport) as connection:
        channel = consume(connection, held)
        moves_only = redis.client.Pipeline.execute

        def lost_after_the_moves(pipe: Any, *args: Any, **kwargs: Any) -> Any:
            if pipe.transaction:
                raise redis.ConnectionError("connection lost after the moves")
            return moves_only(pipe, *args, **kwargs)

        monkeypatch.setattr(redis.client.Pipeline, "execute", lost_after_the_moves)
        with pytest.raises(redis.ConnectionError):
            connection.drain_events(timeout=5)
        monkeypatch.undo()
        assert held == []
        assert client.llen(in_flight) == 3

        channel.qos.restore_visible()
        assert client.llen(in_flight) == 0
        assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 3
        assert delivered_and_acked(connection, held, len(bodies)) == [0, 1, 2]
    assert client.hlen(keys.broker_unacked) == 0
    client.close()
