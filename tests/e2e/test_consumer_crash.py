"""Consumers as real processes: one killed with SIGKILL in the middle of a batch, one stopped
with SIGTERM. Every handled entry is recorded in Redis by the handler, and every effective
acknowledgement by the ack itself (an XACK that acknowledged something), so the test counts
what happened rather than what a process said."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import redis

from tests.deploy import free_port
from tests.integration.test_cli import publish
from tests.processes import stop_all
from worker.adapters.redis_client import connect
from worker.consumer import Backoff, Consumer, Start
from worker.keys import Keys

# The child: a Consumer whose handler records each entry it handles (then sleeps, so a batch
# takes a while), and whose acks record each entry they actually acknowledged, atomically.
CHILD = """
import os, sys, time
from worker.adapters import groups
from worker.adapters.redis_client import connect
from worker.consumer import Consumer, Start
from worker.keys import Keys

client = connect(os.environ["TEST_REDIS_URL"])
keys = Keys(os.environ["TEST_NAMESPACE"])
handled, acked = keys.namespace + ":test:handled", keys.namespace + ":test:acked"
record_ack = client.register_script(
    "for i = 1, #ARGV - 1 do"
    " if redis.call('XACK', KEYS[1], ARGV[#ARGV], ARGV[i]) == 1 then"
    " redis.call('RPUSH', KEYS[2], ARGV[i]) end end"
)

def ack(self, group, ids):
    if ids:
        record_ack(keys=[self.stream, acked], args=[*ids, group])

groups.GroupStream.ack = ack

def handle(entry):
    client.rpush(handled, os.environ["TEST_NAME"] + " " + entry.stream_id)
    time.sleep(float(os.environ["TEST_SLEEP"]))

consumer = Consumer(
    client, "g", keys=keys, consumer=os.environ["TEST_NAME"], start=Start.beginning(),
    batch_size=int(os.environ["TEST_BATCH"]), min_idle=0.5, block=0.2,
)
print("settled", consumer.run(handle, until_idle=os.environ.get("TEST_UNTIL_IDLE") == "1"))
"""


def start_child(
    redis_url: str, keys: Keys, name: str, *, sleep: float, batch: int, until_idle: bool
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "TEST_REDIS_URL": redis_url,
        "TEST_NAMESPACE": keys.namespace,
        "TEST_NAME": name,
        "TEST_SLEEP": str(sleep),
        "TEST_BATCH": str(batch),
        "TEST_UNTIL_IDLE": "1" if until_idle else "0",
        "WIRESTREAM_LOG_FORMAT": "json",
    }
    return subprocess.Popen(
        [sys.executable, "-c", CHILD], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_entries_of_a_consumer_killed_mid_batch_are_handled_by_another_after_min_idle(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    ids = publish(redis_client, keys, 30)
    handled_key, acked_key = f"{keys.namespace}:test:handled", f"{keys.namespace}:test:acked"
    first = start_child(redis_url, keys, "first", sleep=0.05, batch=10, until_idle=False)
    try:
        # Killed after its first batch was acked, in the middle of its second one.
        wait_for(lambda: redis_client.llen(handled_key) >= 14)
        first.kill()
        first.wait(timeout=30)
    finally:
        stop_all([first.pid] if first.poll() is None else [])
    held = redis_client.xpending_range(keys.articles_stream, "g", "-", "+", 100, "first")
    read_by_first = [row["message_id"] for row in held]
    assert read_by_first, "the kill should have left the second batch pending"

    # Started at once: it reads the entries nobody read, and takes the first one's only
    # once they have been idle for min-idle.
    second = start_child(redis_url, keys, "second", sleep=0, batch=10, until_idle=False)
    try:
        wait_for(lambda: redis_client.llen(acked_key) >= len(ids))
        second.send_signal(signal.SIGTERM)
        _, errors = second.communicate(timeout=30)
    finally:
        stop_all([second.pid] if second.poll() is None else [])
    assert second.returncode == 0, errors

    handled = Counter(line.split()[1] for line in redis_client.lrange(handled_key, 0, -1))
    acked = Counter(redis_client.lrange(acked_key, 0, -1))
    by_second = {
        line.split()[1] for line in redis_client.lrange(handled_key, 0, -1) if "second" in line
    }
    assert set(read_by_first) <= by_second  # claimed after min-idle and handled
    assert set(handled) == set(ids)  # every entry handled at least once
    assert acked == Counter(ids)  # and acknowledged exactly once
    assert redis_client.xpending(keys.articles_stream, "g")["pending"] == 0


def test_sigterm_finishes_the_batch_in_hand_acks_it_and_stops(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    publish(redis_client, keys, 40)
    handled_key, acked_key = f"{keys.namespace}:test:handled", f"{keys.namespace}:test:acked"
    child = start_child(redis_url, keys, "worker", sleep=0.1, batch=8, until_idle=False)
    try:
        wait_for(lambda: redis_client.llen(handled_key) >= 2)
        child.send_signal(signal.SIGTERM)
        output, errors = child.communicate(timeout=30)
    finally:
        stop_all([child.pid] if child.poll() is None else [])
    assert child.returncode == 0, errors
    handled = redis_client.lrange(handled_key, 0, -1)
    assert output.strip() == f"settled {len(handled)}"
    assert len(handled) == 8  # the whole first batch, and no further one
    assert redis_client.llen(acked_key) == 8
    assert redis_client.xpending(keys.articles_stream, "g")["pending"] == 0
    assert redis_client.xinfo_consumers(keys.articles_stream, "g") == []


def test_a_consumer_rides_out_a_redis_restart_and_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    server = [
        "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
        "--appendonly", "yes", "--save", "",
    ]  # fmt: skip

    def start_server() -> subprocess.Popen[bytes]:
        process = subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        probe = redis.Redis(port=port)
        wait_for(lambda: _answers(probe))
        probe.close()
        return process

    process = start_server()
    client = connect(f"redis://127.0.0.1:{port}/0")
    keys = Keys("restart")
    handled: list[str] = []
    member = Consumer(
        client, "g", keys=keys, start=Start.beginning(), block=0.2, min_idle=0.5,
        backoff=Backoff(0.05, 0.2),
    )  # fmt: skip
    thread = threading.Thread(target=member.run, args=(lambda e: handled.append(e.stream_id),))
    try:
        before = publish(client, keys, 3)
        thread.start()
        wait_for(lambda: len(handled) == 3)
        redis.Redis(port=port).shutdown()  # the append-only file is flushed first
        process.wait(timeout=30)
        time.sleep(0.5)  # the consumer meets a Redis that is not there
        process = start_server()
        after = publish(client, keys, 3)
        wait_for(lambda: len(handled) >= 6)
        member.stop()
        thread.join(timeout=30)
        assert handled == before + after
        assert client.xpending(keys.articles_stream, "g")["pending"] == 0
    finally:
        member.stop()
        thread.join(timeout=30)
        client.close()
        if process.poll() is None:
            process.terminate()
            process.wait(timeout=30)


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
