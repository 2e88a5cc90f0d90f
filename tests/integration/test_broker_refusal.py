"""A real worker whose Redis refuses its commands (maxmemory reached) pauses between
reconnects instead of reconnecting five times a second, and consumes again once Redis takes
writes (``worker/adapters/worker_consumer.py``)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from processes import waiting_on_its_queue
from redis_servers import RedisServer

REFUSAL_SECONDS = 10.0
# Celery's own consumer made 150 connections in 10 s of refusal; with the pauses (1, 2, 4, 5 s)
# a worker reconnects four or five times, a few connections each.
MAX_CONNECTIONS_DURING_REFUSAL = 30
WAIT_SECONDS = 90.0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


def wait_for(condition: object, what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"no {what} within {WAIT_SECONDS:.0f} s"
        time.sleep(0.2)


def test_a_worker_refused_by_redis_pauses_between_reconnects_and_consumes_again_after(
    server: RedisServer, pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    log_path = tmp_path / "worker.log"
    client = redis.Redis.from_url(server.url, decode_responses=True)
    with log_path.open("w") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "worker.cli", "worker", "--queues", "feeds"],
            env={**pipeline_env, "WIRESTREAM_REDIS_URL": server.url},
            cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: waiting_on_its_queue(client, 0.0), "worker waiting on its queue")
        before = client.info("stats")["total_connections_received"]
        client.config_set("maxmemory", 1)  # below what Redis holds: every write is refused
        time.sleep(REFUSAL_SECONDS)
        during = client.info("stats")["total_connections_received"] - before
        client.config_set("maxmemory", 0)
        accepting = time.monotonic()
        wait_for(lambda: waiting_on_its_queue(client, accepting), "reconnect after the refusal")
        assert worker.poll() is None, "the worker died"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=60)
        client.close()

    events = [json.loads(line) for line in log_path.read_text().splitlines() if line[:1] == "{"]
    pauses = [event["seconds"] for event in events if event["event"] == "broker_reconnect_paused"]
    print(f"\n{during} connections in {REFUSAL_SECONDS:.0f} s of refusal; pauses {pauses}")
    assert during <= MAX_CONNECTIONS_DURING_REFUSAL
    assert pauses[:3] == [1.0, 2.0, 4.0]
    assert not [event for event in events if "Frequent restarts" in event["event"]]
