"""A delivery that no live consumer holds comes back seconds later, not after the visibility
timeout: its consumer died (SIGKILL, OOM, a host cut off), or a failover took back the
acknowledgement of a task that had finished. Every consumer writes the deliveries it holds at
each sweep; a sweep puts back what no trusted list names. Against a real Redis, with kombu
consumers on our transport."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from kombu import Connection, Consumer, Exchange, Producer, Queue
from kombu.message import Message

from worker.adapters import broker as broker_module
from worker.adapters.broker import TRANSPORT, Channel, celery_broker
from worker.adapters.redis_client import celery_transport
from worker.keys import ARTICLES_QUEUE, Keys

QUEUE = Queue(ARTICLES_QUEUE, Exchange(ARTICLES_QUEUE), routing_key=ARTICLES_QUEUE)
SWEEP_SECONDS = 0.1  # unacked_restore_interval: lists are trusted 5 sweeps, 0.5 s


@pytest.fixture(autouse=True)
def short_trust(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(broker_module, "HOLDER_TRUSTED_MIN_SECONDS", 0.0)


@pytest.fixture
def url(redis_url: str) -> str:
    ours = celery_broker(celery_transport(redis_url)["broker_url"])
    assert ours["broker_transport"] == TRANSPORT
    return ours["broker_url"]


@pytest.fixture
def client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


def connect(url: str, keys: Keys) -> Connection:
    options = {
        "global_keyprefix": keys.broker_prefix,
        "priority_steps": [0],
        "visibility_timeout": 3600,  # never reached here: what comes back is an orphan
        "unacked_restore_interval": SWEEP_SECONDS,
    }
    return Connection(url, transport=TRANSPORT, transport_options=options)


def consume(connection: Connection, held: list[Message], *, prefetch: int) -> Channel:
    return consume_on(connection.default_channel, held, prefetch=prefetch)


def consume_on(channel: Any, held: list[Message], *, prefetch: int) -> Channel:
    assert isinstance(channel, Channel)
    channel.basic_qos(prefetch_count=prefetch)
    Consumer(channel, [QUEUE], callbacks=[lambda body, message: held.append(message)]).consume()
    return channel


def sweep(channel: Channel) -> int:
    """A worker's sweep: what it holds written, then the orphans put back."""
    channel.qos.record_holding()
    return int(channel.qos.restore_orphans())


def publish(url: str, keys: Keys, bodies: list[dict[str, Any]]) -> None:
    with connect(url, keys) as connection:
        producer = Producer(connection.default_channel)
        for body in bodies:
            producer.publish(
                body, exchange=QUEUE.exchange, routing_key=ARTICLES_QUEUE, declare=[QUEUE]
            )


def queued(client: redis.Redis, keys: Keys) -> list[int]:
    """The queue's messages by body number, the next one to be taken first."""
    raws = client.lrange(keys.broker_queue(ARTICLES_QUEUE), 0, -1)
    return [json.loads(base64.b64decode(json.loads(raw)["body"]))["n"] for raw in reversed(raws)]


def test_a_dead_consumers_delivery_comes_back_and_a_live_ones_stays(
    url: str, keys: Keys, client: redis.Redis
) -> None:
    publish(url, keys, [{"n": 1}, {"n": 2}])
    dead_held: list[Message] = []
    dead = connect(url, keys)
    dead_channel = consume(dead, dead_held, prefetch=1)
    dead.drain_events(timeout=5)
    dead_channel.qos.record_holding()  # it wrote its list once, then died
    dead_channel.client.connection.disconnect()
    assert [message.payload for message in dead_held] == [{"n": 1}]

    held: list[Message] = []
    with connect(url, keys) as survivor:
        channel = consume(survivor, held, prefetch=1)
        survivor.drain_events(timeout=5)
        assert [message.payload for message in held] == [{"n": 2}]
        assert sweep(channel) == 0, "nothing is older than the trusted lists"

        time.sleep(5 * SWEEP_SECONDS + 0.1)
        assert sweep(channel) == 1
        assert queued(client, keys) == [1], "the dead one's, at the head of its queue"
        assert client.hlen(keys.broker_unacked) == 1, "the survivor's, still held"
        held[0].ack()
        survivor.drain_events(timeout=5)
        assert [message.payload for message in held] == [{"n": 2}, {"n": 1}]
        assert held[1].delivery_info["redelivered"]
        held[1].ack()
    assert client.hlen(keys.broker_unacked) == 0
    dead.release()


