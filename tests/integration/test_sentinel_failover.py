"""A command in flight when the primary dies is answered by the promoted replica, through the
sentinels: the reconnection asks the sentinels again instead of knocking on the dead primary
for the whole failover budget (redis/redis-py#3874). (kombu's broker client does not retry a
command: its next one takes a new connection, which asks the sentinels.)

A primary, a replica and three sentinels of the test's own (real redis-server processes).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from processes import wait_for
from redis_servers import SentinelDeployment, sentinel_deployment

MASTER = "wirestream"


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[SentinelDeployment]:
    with sentinel_deployment(tmp_path / "redis", MASTER) as started:
        yield started


def test_a_command_in_flight_when_the_primary_dies_is_answered_by_the_promoted_replica(
    deployment: SentinelDeployment,
) -> None:
    client = deployment.client()
    replies: list[object] = []

    def wait_for_work() -> None:
        try:
            replies.append(client.blpop(["work"], timeout=5))
        except redis.RedisError as error:
            replies.append(error)

    waiting = threading.Thread(target=wait_for_work)
    waiting.start()
    wait_for(lambda: blocked_clients(deployment) == 1, 10, "the BLPOP on the primary")

    old_primary = deployment.primary_port()
    deployment.servers.kill("primary")
    wait_for(lambda: deployment.primary_port() != old_primary, 30, "the replica's promotion")
    promoted = redis.Redis(port=deployment.primary_port(), decode_responses=True)
    # The BLPOP is sent again once its connection is back: push until it has taken one.
    wait_for(lambda: promoted.lpush("work", "job") and not waiting.is_alive(), 40, "the reply")
    waiting.join()

    assert replies == [("work", "job")]
    promoted.close()
    client.connection_pool.disconnect()


def blocked_clients(deployment: SentinelDeployment) -> int:
    primary = redis.Redis(port=deployment.primary_port(), decode_responses=True)
    try:
        return int(primary.info("clients")["blocked_clients"])
    finally:
        primary.close()
