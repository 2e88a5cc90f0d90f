"""Redis primary lost in the middle of a run: the sentinels promote the replica and the
running pipeline (`wirestream run`: beat and both workers, unchanged, not restarted) goes on
publishing to it. Killed with SIGKILL with the replica in sync, and with the replica 0.42 s
behind (writes only the primary had), with and without the durability setting
(``publish_wait_replicas``); and cut off from its replica and the sentinels while the
pipeline's connections still reach it (split brain: two primaries taking writes until the
network heals and the old one is made a replica, its writes thrown away); and its host lost
(every connection silent for good, no reset). Counted from the stream: nothing lost,
nothing twice.

A primary, a replica and three sentinels are real redis-server processes of this test, on
free loopback ports. The fault table is printed (run with ``-s`` to see it).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis
from partition import PartitionableForwarder
from processes import wait_for
from redis_servers import SentinelDeployment, sentinel_deployment

from worker.adapters.broker import SENTINEL_TRANSPORT
from worker.adapters.redis_client import RedisClient
from worker.consumer import Consumer, Start, StreamEntry
from worker.keys import Keys
from worker.simweb import SimWeb, catalog
from worker.stages.urls import article_id, canonical_url

MASTER = "wirestream"
MIRRORS = 2
KILL_AFTER_PUBLISHED = 25
DRAIN_TIMEOUT_SECONDS = 100.0
# Redelivery of a task whose worker lost its broker within seconds, not the default 15 min;
# the settings require the visibility timeout above the time limit and the longest retry.
FAST_REDELIVERY = {
    "WIRESTREAM_VISIBILITY_TIMEOUT": "20",
    "WIRESTREAM_TASK_TIME_LIMIT": "15",
    "WIRESTREAM_RETRY_BACKOFF_MAX": "5",
    "WIRESTREAM_UNACKED_RESTORE_INTERVAL": "1",
    "WIRESTREAM_BEAT_INTERVAL": "1",
}


@dataclass(frozen=True)
class Fault:
    name: str
    replica_lag: float = 0.0
    wait_replicas: int = 0
    split_brain: bool = False
    host_lost: bool = False
    """Cut off from everyone and never back: no reset tells a client its connection is dead."""
    server_arguments: tuple[str, ...] = ()
    """Given to both servers (the replica becomes a primary)."""
    page_latency: float = 0.0
    """Of every simulated page: publishing spread over the fault, not done before it."""

    @property
    def through_forwarder(self) -> bool:
        """The primary is reached through the test's forwarder, which makes the fault."""
        return self.split_brain or self.host_lost

    def describe(self) -> str:
        if self.host_lost:
            lost = "its host lost (silence, no reset)"
        elif self.split_brain:
            lost = f"cut off {SPLIT_BRAIN_SECONDS:.0f} s past the promotion"
        else:
            lost = "killed, " + (
                "replica in sync"
                if not self.replica_lag
                else f"replica {self.replica_lag * 0.7:.2f} s behind"
            )
        waits = f", WAIT {self.wait_replicas} replica" if self.wait_replicas else ", async"
        return lost + waits + "".join(f" {argument}" for argument in self.server_arguments)


FAULTS = [
    Fault("in-sync-async"),
    Fault("lagging-async", replica_lag=0.6),
    Fault("lagging-wait-1-replica", replica_lag=0.6, wait_replicas=1),
    Fault("host-lost-async", host_lost=True),
    Fault("split-brain-async", split_brain=True, page_latency=0.4),
    # The server setting against it: a primary without a replica for 2 s refuses writes.
    Fault(
        "split-brain-min-replicas",
        split_brain=True,
        server_arguments=("--min-replicas-to-write", "1", "--min-replicas-max-lag", "2"),
        page_latency=0.4,
    ),
]
# How long the cut-off primary goes on taking the pipeline's writes after the sentinels
# promoted the replica (then the network heals, and the sentinels make it a replica).
SPLIT_BRAIN_SECONDS = 5.0


@pytest.fixture(params=FAULTS, ids=lambda fault: fault.name)
def fault(request: pytest.FixtureRequest) -> Fault:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def forwarder() -> Iterator[PartitionableForwarder]:
    forwarder = PartitionableForwarder()
    yield forwarder
    forwarder.close()


@pytest.fixture
def deployment(
    tmp_path: Path, fault: Fault, forwarder: PartitionableForwarder
) -> Iterator[SentinelDeployment]:
    # DEBUG SLEEP lets the test put the replica behind (cut_replication).
    with sentinel_deployment(
        tmp_path / "redis",
        MASTER,
        primary_arguments=fault.server_arguments,
        replica_arguments=("--enable-debug-command", "local", *fault.server_arguments),
        primary_reached_at=forwarder.forward_to if fault.through_forwarder else None,
    ) as started:
        yield started