def test_an_acknowledgement_a_failover_took_back_is_redelivered(
    url: str, keys: Keys, client: redis.Redis
) -> None:
    """The task finished and was acknowledged; the promoted replica never got the ack, so
    its delivery is still unacknowledged there, and its consumer no longer holds it."""
    publish(url, keys, [{"n": 1}])
    held: list[Message] = []
    with connect(url, keys) as consumer:
        channel = consume(consumer, held, prefetch=1)
        consumer.drain_events(timeout=5)
        [message] = held
        tag = message.delivery_tag
        entry = client.hget(keys.broker_unacked, tag)
        delivered_at = client.zscore(keys.broker_unacked_index, tag)
        message.ack()
        assert client.hlen(keys.broker_unacked) == 0
        client.hset(keys.broker_unacked, tag, entry)  # as the replica has it
        client.zadd(keys.broker_unacked_index, {tag: delivered_at})

        time.sleep(5 * SWEEP_SECONDS + 0.1)
        assert sweep(channel) == 1
        consumer.drain_events(timeout=5)
        assert [message.payload for message in held] == [{"n": 1}, {"n": 1}]
        held[1].ack()
    assert client.hlen(keys.broker_unacked) == 0


def test_the_list_of_a_consumer_gone_for_longer_than_its_trust_is_dropped(
    url: str, keys: Keys, client: redis.Redis
) -> None:
    holders = f"{keys.broker_prefix}unacked_holders"
    with connect(url, keys) as first:
        sweep(consume(first, [], prefetch=1))
    assert client.hlen(holders) == 1
    time.sleep(5 * SWEEP_SECONDS + 0.1)
    with connect(url, keys) as second:
        sweep(consume(second, [], prefetch=1))
    assert client.hlen(holders) == 1, "the second's own list only"


def test_every_channel_that_consumes_writes_what_it_holds_before_the_sweep(
    url: str, keys: Keys, client: redis.Redis
) -> None:
    """A worker consumes on two channels (its tasks', its remote control's); kombu sweeps
    from the first only. The second's deliveries are written too, so never taken for
    orphans while it holds them."""
    publish(url, keys, [{"n": 1}])
    held: list[Message] = []
    with connect(url, keys) as worker:
        other = worker.channel()
        Consumer(other, [Queue("control", Exchange("control"), routing_key="control")]).consume()
        tasks = worker.channel()
        consume_on(tasks, held, prefetch=1)
        worker.drain_events(timeout=5)
        assert [message.payload for message in held] == [{"n": 1}]

        time.sleep(5 * SWEEP_SECONDS + 0.1)
        worker.transport.cycle.maybe_restore_messages()  # the worker's timer

        assert client.llen(keys.broker_queue(ARTICLES_QUEUE)) == 0, "held, not restored"
        assert client.hlen(keys.broker_unacked) == 1
        held[0].ack()
        other.close()


def test_a_message_left_in_flight_comes_back_after_the_trust_not_the_visibility_timeout(
    url: str, keys: Keys, client: redis.Redis
) -> None:
    """A worker moved the message into the in-flight list and never wrote it as unacked (it
    died, or a failover broke the write and it dropped the batch)."""
    publish(url, keys, [{"n": 1}])
    in_flight = keys.broker_in_flight(ARTICLES_QUEUE)
    client.lmove(keys.broker_queue(ARTICLES_QUEUE), in_flight, "RIGHT", "LEFT")
    held: list[Message] = []
    with connect(url, keys) as survivor:
        channel = consume(survivor, held, prefetch=1)
        channel.qos.restore_visible()  # sees it in flight
        assert client.llen(in_flight) == 1, "not before the trust"

        time.sleep(5 * SWEEP_SECONDS + 0.1)
        channel.qos.restore_visible()
        survivor.drain_events(timeout=5)
        assert [message.payload for message in held] == [{"n": 1}]
        assert client.llen(in_flight) == 0
        held[0].ack()
    assert client.hlen(keys.broker_unacked) == 0
