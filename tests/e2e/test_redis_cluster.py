"""The pipeline on a Redis Cluster: three primaries of the test's own (real ``redis-server
--cluster-enabled yes`` processes on free loopback ports, joined by ``redis-cli --cluster
create``), the Celery broker on the shared Redis (kombu has no Cluster transport). Feeds,
workers and the stream as a user runs them (`wirestream run --until-idle`); counted from the
stream: every article once, each story's copies in its first article's cluster, and the keys
spread over more than one node. Prints the keys per node (run with ``-s`` to see it).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from deploy import free_port
from processes import wait_for
from redis_servers import RedisProcesses

from worker.adapters.groups import GroupStream
from worker.adapters.redis_client import RedisClient, RedisOptions, connect
from worker.consumer import Consumer, Start, StreamEntry
from worker.keys import Keys
from worker.simweb import SimWeb, catalog
from worker.stages.urls import article_id, canonical_url

PRIMARIES = 3


@dataclass
class LocalCluster:
    servers: RedisProcesses
    ports: list[int]
    broker_port: int
    """A plain redis-server beside the cluster, for Celery's broker."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.ports[0]}/0"

    def client(self) -> RedisClient:
        return connect(self.url, RedisOptions(cluster=True))

    @property
    def broker_url(self) -> str:
        return f"redis://127.0.0.1:{self.broker_port}/0"

    def load_by_server(self) -> dict[str, tuple[int, float]]:
        """Commands processed and CPU seconds (user + system) of each node and the broker."""
        load = {}
        for name, port in [*((f"node {port}", port) for port in self.ports),
                           ("broker", self.broker_port)]:  # fmt: skip
            server = redis.Redis(port=port, decode_responses=True)
            try:
                stats, cpu = server.info("stats"), server.info("cpu")
            finally:
                server.close()
            load[name] = (
                int(stats["total_commands_processed"]),
                float(cpu["used_cpu_user"]) + float(cpu["used_cpu_sys"]),
            )
        return load

    def keys_by_node(self) -> dict[int, dict[str, int]]:
        """Every key each primary holds, with its MEMORY USAGE (the cluster is this test's)."""
        found = {}
        for port in self.ports:
            node = redis.Redis(port=port, decode_responses=True)
            try:
                names = list(node.scan_iter(count=1000))
                found[port] = {name: int(node.memory_usage(name) or 0) for name in names}
            finally:
                node.close()
        return found


def cluster_node_arguments() -> list[str]:
    # The bus port is named: port + 10000, the default, may be past 65535.
    return [
        "--cluster-enabled", "yes", "--cluster-port", str(free_port()),
        "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000",
    ]  # fmt: skip