class StreamWatcher:
    """Reads the stream as a consumer would, through the sentinels, every 50 ms: what was
    readable when, so entries a failover takes back are seen even though they vanish."""

    def __init__(self, client: RedisClient, stream: str) -> None:
        self._client = client
        self._stream = stream
        self.seen: dict[str, StreamEntry] = {}  # by stream entry id
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> StreamWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        last = "0"
        while not self._stop.is_set():
            try:
                for entry_id, fields in self._client.xrange(self._stream, f"({last}", "+"):
                    self.seen[entry_id] = StreamEntry(entry_id, fields)
                    last = entry_id
            except (redis.ConnectionError, redis.TimeoutError):
                pass  # the failover itself; the client has already retried its budget
            self._stop.wait(0.05)


class GroupSink:
    """A consumer group read by the package's :class:`Consumer` in a thread, through the
    sentinels, from the stream's beginning: every entry it handled, redeliveries included."""

    def __init__(self, client: RedisClient, keys: Keys) -> None:
        self.consumer = Consumer(
            client, "failover-sink", keys=keys, start=Start.beginning(), block=0.5
        )
        self.handled: list[StreamEntry] = []
        self._thread = threading.Thread(target=self.consumer.run, args=(self.handled.append,))

    def __enter__(self) -> GroupSink:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.consumer.stop()
        self._thread.join(30)

    @property
    def articles(self) -> set[str]:
        return {entry.article_id for entry in self.handled}


@dataclass
class FaultRow:
    setting: str
    expected: int
    published: int
    lost: int
    duplicated: int
    rolled_back: int
    new_key: int
    sink_missed: int
    seconds_without_publishing: float
    drain_seconds: float
    unreplicated: int
    dead: int
    notes: list[str] = field(default_factory=list)

    HEADER = (
        "| primary lost | expected | published | lost | duplicated | seen then rolled back"
        " | republished under another key | consumer group missed | s without publishing"
        " | s to publish all | publish.unreplicated | dead letters |"
    )

    def line(self) -> str:
        return (
            f"| {self.setting} | {self.expected} | {self.published} | {self.lost}"
            f" | {self.duplicated} | {self.rolled_back} | {self.new_key} | {self.sink_missed}"
            f" | {self.seconds_without_publishing:.1f}"
            f" | {self.drain_seconds:.1f} | {self.unreplicated} | {self.dead} |"
        )


def start_command(env: dict[str, str], cwd: Path, name: str, *args: str) -> subprocess.Popen[bytes]:
    log = open(cwd / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        [sys.executable, "-m", "worker.cli", *args],
        env=env, cwd=cwd, stdout=log, stderr=log, start_new_session=True,
    )  # fmt: skip


