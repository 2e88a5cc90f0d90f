"""Several hosts, tested as several hosts: Redis, the simulated web and two worker hosts, each
a network namespace with its own address on 10.213.7.0/24, a subnet that exists only inside
them. Both worker hosts run a feeds and an articles worker (``wirestream worker``); the first
also runs beat. One worker host's cable is cut in the middle of the run and plugged back in.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from netns import PREFIX, SUBNET, Host, Network, ip, namespaces, remove_leftovers

from worker.keys import Keys
from worker.simweb import catalog

REPO_ROOT = Path(__file__).resolve().parents[2]
NAMESPACE = "wsmh"
BUDGET = 4.0  # requests per second to the web host, shared by both worker hosts
# The budget spaces the moments Redis admits requests; each reaches the web a little later,
# after a connect and a thread switch. Here two worker hosts, the web and Redis share two
# virtual cores, and now and then one request is a tenth of a second late: fresh-clone CI
# runs saw 5 in 0.95 s and 5 in 0.9 s (the gaps between arrivals are 0.250-0.256 s
# otherwise). So the budget is read where a late request or two cannot hide an excess: over
# ten seconds (at most BUDGET * 10, plus one for the window's first request; 10 % over the
# budget is 44), and one request of slack in a second (a budget not shared by the hosts
# shows 7 in 0.9 s).
RATE_WINDOW = 10.0
WEB_LATENCY = 1.0  # seconds before every answer: a task is in flight long enough to be cut
# Redelivery within seconds, still above the time limit and the retry delay as the settings
# require (tests/e2e/test_worker_killed.py uses the same).
FAST_REDELIVERY = {
    "WIRESTREAM_VISIBILITY_TIMEOUT": "20",
    "WIRESTREAM_TASK_TIME_LIMIT": "15",
    "WIRESTREAM_RETRY_BACKOFF_MAX": "5",
    "WIRESTREAM_UNACKED_RESTORE_INTERVAL": "1",
    "WIRESTREAM_CONNECT_TIMEOUT": "3",
    "WIRESTREAM_READ_TIMEOUT": "5",
    "WIRESTREAM_TOTAL_TIMEOUT": "10",
    "WIRESTREAM_BROKER_SOCKET_TIMEOUT": "2",
}


@dataclass
class Cluster:
    """The running test hosts, and what the test reads from them."""

    net: Network
    hosts: dict[str, Host]
    redis: redis.Redis
    logs: dict[str, Path]
    web_url: str

    def web(self, path: str, *, post: bool = False) -> object:
        """A control or stats answer of the simulated web, asked from the web host itself."""
        fetch = (
            "import sys, urllib.request;"
            " data = b'' if sys.argv[2] == 'post' else None;"
            " print(urllib.request.urlopen(sys.argv[1], data=data, timeout=10).read().decode())"
        )
        method = "post" if post else "get"
        out = self.net.run(
            self.hosts["web"], [sys.executable, "-c", fetch, self.web_url + path, method]
        )
        return json.loads(out) if out.strip() else None

    def stream(self) -> list[tuple[float, dict[str, str]]]:
        """(seconds since the epoch, fields) of every entry of the articles stream."""
        entries = self.redis.xrange(Keys(NAMESPACE).articles_stream)
        return [(int(entry_id.split("-")[0]) / 1000, fields) for entry_id, fields in entries]

    def events(self, role: str) -> list[dict[str, object]]:
        """The JSON log lines of a worker host, in order."""
        events = []
        for line in self.logs[role].read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    continue  # a line cut short while the test reads it
        return events


def published(events: list[dict[str, object]]) -> list[dict[str, object]]:
    """Articles this host appended to the stream (a redelivered copy of an article already
    published says so as "unchanged", without an event of its own)."""
    return [e for e in events if e.get("event") == "entry_processed" and e.get("stream_event")]


def task_states(events: list[dict[str, object]]) -> dict[str, str]:
    """Article task id -> "received" or "finished", from Celery's own log lines."""
    states: dict[str, str] = {}
    for event in events:
        task_id, text = event.get("task_id"), str(event.get("event", ""))
        if not isinstance(task_id, str) or event.get("task_name") != "wirestream.process_entry":
            continue
        if text.endswith("received"):
            states.setdefault(task_id, "received")
        elif " succeeded in " in text or " retry: " in text or " raised " in text:
            states[task_id] = "finished"
    return states


