"""A message a worker has taken from its queue and not yet written to kombu's unacked hash
is not lost when the worker dies. The worker's consumer waits on its queue, a message
comes, and the worker is killed before it reads the reply: with kombu's transport
(``BRPOP``) the message is gone from Redis; with ours (``BLMOVE`` into an in-flight list) a
live worker's sweep puts it back after the visibility timeout. Against a real Redis; the
killed worker's socket is closed unread, which is what Redis sees of a SIGKILL."""

from __future__ import annotations

import time
from typing import Any

import redis
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.message import Message
from kombu.transport import redis as kombu_redis

from worker.adapters.broker import Transport
from worker.keys import ARTICLES_QUEUE, Keys

QUEUE = Queue(ARTICLES_QUEUE, Exchange(ARTICLES_QUEUE), routing_key=ARTICLES_QUEUE)
VISIBILITY_TIMEOUT = 1
BODY = {"url": "https://example.com/a"}


def connect(redis_url: str, keys: Keys, transport: Any) -> Connection:
    options = {
        "global_keyprefix": keys.broker_prefix,
        "priority_steps": [0],  # as worker/app.py
        "visibility_timeout": VISIBILITY_TIMEOUT,
    }
    return Connection(redis_url, transport=transport, transport_options=options)


def consume(connection: Connection, held: list[Message]) -> Any:
    channel = connection.default_channel
    Consumer(channel, [QUEUE], callbacks=[lambda body, message: held.append(message)]).consume()
    return channel


def publish(redis_url: str, keys: Keys, transport: Any) -> None:
    with connect(redis_url, keys, transport) as connection:
        Producer(connection.default_channel).publish(
            BODY, exchange=QUEUE.exchange, routing_key=ARTICLES_QUEUE, declare=[QUEUE]
        )


def taken_by_a_worker_that_dies(redis_url: str, keys: Keys, transport: Any) -> None:
    """A consumer waits on the queue (its event loop's pending read); a message is published
    and handed to it by Redis; the consumer dies before it reads the reply."""
    connection = connect(redis_url, keys, transport)
    channel = consume(connection, [])
    channel.connection.cycle.on_poll_start()  # as the worker's event loop: the read is sent
    publish(redis_url, keys, transport)
    client = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 10
    while client.llen(keys.broker_queue(ARTICLES_QUEUE)) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 0, "Redis handed it over"
    client.close()
    channel.client.connection.disconnect()  # the reply is never read


def test_kombus_redis_transport_loses_a_message_its_worker_took_and_did_not_record(
    redis_url: str, keys: Keys
) -> None:
    # If this starts failing, kombu takes messages safely and our BLMOVE can go.
    taken_by_a_worker_that_dies(redis_url, keys, kombu_redis.Transport)
    client = redis.Redis.from_url(redis_url)
    assert client.hlen(keys.broker_unacked) == 0
    assert list(client.scan_iter(match=f"{keys.broker_queue(ARTICLES_QUEUE)}*")) == []
    client.close()


def test_our_transport_gives_back_a_message_its_worker_took_and_did_not_record(
    redis_url: str, keys: Keys
) -> None:
    taken_by_a_worker_that_dies(redis_url, keys, Transport)
    client = redis.Redis.from_url(redis_url)
    in_flight = keys.broker_in_flight(ARTICLES_QUEUE)
    assert client.llen(in_flight) == 1

    held: list[Message] = []
    with connect(redis_url, keys, Transport) as survivor:
        channel = consume(survivor, held)
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
    redis_url: str, keys: Keys
) -> None:
    publish(redis_url, keys, Transport)
    held: list[Message] = []
    with connect(redis_url, keys, Transport) as connection:
        consume(connection, held)
        connection.drain_events(timeout=5)
        assert [message.payload for message in held] == [BODY]
        client = redis.Redis.from_url(redis_url)
        assert client.llen(keys.broker_in_flight(ARTICLES_QUEUE)) == 0
        assert client.hlen(keys.broker_unacked) == 1
        client.close()