def stop_command(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def cut_replication(deployment: SentinelDeployment, seconds: float) -> None:
    """The replica falls ``seconds`` behind, as behind a slow link: the primary drops its
    connection while the replica sleeps, so nothing the primary writes meanwhile reaches
    it. The sleep stays under the sentinels' down-after time: it is still promotable."""
    servers = deployment.servers
    replica = redis.Redis(port=servers.ports["replica"])
    asleep = threading.Thread(target=replica.execute_command, args=("DEBUG", "SLEEP", seconds))
    asleep.start()
    time.sleep(0.05)
    primary = redis.Redis(port=servers.ports["primary"])
    primary.client_kill_filter(_type="replica")
    primary.close()
    time.sleep(seconds * 0.7)
    servers.kill("primary")
    asleep.join()
    replica.close()


def errors_counted(port: int, prefix: str) -> int:
    server = redis.Redis(port=port, decode_responses=True)
    try:
        return int(server.info("errorstats").get(f"errorstat_{prefix}", {}).get("count", 0))
    except redis.ConnectionError:
        return 0  # killed
    finally:
        server.close()


def role(port: int) -> str:
    server = redis.Redis(port=port, decode_responses=True)
    try:
        return str(server.info("replication")["role"])
    except redis.ConnectionError:
        return "unreachable"
    finally:
        server.close()


def test_pipeline_goes_on_publishing_on_the_promoted_replica_after_the_primary_is_lost(
    deployment: SentinelDeployment,
    forwarder: PartitionableForwarder,
    pipeline_env: dict[str, str],
    tmp_path: Path,
    fault: Fault,
) -> None:
    env = {
        **pipeline_env,
        **FAST_REDELIVERY,
        # The host names nothing with sentinels: they name the primary.
        "WIRESTREAM_REDIS_URL": f"redis://{MASTER}/0",
        "WIRESTREAM_REDIS_SENTINELS": deployment.sentinel_setting,
        "WIRESTREAM_REDIS_SENTINEL_MASTER": MASTER,
        "WIRESTREAM_PUBLISH_WAIT_REPLICAS": str(fault.wait_replicas),
        "WIRESTREAM_PUBLISH_WAIT_TIMEOUT_MS": "500",
    }
    keys = Keys(env["WIRESTREAM_NAMESPACE"])
    client = deployment.client()
    with ExitStack() as stack:
        mirrors = [stack.enter_context(SimWeb()) for _ in range(MIRRORS)]
        for web in mirrors:
            if fault.page_latency:
                web.set_behaviour("", latency=fault.page_latency)
        expected = {
            article_id(canonical_url(web.url_for(article)))
            for web in mirrors
            for article in catalog.ARTICLES
        }
        for web in mirrors:
            imported = subprocess.run(
                [sys.executable, "-m", "worker.cli", "feeds", "import", web.opml_url],
                env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
            )  # fmt: skip
            assert imported.returncode == 0, imported.stderr

        run = start_command(env, tmp_path, "run", "run")
        stack.callback(stop_command, run)
        watcher = stack.enter_context(StreamWatcher(client, keys.articles_stream))
        sink = stack.enter_context(GroupSink(deployment.client(), keys))
        wait_for(lambda: len(watcher.seen) >= KILL_AFTER_PUBLISHED, 180, "the first articles")

        old_primary = deployment.primary_port()
        if fault.through_forwarder:
            forwarder.partition(clients_too=fault.host_lost)
        elif fault.replica_lag:
            cut_replication(deployment, fault.replica_lag)
        else:
            deployment.servers.kill("primary")
        killed_at = time.time()
        wait_for(lambda: deployment.primary_port() != old_primary, 30, "the replica's promotion")
        if fault.split_brain:
            time.sleep(SPLIT_BRAIN_SECONDS)
            forwarder.heal()
            cut_off = deployment.servers.ports["primary"]
            wait_for(lambda: role(cut_off) == "slave", 60, "the old primary made a replica")

        deadline = time.monotonic() + DRAIN_TIMEOUT_SECONDS
        while time.monotonic() < deadline and run.poll() is None:
            final_ids = {fields["id"] for _, fields in client.xrange(keys.articles_stream)}
            if expected <= final_ids:
                break
            time.sleep(0.5)
        drained_at = time.time()
        run_log = (tmp_path / "run.log").read_text(errors="replace")
        assert run.poll() is None, f"`wirestream run` exited: {run_log[-3000:]}"
        # Each (re)connection of a worker to the broker, by transport: a failover must not
        # leave a worker on kombu's own (worker/adapters/broker.py, Connection).
        connected_with = re.findall(r"Connected to ([\w.:]+)://", run_log)
        assert connected_with, "no broker connection in the log"
        assert set(connected_with) == {SENTINEL_TRANSPORT}, connected_with
        time.sleep(2)  # room for a late second publish of some article to show up
        caught_up_by = time.monotonic() + 30
        while not expected <= sink.articles and time.monotonic() < caught_up_by:
            time.sleep(0.2)

        final = client.xrange(keys.articles_stream)
        refused_for_want_of_replicas = errors_counted(
            deployment.servers.ports["primary"], "NOREPLICAS"
        )
        stats = client.hgetall(keys.stats)
        dead = client.xlen(keys.dead_stream)

    final_entry_ids = {entry_id for entry_id, _ in final}
    final_entries = {fields["id"]: StreamEntry(entry_id, fields) for entry_id, fields in final}
    rolled_back = [
        entry for entry_id, entry in watcher.seen.items() if entry_id not in final_entry_ids
    ]
    published_ids = [fields["id"] for _, fields in final]
    after_kill = [int(entry_id.split("-")[0]) / 1000 for entry_id in final_entry_ids]
    first_after = min((t for t in after_kill if t > killed_at), default=drained_at)
    row = FaultRow(
        setting=fault.describe(),
        expected=len(expected),
        published=len(set(published_ids) & expected),
        lost=len(expected - set(published_ids)),
        duplicated=len(published_ids) - len(set(published_ids)),
        rolled_back=len(rolled_back),
        sink_missed=len(expected - sink.articles),
        # A consumer that handled an entry before the failover took it back gets the same
        # event again: it must recognise it by its key. (The other mirror's copy of the story
        # may have been published first on the new primary: then the event differs, rightly.)
        new_key=sum(
            again.event == entry.event and again.idempotency_key != entry.idempotency_key
            for entry in {entry.stream_id: entry for entry in rolled_back + sink.handled}.values()
            if (again := final_entries.get(entry.article_id))
        ),
        seconds_without_publishing=first_after - killed_at,
        drain_seconds=drained_at - killed_at,
        unreplicated=int(stats.get("publish.unreplicated", 0)),
        dead=dead,
    )
    print(f"\n{FaultRow.HEADER}\n{row.line()}")
    client.close()

    assert row.published > KILL_AFTER_PUBLISHED, "nothing was published after the failover"
    assert row.lost == 0, row
    assert row.duplicated == 0, row
    assert row.new_key == 0, row
    assert row.sink_missed == 0, row
    assert row.dead == 0, row
    if fault.split_brain and not fault.server_arguments:
        # What shows that there were two primaries: the old one took writes while cut off.
        assert row.rolled_back > 0, row
    if "--min-replicas-to-write" in fault.server_arguments:
        assert refused_for_want_of_replicas > 0, "the cut-off primary never refused a write"
