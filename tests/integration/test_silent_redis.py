"""Waiting for Redis's replies: a Redis whose host vanished (no reset, no reply) fails what
was in flight after the socket timeout instead of waiting forever, and the reader goes on
once Redis answers; a consumer's own reads never wait as long as that timeout."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import redis
from partition import PartitionableForwarder
from processes import wait_for

from tests.integration.test_cli import publish
from worker.adapters.redis_client import RedisClient, RedisOptions, connect
from worker.consumer import Backoff, Consumer, Start, StreamEntry
from worker.keys import Keys

SOCKET_TIMEOUT = 1.5


@pytest.fixture
def client(redis_url: str) -> Iterator[RedisClient]:
    made = connect(redis_url)
    yield made
    made.close()


@pytest.fixture
def through_forwarder(
    redis_url: str, redis_forwarder: PartitionableForwarder
) -> Iterator[RedisClient]:
    database = urlsplit(redis_url).path or "/0"
    client = connect(
        f"redis://127.0.0.1:{redis_forwarder.port}{database}",
        RedisOptions(socket_timeout=SOCKET_TIMEOUT, failover_seconds=1),
    )
    yield client
    client.close()


def test_a_consumer_reading_when_redis_went_silent_goes_on_when_it_answers_again(
    client: RedisClient,
    through_forwarder: RedisClient,
    redis_forwarder: PartitionableForwarder,
    keys: Keys,
) -> None:
    reader = Consumer(
        through_forwarder, "g", keys=keys, start=Start.beginning(), block=0.3,
        backoff=Backoff(0.05, 0.2),
    )  # fmt: skip
    handled: list[StreamEntry] = []
    thread = threading.Thread(target=reader.run, args=(handled.append,))
    thread.start()
    try:
        [first] = publish(client, keys, 1)
        wait_for(lambda: len(handled) == 1, 10, "the first entry")

        # Every connection open now (the reader's, mid-read or about to be) goes silent for
        # good, as to a host that lost power; new connections answer again.
        redis_forwarder.partition(clients_too=True)
        redis_forwarder.heal()
        [second] = publish(client, keys, 1)

        wait_for(lambda: len(handled) == 2, 30, "the entry published after the silence")
    finally:
        reader.stop()
        thread.join(30)
    assert [entry.stream_id for entry in handled] == [first, second]
    assert not thread.is_alive()


def test_a_command_in_flight_when_redis_went_silent_fails_instead_of_waiting_forever(
    through_forwarder: RedisClient, redis_forwarder: PartitionableForwarder, keys: Keys
) -> None:
    through_forwarder.ping()
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            through_forwarder.xread({keys.articles_stream: "$"}, block=500)
            outcome.append(None)
        except BaseException as error:
            outcome.append(error)

    thread = threading.Thread(target=read, daemon=True)
    redis_forwarder.partition(clients_too=True)  # and stays so: every retry meets silence too
    thread.start()
    thread.join(60)

    assert not thread.is_alive(), "the read still waits a minute after Redis went silent"
    [error] = outcome
    assert isinstance(error, redis.TimeoutError | redis.ConnectionError), error


def test_an_idle_consumer_keeps_its_connection_whatever_its_clients_socket_timeout(
    client: RedisClient, redis_url: str, keys: Keys
) -> None:
    """Its reads wait less than its client waits for a reply. With the default block (5 s)
    on redis-py's default socket timeout (5 s), about one read in four timed out and the
    client reconnected; here the client waits 2 s: every read did."""
    short = redis.Redis.from_url(redis_url, decode_responses=True, socket_timeout=2)
    reader = Consumer(short, "g", keys=keys, backoff=Backoff(0.05, 0.2))  # block 5 s
    connections_before = client.info("stats")["total_connections_received"]
    thread = threading.Thread(target=reader.run, args=(lambda entry: None,))
    thread.start()
    try:
        time.sleep(6)
    finally:
        reader.stop()
        thread.join(30)
        short.close()

    # The consumer's one connection (the counting client's own is older).
    assert client.info("stats")["total_connections_received"] - connections_before == 1
    assert reader.block == 1.0


def test_a_consumer_reads_as_long_as_it_was_asked_when_its_client_waits_longer(
    redis_url: str, keys: Keys
) -> None:
    with connect(redis_url) as package_client:  # redis_socket_timeout: 10 s
        assert Consumer(package_client, "g", keys=keys).block == 5.0