def wait_for(
    condition: Callable[[], object],
    timeout: float,
    what: str,
    state: Callable[[], str] = lambda: "",
) -> float:
    """Waits until ``condition()`` is true; returns the epoch time it became so. On timeout
    the failure says ``state()``: what was there instead."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.time()
        time.sleep(0.25)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what}; {state()}")


def worker_name(events: list[dict[str, object]], queue: str) -> str:
    """The Celery name of a host's worker for ``queue``, from its "<name> ready." line."""
    for event in events:
        text = str(event.get("event", ""))
        if text.startswith(f"{queue}-") and text.endswith(" ready."):
            return text.removesuffix(" ready.")
    pytest.fail(f"no {queue} worker said it was ready")


def heartbeat(cluster: Cluster, worker: str) -> float:
    """The epoch time of the worker's last heartbeat, or 0 while it sends none."""
    stamp = cluster.redis.get(Keys(NAMESPACE).worker_heartbeat(worker))
    return float(stamp) if stamp else 0.0


def host_env(redis_url: str, data_dir: Path, web_address: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WIRESTREAM_")}
    env.update(
        FAST_REDELIVERY,
        WIRESTREAM_REDIS_URL=redis_url,
        WIRESTREAM_NAMESPACE=NAMESPACE,
        # The fetcher's address guard allows the test subnet and nothing else private.
        WIRESTREAM_ALLOWED_NETWORKS=str(SUBNET),
        WIRESTREAM_DATA_DIR=str(data_dir),
        WIRESTREAM_LOG_FORMAT="json",
        WIRESTREAM_ARTICLES_CONCURRENCY="2",
        WIRESTREAM_FEEDS_CONCURRENCY="4",
        WIRESTREAM_TAGS_FILE=str(REPO_ROOT / "config" / "tags.toml"),
        WIRESTREAM_RULES_FILE=str(REPO_ROOT / "config" / "rules.toml"),
        WIRESTREAM_HOST_RATE_OVERRIDES=json.dumps({web_address: BUDGET}),
        # A cut-off host's failed fetches must not park the web host for the other one.
        WIRESTREAM_HOST_FAILURE_THRESHOLD="1000",
        # Every feed polled every 10 s, whatever its publishing rate: the second half of the
        # feeds is found soon after it is released.
        WIRESTREAM_POLL_INTERVAL="10",
        WIRESTREAM_MIN_POLL_INTERVAL="10",
        WIRESTREAM_MAX_POLL_INTERVAL="10",
        WIRESTREAM_BEAT_INTERVAL="1",
        PYTHONPATH=str(REPO_ROOT),
    )
    return env


@pytest.fixture
def cluster(network: Network, tmp_path: Path) -> Cluster:
    hosts = network.create(["redis", "web", "w1", "w2"])
    redis_host, web_host = hosts["redis"], hosts["web"]

    redis_port = network.free_port(redis_host)
    socket_path = tmp_path / "redis.sock"
    redis_log = open(tmp_path / "redis.log", "wb")  # noqa: SIM115 - lives as long as the server
    network.start(
        redis_host,
        [
            "redis-server", "--bind", redis_host.address, "--port", str(redis_port),
            # The test reads the stream through this socket: a file, not the network.
            "--unixsocket", str(socket_path), "--unixsocketperm", "700",
            "--save", "", "--appendonly", "no", "--dir", str(tmp_path),
            "--maxmemory-policy", "noeviction",
            # Reachable from the test subnet alone, which exists only in the namespaces.
            "--protected-mode", "no",
        ],
        env=dict(os.environ),
        cwd=tmp_path,
        log=redis_log,
    )  # fmt: skip
    client = redis.Redis(unix_socket_path=str(socket_path), decode_responses=True)
    wait_for(lambda: socket_path.exists() and client.ping(), 20, "redis-server to answer")

    web_port = network.free_port(web_host)
    web_log = open(tmp_path / "web.log", "wb")  # noqa: SIM115
    network.start(
        web_host,
        [sys.executable, str(Path(__file__).parent / "web_host.py"), web_host.address,
         str(web_port), str(WEB_LATENCY)],
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        cwd=tmp_path,
        log=web_log,
    )  # fmt: skip
    web_url = f"http://{web_host.address}:{web_port}"
    wait_for(lambda: b"serving" in (tmp_path / "web.log").read_bytes(), 30, "the simulated web")

    redis_url = f"redis://{redis_host.address}:{redis_port}/0"
    logs = {}
    for role in ("w1", "w2"):
        workdir = tmp_path / role
        workdir.mkdir()
        env = host_env(redis_url, workdir / "data", web_host.address)
        logs[role] = workdir / "worker.log"
        if role == "w1":
            network.run(
                hosts[role],
                [sys.executable, "-m", "worker.cli", "feeds", "import", f"{web_url}/opml.xml"],
                env=env,
                cwd=workdir,
            )
        network.start(
            hosts[role],
            [sys.executable, "-m", "worker.cli", "worker", "--queues", "feeds,articles"],
            env=env,
            cwd=workdir,
            log=open(logs[role], "wb"),  # noqa: SIM115
        )
    heartbeats = Keys(NAMESPACE).worker_heartbeats
    wait_for(
        lambda: len(list(client.scan_iter(match=heartbeats))) >= 4,
        90,
        "a feeds and an articles worker on each worker host",
    )
    w1_dir = tmp_path / "w1"
    network.start(
        hosts["w1"],
        [sys.executable, "-m", "worker.cli", "beat"],
        env=host_env(redis_url, w1_dir / "data", web_host.address),
        cwd=w1_dir,
        log=open(w1_dir / "beat.log", "wb"),  # noqa: SIM115
    )
    return Cluster(network, hosts, client, logs, web_url)


def test_hosts_reach_only_the_test_subnet(network: Network) -> None:
    hosts = network.create(["a", "b"])
    for host in hosts.values():
        assert network.routes(host) == [str(SUBNET)]
    own_addresses = ip("-4", "-o", "addr", "show")
    assert not [host.address for host in hosts.values() if f" {host.address}/" in own_addresses]


def test_namespaces_left_by_a_killed_run_are_removed_and_a_live_runs_kept(
    network: Network,
) -> None:
    finished = subprocess.Popen(["true"])  # its pid names a run whose process has ended
    finished.wait()
    leftover = f"{PREFIX}-{finished.pid}-w1"
    ip("netns", "add", leftover)
    try:
        network.create(["a"])
        assert remove_leftovers() == [leftover]
        assert leftover not in namespaces()
        assert network.hosts["a"].namespace in namespaces()
    finally:
        if leftover in namespaces():
            ip("netns", "delete", leftover)


def cut_while_holding_work(
    cluster: Cluster, host: Host, attempts: int = 5
) -> tuple[dict[str, int], float, set[str]]:
    """Cut ``host``'s cable once it has published and holds an article task it has not
    finished; returns what each host had published, the time of the cut, and the held tasks.

    A task can finish between the look at the log and the cut: then the cable is plugged
    back in and the host tried again, while the first half of the feeds still gives work."""
    for _ in range(attempts):

        def busy() -> bool:
            events = cluster.events(host.role)
            holding = "received" in task_states(events).values()
            return holding and len(published(events)) >= 2

        wait_for(busy, 120, f"{host.role} to publish articles and hold one more")
        cluster.net.unplug(host)
        cut_at = time.time()
        before_cut = {role: len(published(cluster.events(role))) for role in ("w1", "w2")}
        time.sleep(1)  # log lines written before the cut have reached the file
        held = {
            task
            for task, state in task_states(cluster.events(host.role)).items()
            if state == "received"
        }
        if held:
            return before_cut, cut_at, held
        cluster.net.plug(host)
    pytest.fail(f"{host.role} held no unfinished task at any of {attempts} cuts")


def test_two_worker_hosts_share_the_work_within_one_budget_and_survive_a_cut_cable(
    cluster: Cluster,
) -> None:
    w1, w2 = cluster.hosts["w1"], cluster.hosts["w2"]

    before_cut, cut_at, stranded = cut_while_holding_work(cluster, w2)

    def redelivered_to_w1() -> bool:
        states = task_states(cluster.events("w1"))
        return all(states.get(task) == "finished" for task in stranded)

    redelivered_at = wait_for(redelivered_to_w1, 90, f"w1 to run w2's tasks {sorted(stranded)}")

    cluster.net.plug(w2)
    plugged_at = time.time()
    published_by_w2_before_plug = len(published(cluster.events("w2")))
    # The second half of the feeds is released once w2 is back (its articles worker sends
    # heartbeats again, with no manual step), so that there is work left for it to show.
    w2_articles_worker = worker_name(cluster.events("w2"), "articles")
    rejoined_at = wait_for(
        lambda: heartbeat(cluster, w2_articles_worker) > plugged_at,
        90,
        f"{w2_articles_worker} to send heartbeats again",
        lambda: (
            f"last heartbeat: {heartbeat(cluster, w2_articles_worker)}, plugged at {plugged_at}"
        ),
    )
    cluster.web("/_control/advance?count=1000", post=True)  # the second half of every feed

    def progress() -> tuple[int, int]:
        ids = {fields["id"] for _, fields in cluster.stream()}
        return len(ids), len(published(cluster.events("w2"))) - published_by_w2_before_plug

    def all_published_and_w2_back() -> bool:
        articles, by_w2_since_plug = progress()
        return articles >= len(catalog.ARTICLES) and by_w2_since_plug > 0

    def what_is_missing() -> str:
        articles, by_w2_since_plug = progress()
        return (
            f"{articles} of {len(catalog.ARTICLES)} articles on the stream,"
            f" {by_w2_since_plug} published by w2 since it was plugged back in"
        )

    wait_for(
        all_published_and_w2_back, 150, "every article, and w2 publishing again", what_is_missing
    )
    time.sleep(3)  # room for a late duplicate to show up

    stream = cluster.stream()
    per_article = Counter(fields["id"] for _, fields in stream)
    after_cut = [moment for moment, _ in stream if moment > cut_at]
    moments = [cut_at, *after_cut]
    silence = max((b - a for a, b in itertools.pairwise(moments)), default=0.0)
    clients = cluster.web("/_stats/clients")
    assert isinstance(clients, dict)
    busiest = {
        window: cluster.web(f"/_stats/busiest?window={window:g}") for window in (1, RATE_WINDOW)
    }
    assert all(isinstance(answer, dict) for answer in busiest.values())
    per_host = {role: len(published(cluster.events(role))) for role in ("w1", "w2")}
    print(
        f"\nfault: worker host w2 cut off {redelivered_at - cut_at:.1f} s"
        f" (its {len(stranded)} unacked tasks redelivered to w1), plugged back after"
        f" {plugged_at - cut_at:.1f} s, sending heartbeats again {rejoined_at - plugged_at:.1f} s"
        f" later\n"
        f"expected {len(catalog.ARTICLES)} / published {len(per_article)} / lost"
        f" {len(catalog.ARTICLES) - len(per_article)} / duplicated"
        f" {len(stream) - len(per_article)} / seconds without publishing after the cut"
        f" {silence:.1f}\n"
        f"published per host: {per_host} (before the cut {before_cut});"
        f" requests per client at the web host: {clients};"
        f" busiest second: {busiest[1]['requests']} requests, busiest {RATE_WINDOW:g} s:"
        f" {busiest[RATE_WINDOW]['requests']}, budget {BUDGET:g}/s"
    )

    assert per_host["w1"] > 0 and before_cut["w2"] > 0
    assert clients.get(w1.address, 0) > 0 and clients.get(w2.address, 0) > 0
    assert busiest[RATE_WINDOW]["requests"] <= BUDGET * RATE_WINDOW + 1, busiest[RATE_WINDOW]
    assert busiest[1]["requests"] <= BUDGET + 1, busiest[1]["arrivals"]
    assert len(per_article) == len(catalog.ARTICLES)
    assert max(per_article.values()) == 1
    assert cluster.redis.xlen(Keys(NAMESPACE).dead_stream) == 0
    assert per_host["w2"] > published_by_w2_before_plug
