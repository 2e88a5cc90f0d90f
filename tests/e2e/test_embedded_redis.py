"""With no WIRESTREAM_REDIS_URL the command runs its own redis-server on a unix socket in the
data directory: the pipeline publishes into it, its workers take their tasks with our
transport, the data outlives the server, and nothing is left running afterwards."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from flower.utils.broker import Broker
from processes import live_processes, stop, stop_all, wait_for

from worker.adapters.broker import by_scheme
from worker.adapters.embedded_redis import EmbeddedRedis
from worker.app import celery_config
from worker.keys import FEEDS_QUEUE, Keys
from worker.settings import load_settings
from worker.simweb import SimWeb, catalog

Wirestream = Callable[..., subprocess.CompletedProcess[str]]

# The feed of the Pacific Ledger's world section: four articles, one wire story among them.
FEED = next(feed for feed in catalog.FEEDS if feed.key.endswith("/rss/world.xml"))
NO_REDIS_URL = {"WIRESTREAM_REDIS_URL": ""}  # the `wirestream` fixture removes it


@pytest.fixture
def data_dir(pipeline_env: dict[str, str]) -> Path:
    return Path(pipeline_env["WIRESTREAM_DATA_DIR"])


@pytest.fixture
def running_server(data_dir: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(data_dir)
    assert server.start(), "a fresh data directory should have no server yet"
    yield server
    server.stop()


def test_run_until_idle_without_redis_url_publishes_into_embedded_redis_and_stops_it(
    wirestream: Wirestream,
    simweb: SimWeb,
    data_dir: Path,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    feed_url = f"{simweb.base_url}/{FEED.key}"
    added = wirestream("feeds", "add", feed_url, **NO_REDIS_URL)
    assert added.returncode == 0, added.stderr

    run = wirestream("run", "--until-idle", "--timeout", "120", timeout=180, **NO_REDIS_URL)
    assert run.returncode == 0, run.stderr[-3000:]
    expected = len(catalog.articles_in(FEED))
    assert f"new entries: {expected}" in run.stdout

    tail = wirestream("tail", "--from-start", "--no-follow", timeout=60, **NO_REDIS_URL)
    assert tail.returncode == 0, tail.stderr
    messages = [json.loads(line) for line in tail.stdout.splitlines()]
    assert len(messages) == expected
    assert {message["data"]["title"] for message in messages} == {
        article.title for article in catalog.articles_in(FEED)
    }
    assert not redis_client.exists(keys.articles_stream, keys.feeds), "used the test Redis"

    server = EmbeddedRedis(data_dir)
    aof = [path for path in data_dir.glob("appendonly*") if path.stat().st_size > 0]
    assert aof, f"no append-only file in {sorted(p.name for p in data_dir.iterdir())}"
    assert not server.answers()
    assert live_processes(naming=str(server.socket_path)) == []


def test_commands_share_an_embedded_server_that_is_already_running(
    wirestream: Wirestream, running_server: EmbeddedRedis, namespace: str
) -> None:
    feed_url = "https://www.example.org/feed.xml"
    added = wirestream("feeds", "add", "--no-check", feed_url, **NO_REDIS_URL)
    assert added.returncode == 0, added.stderr
    listed = wirestream("feeds", "list", **NO_REDIS_URL)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["url"] for line in listed.stdout.splitlines()] == [feed_url]

    assert running_server.answers(), "a command stopped a server it did not start"
    client = redis.Redis(unix_socket_path=str(running_server.socket_path), decode_responses=True)
    try:
        assert client.exists(Keys(namespace).feeds)
    finally:
        client.close()


def test_a_worker_on_the_embedded_redis_takes_its_tasks_with_our_transport(
    pipeline_env: dict[str, str], running_server: EmbeddedRedis, tmp_path: Path
) -> None:
    """kombu's own transport takes a task with BRPOP, and can lose it to a worker killed
    before it records it; ours takes it with BLMOVE into an in-flight list
    (worker/adapters/broker.py). Redis names the command each client waits in."""
    env = {key: value for key, value in pipeline_env.items() if key != "WIRESTREAM_REDIS_URL"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "worker", "--queues", "feeds"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    client = redis.Redis(unix_socket_path=str(running_server.socket_path), decode_responses=True)

    def waiting_in() -> set[str]:
        return {str(entry["cmd"]) for entry in client.client_list()}

    try:
        wait_for(lambda: "blmove" in waiting_in(), 60, "a worker waiting in BLMOVE")
        assert "brpop" not in waiting_in()
    finally:
        client.close()
        stop(worker)
    assert stop_all(live_processes(session=worker.pid)) == []


def test_flower_reads_the_queue_lengths_of_the_embedded_redis(
    running_server: EmbeddedRedis, data_dir: Path, namespace: str
) -> None:
    """Flower picks its Redis client by the broker URL's scheme, which must be kombu's
    spelling of the socket (``redis+socket://``), not our transport's (``socket://``)."""
    settings = load_settings(redis_url=None, data_dir=data_dir, namespace=namespace)
    app = Celery("flower-test")
    app.config_from_object(celery_config(settings))
    app.conf.update(by_scheme(app.conf.broker_url))  # as `wirestream flower`
    with app.connection() as connection:  # as Flower's broker view
        uri = connection.as_uri(include_password=True)
    broker = Broker(
        uri,
        http_api=None,
        broker_options=app.conf.broker_transport_options,
        broker_use_ssl=app.conf.broker_use_ssl,
    )
    client = redis.Redis(unix_socket_path=str(running_server.socket_path))
    try:
        client.lpush(Keys(namespace).broker_queue(FEEDS_QUEUE), "a task", "another")
    finally:
        client.close()
    lengths = asyncio.run(broker.queues([FEEDS_QUEUE]))
    assert lengths == [{"name": FEEDS_QUEUE, "messages": 2}]


def test_sigterm_stops_run_until_idle_with_its_workers_and_embedded_server(
    pipeline_env: dict[str, str], simweb: SimWeb, data_dir: Path, tmp_path: Path
) -> None:
    """Stopped half-way (docker stop, timeout), the command stops what it started, as on
    Ctrl-C: the embedded server runs in a session of its own and would be orphaned."""
    env = {key: value for key, value in pipeline_env.items() if key != "WIRESTREAM_REDIS_URL"}
    command = [sys.executable, "-m", "worker.cli"]
    subprocess.run(
        [*command, "feeds", "add", f"{simweb.base_url}/{FEED.key}"],
        env=env, cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    # The run is still at work when it is stopped, however loaded the machine: its article
    # pages never answer in time, so they are retried until the stop; each fetch in flight
    # ends 2 s after it started, so the stop does not wait long for it.
    simweb.set_behaviour(FEED.key.split("/", 1)[0], latency=60.0)
    simweb.set_behaviour(FEED.key, latency=0.0)  # the feed itself answers
    socket_path = str(EmbeddedRedis(data_dir).socket_path)
    run = subprocess.Popen(
        [*command, "run", "--until-idle", "--timeout", "120"],
        env={**env, "WIRESTREAM_READ_TIMEOUT": "2", "WIRESTREAM_MAX_ATTEMPTS": "1000"},
        cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while len(live_processes(session=run.pid)) < 3 and time.monotonic() < deadline:
            time.sleep(0.2)  # the command and its two workers
        assert len(live_processes(session=run.pid)) >= 3, "the workers did not start"
        assert live_processes(naming=socket_path), "no embedded server"
    finally:
        stop(run, naming=socket_path)
    left = stop_all(live_processes(session=run.pid, naming=socket_path))
    assert run.returncode == 130  # as for Ctrl-C
    assert left == []