def cluster_support() -> str | None:
    """Why this machine cannot make the cluster, or None."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        return "redis-server and redis-cli are not installed (apt-get install redis-server)"
    version = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, timeout=10
    ).stdout
    found = re.search(r"v=(\d+)\.", version)
    if not found or int(found.group(1)) < 7:
        return f"redis-server 7 or later needed for --cluster-port: {version.strip()}"
    return None


@pytest.fixture
def local_cluster(tmp_path: Path) -> Iterator[LocalCluster]:
    missing = cluster_support()
    if missing:
        pytest.skip(missing)
    servers = RedisProcesses(tmp_path / "cluster")
    try:
        ports = [servers.server(f"node-{n}", *cluster_node_arguments()) for n in range(PRIMARIES)]
        created = subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{port}" for port in ports),
             "--cluster-replicas", "0", "--cluster-yes"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert created.returncode == 0, created.stdout + created.stderr

        def every_node_agrees() -> bool:
            for port in ports:
                node = redis.Redis(port=port, decode_responses=True)
                try:
                    info = node.cluster("info")
                finally:
                    node.close()
                if info["cluster_state"] != "ok" or int(info["cluster_known_nodes"]) < PRIMARIES:
                    return False
            return True

        wait_for(every_node_agrees, 30, "the cluster's nodes to agree")
        yield LocalCluster(servers, ports, servers.server("broker"))
    finally:
        servers.stop_all()


def test_the_pipeline_on_a_redis_cluster_publishes_every_article_once_and_spreads_its_keys(
    local_cluster: LocalCluster,
    pipeline_env: dict[str, str],
    namespace: str,
    tmp_path: Path,
) -> None:
    env = {
        **pipeline_env,
        "WIRESTREAM_REDIS_URL": local_cluster.url,
        "WIRESTREAM_REDIS_CLUSTER": "true",
        "WIRESTREAM_BROKER_URL": local_cluster.broker_url,
    }
    keys = Keys(namespace, cluster_safe=True)

    def wirestream(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "worker.cli", *args],
            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=240,
        )  # fmt: skip

    with SimWeb() as web:
        imported = wirestream("feeds", "import", web.opml_url)
        assert imported.returncode == 0, imported.stderr[-3000:]
        before = local_cluster.load_by_server()
        run = wirestream("run", "--until-idle", "--timeout", "180")
        assert run.returncode == 0, run.stderr[-3000:]
        after_first = local_cluster.load_by_server()
        # Polled again: every entry is seen (the seen keys are read across the nodes).
        again = wirestream("run", "--until-idle", "--timeout", "180")
        assert again.returncode == 0, again.stderr[-3000:]
        after_second = local_cluster.load_by_server()
        assert "new entries: 0; articles published: 0" in again.stdout, again.stdout
        # Status reads the queues on the broker and the rest on the cluster.
        status = wirestream("status")
        assert status.returncode == 0, status.stderr[-3000:]
        expected = {article_id(canonical_url(web.url_for(a))): a for a in catalog.ARTICLES}

    client = local_cluster.client()
    try:
        stream = client.xrange(keys.articles_stream)
        entries = [fields for _, fields in stream]
        dead = client.xlen(keys.dead_stream)
        # A consumer reads the stream through its group (each read: a script and XREADGROUP
        # in one MULTI) and acks what it handled.
        handled: list[StreamEntry] = []
        reader = Consumer(client, "readers", keys=keys, start=Start.beginning())
        reader.run(handled.append, until_idle=True)
        # A group dead-letters an entry: XADD to its dead-letter stream and XACK in one MULTI.
        auditors = GroupStream(client, keys.articles_stream)
        auditors.create_group("auditors", "0")
        read = auditors.read_new("auditors", "auditor-1", count=1000)
        auditors.dead_letter(
            "auditors", keys.group_dead_stream("auditors"), [{"stream_id": read.entries[0][0]}],
            maxlen=100,
        )  # fmt: skip
        groups = {group.name: group for group in auditors.groups()}
        group_dead = client.xlen(keys.group_dead_stream("auditors"))
    finally:
        client.close()
    by_node = local_cluster.keys_by_node()
    broker = redis.Redis.from_url(local_cluster.broker_url, decode_responses=True)
    try:
        state_on_broker = [
            key for pattern in keys.patterns[1:] for key in broker.scan_iter(pattern)
        ]
    finally:
        broker.close()

    report_spread(by_node, keys)
    report_load("first run: feeds polled, articles published", before, after_first)
    report_load("second run: feeds polled, nothing new", after_first, after_second)
    published = Counter(fields["id"] for fields in entries)
    assert dead == 0
    assert set(published) == set(expected)
    assert max(published.values()) == 1, "published twice"

    # One story, one original: the wire copies and byte copies joined its cluster.
    stories: dict[str, list[dict[str, str]]] = defaultdict(list)
    for fields in entries:
        stories[expected[fields["id"]].story_id].append(fields)
    assert any(len(members) > 2 for members in stories.values())
    for story_id, members in stories.items():
        [original] = [m for m in members if m["event"] == "article.created"]
        for member in members:
            assert member["cluster"] == original["id"], story_id
            if member is not original:
                assert member["event"] == "article.duplicate", (story_id, member["url"])

    assert [entry.stream_id for entry in handled] == [entry_id for entry_id, _ in stream]
    assert groups["readers"].pending == 0
    assert len(read.entries) == len(stream)
    assert (groups["auditors"].pending, group_dead) == (len(stream) - 1, 1)

    holding = [port for port, names in by_node.items() if names]
    assert len(holding) > 1, f"every key on one node: {by_node}"
    assert "waiting: feeds 0, articles 0; running or unacknowledged: 0" in status.stdout
    assert f"{keys.articles_stream}: {len(expected)} entries" in status.stdout
    assert not any(
        name.startswith(keys.broker_prefix) for names in by_node.values() for name in names
    )
    assert state_on_broker == []


def report_spread(by_node: dict[int, dict[str, int]], keys: Keys) -> None:
    """Keys and their bytes per node, and the key classes (the name after the namespace)."""
    total_keys = sum(len(names) for names in by_node.values())
    total_bytes = sum(sum(names.values()) for names in by_node.values())
    print("\n| node | keys | share | bytes (MEMORY USAGE) | share | key classes |")
    print("|---|---:|---:|---:|---:|---|")
    for port, names in by_node.items():
        classes = Counter(key_class(name, keys) for name in names)
        listed = ", ".join(f"{name} {count}" for name, count in sorted(classes.items()))
        size = sum(names.values())
        print(
            f"| 127.0.0.1:{port} | {len(names)} | {len(names) / total_keys:.0%} | {size:,}"
            f" | {size / total_bytes:.0%} | {listed} |"
        )


def key_class(name: str, keys: Keys) -> str:
    pinned, spread = keys.patterns[1][:-1], keys.patterns[0][:-1]
    if name.startswith(pinned):
        return "{ns}:" + name.removeprefix(pinned).split(":")[0]
    return "ns:" + name.removeprefix(spread).split(":")[0]


def report_load(
    what: str, before: dict[str, tuple[int, float]], after: dict[str, tuple[int, float]]
) -> None:
    """Commands and CPU of each server between two readings."""
    spent = {
        name: (after[name][0] - commands, after[name][1] - cpu)
        for name, (commands, cpu) in before.items()
    }
    total_commands = sum(commands for commands, _ in spent.values())
    total_cpu = sum(cpu for _, cpu in spent.values())
    print(f"\n{what}\n| server | commands | share | CPU s | share |\n|---|---:|---:|---:|---:|")
    for name, (commands, cpu) in spent.items():
        print(
            f"| {name} | {commands:,} | {commands / total_commands:.0%} | {cpu:.2f}"
            f" | {cpu / total_cpu:.0%} |"
        )
