"""A capacity model from measurements: what one article and one feed poll cost, and what
serves 10,000, 100,000 and 1,000,000 feeds.

What runs: a redis-server of its own (a free loopback port, a temporary directory, removed at
the end), the simulated web in a process of its own (no latency: the CPU-bound case), real
Celery workers started as ``benchmarks/pools.py`` starts them, and this driver.

Measured, per unit, over a timed window after an untimed warm-up:

- **article** (``wirestream.process_entry``: fetch, extract, dedupe, tag, Lua publish) and
  **poll** (``wirestream.poll_feed``), twice: a 200 and a parse of feeds whose entries are all
  seen already, then the same feeds again, which answer 304;
- CPU seconds of the worker process tree and of redis-server (``/proc``);
- Redis commands (``INFO commandstats`` deltas on this run's own server: the broker's
  traffic, task events and heartbeats included);
- Redis memory per kept item, by key class (``MEMORY USAGE`` of every key of the run), and
  the articles stream's bytes per entry.

Then the model, with the mix stated in ``MIX`` (and printed): worker cores, Redis CPU and
Redis memory for each fleet size, and the first of them to run out.

    .venv/bin/python benchmarks/capacity.py                  # 300 articles, 240 polls
    .venv/bin/python benchmarks/capacity.py --articles 120 --polls 120   # quicker
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pools import (  # a sibling script, not a package
    CONFIG_BUDGET_SECONDS,
    Bench,
    PoolConfig,
    TreeMonitor,
    Web,
    Workload,
    articles_workload,
    celery_workers,
    code_version,
    cpu_seconds,
    feeds_workload,
    progress,
    send,
    sender_for,
    simulated_web,
    wait_for_tasks,
)

from worker.keys import Keys
from worker.settings import load_settings
from worker.simweb import catalog

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTICLE_POOL = PoolConfig("prefork", 2)  # the articles worker's default pool, one per core
FEED_POOL = PoolConfig("threads", 16)
FLEETS = (10_000, 100_000, 1_000_000)
# Plan for this share of a resource, leaving room for bursts (a morning's news) and catch-up.
HEADROOM = 0.6
REDIS_CORES = 1.0  # Redis runs commands on one thread
LARGEST_REDIS_GB = 64.0  # a large single Redis node; past it, a Redis Cluster
IDLE_SECONDS = 5.0  # the baseline: the same workers, warm and idle


@dataclass(frozen=True)
class Mix:
    """What a fleet of feeds asks for, per feed (the model's stated assumptions)."""

    poll_interval_s: float = 900.0
    """Mean seconds between two polls of a feed (the default ``poll_interval``; the adaptive
    schedule moves each feed between ``min_poll_interval`` 300 s and 86,400 s)."""
    not_modified_share: float = 0.8
    """Polls answered 304 (nothing new since the last poll; ~0.9 at 10 articles a day and a
    poll every 15 minutes, less where servers ignore conditional requests)."""
    articles_per_day: float = 10.0
    """New articles a feed lists per day, on average (busy outlets 100+, most blogs < 1)."""
    article_ttl_days: float = 90.0
    """``article_ttl_days`` and ``seen_ttl_days``: how long an article's keys are kept."""
    dedupe_window_days: float = 7.0
    stream_maxlen: int = 1_000_000

    def polls_per_s(self, feeds: int) -> float:
        return feeds / self.poll_interval_s

    def articles_per_s(self, feeds: int) -> float:
        return feeds * self.articles_per_day / 86_400


MIX = Mix()
# What would move the memory limit: the keys that remember articles, kept two weeks.
SHORT_MEMORY = Mix(article_ttl_days=14.0)


@dataclass(frozen=True)
class Window:
    """What the workers and Redis used between two readings."""

    seconds: float = 0.0
    worker_cpu: float = 0.0
    redis_cpu: float = 0.0
    commands: Counter[str] = field(default_factory=Counter)

    @classmethod
    def between(cls, start: Reading, end: Reading) -> Window:
        return cls(
            end.at - start.at,
            end.worker_cpu - start.worker_cpu,
            end.redis_cpu - start.redis_cpu,
            end.calls - start.calls,
        )


@dataclass(frozen=True)
class Reading:
    at: float
    worker_cpu: float
    redis_cpu: float
    calls: Counter[str]

    @classmethod
    def take(cls, monitor: TreeMonitor, client: redis.Redis, redis_pid: int) -> Reading:
        return cls(
            time.perf_counter(),
            monitor.cpu_seconds(),
            cpu_seconds(redis_pid),
            command_calls(client),
        )


@dataclass(frozen=True)
class UnitCost:
    """What one unit (an article, a poll) cost: the timed window less what the same worker
    used idle for as long (broker polling, heartbeats: a cost per worker, not per unit)."""

    name: str
    units: int
    busy: Window
    idle: Window

    def _net(self, busy: float, idle: float) -> float:
        idle_in_window = idle / self.idle.seconds * self.busy.seconds
        return max(busy - idle_in_window, 0.0) / self.units if self.units else math.nan

    @property
    def worker_cpu(self) -> float:
        return self._net(self.busy.worker_cpu, self.idle.worker_cpu)

    @property
    def redis_cpu(self) -> float:
        return self._net(self.busy.redis_cpu, self.idle.redis_cpu)

    @property
    def commands(self) -> float:
        return self._net(sum(self.busy.commands.values()), sum(self.idle.commands.values()))

    def idle_per_second(self) -> tuple[float, float]:
        """Redis CPU seconds and commands per second of one idle worker process."""
        return (
            self.idle.redis_cpu / self.idle.seconds,
            sum(self.idle.commands.values()) / self.idle.seconds,
        )


@dataclass(frozen=True)
class Memory:
    """Bytes per kept item of each key class, from MEMORY USAGE of every key of a run."""

    per_item: dict[str, float]
    items: dict[str, int]
    stream_payload_bytes: float


# --- an own redis-server -----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def own_redis(scratch: Path) -> Iterator[tuple[str, int]]:
    """A redis-server for this run alone: its URL and pid; stopped and removed at the end."""
    port = free_port()
    server = subprocess.Popen(
        [
            "redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
            "--appendonly", "no", "--dir", str(scratch), "--maxmemory-policy", "noeviction",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                break
            time.sleep(0.1)
        else:
            raise RuntimeError(f"redis-server on port {port} did not answer within 10 s")
        yield url, server.pid
    finally:
        client.close()
        server.terminate()
        server.wait(timeout=30)


def command_calls(client: redis.Redis) -> Counter[str]:
    stats = client.info("commandstats")
    return Counter(
        {name.removeprefix("cmdstat_"): int(entry["calls"]) for name, entry in stats.items()}
    )


# Key classes that hold many articles each: their memory is counted per published article.
PER_PUBLISHED = ("lsh", "cluster")


# --- measurements ------------------------------------------------------------------------


def measure(
    bench: Bench,
    web: Web,
    workload: Workload,
    config: PoolConfig,
    redis_pid: int,
    rounds: Sequence[str],
) -> tuple[list[UnitCost], str]:
    """Run ``workload``'s timed tasks once per round, on the same real workers; the cost per
    unit of each round, and the namespace it wrote. A feed's second poll is a 304."""
    settings = bench.new_namespace()
    keys = Keys(settings.namespace)
    workload.prepare(bench.client, keys)
    progress(f"{workload.name}: {len(workload.timed)} on {config.label} ...")
    logs = [bench.scratch / f"{settings.namespace}.log"]
    sender = sender_for(settings)
    deadline = time.monotonic() + CONFIG_BUDGET_SECONDS
    warm = len(workload.warmup)
    try:
        with (
            celery_workers(config, workload.queue, settings, logs) as processes,
            TreeMonitor([process.pid for process in processes]) as monitor,
        ):
            send(sender, workload.task, workload.queue, workload.warmup)
            wait_for_tasks(workload, bench.client, keys, warm, deadline, processes)
            idle_start = Reading.take(monitor, bench.client, redis_pid)
            time.sleep(IDLE_SECONDS)
            readings = [Reading.take(monitor, bench.client, redis_pid)]
            done = [warm]
            for _ in rounds:
                send(sender, workload.task, workload.queue, workload.timed)
                finished, failed = wait_for_tasks(
                    workload, bench.client, keys, done[-1] + len(workload.timed), deadline,
                    processes,
                )  # fmt: skip
                readings.append(Reading.take(monitor, bench.client, redis_pid))
                done.append(finished)
                if failed:
                    progress(f"  {failed} of them failed (counted, dead-lettered)")
    finally:
        sender.close()
    idle = Window.between(idle_start, readings[0])
    costs = [
        UnitCost(name, done[k + 1] - done[k], Window.between(readings[k], readings[k + 1]), idle)
        for k, name in enumerate(rounds)
    ]
    return costs, settings.namespace


def key_class(namespace: str, key: str) -> str:
    """``ns:article:<id>`` -> ``article``; the broker's keys are one class."""
    rest = key.removeprefix(f"{namespace}:")
    return rest.split(":", 1)[0]


def memory_by_class(client: redis.Redis, namespaces: Sequence[str]) -> Memory:
    """Bytes per item of each key class, over the runs' namespaces.

    An item is a key (an article, a content hash, a seen entry), except: a member of the feed
    hash and due set (per feed), an entry of the stream, and a published article for the
    near-duplicate index's buckets and story lists (``PER_PUBLISHED``), which hold many."""
    usage: defaultdict[str, float] = defaultdict(float)
    items: Counter[str] = Counter()
    payload = published = 0
    for namespace in namespaces:
        keys = Keys(namespace)
        published += client.xlen(keys.articles_stream)
        members = {
            keys.feeds: client.hlen(keys.feeds),
            keys.due: client.zcard(keys.due),
            keys.articles_stream: client.xlen(keys.articles_stream),
        }
        for key in client.scan_iter(match=f"{namespace}:*", count=1000):
            name = key.decode()
            kind = "feeds/due" if name in (keys.feeds, keys.due) else key_class(namespace, name)
            usage[kind] += client.memory_usage(name, samples=0) or 0
            items[kind] += int(members.get(name, 1))
        for _, fields in client.xrange(keys.articles_stream) or []:
            payload += sum(len(name) + len(value) for name, value in (fields or {}).items())
    items["feeds/due"] //= 2  # each feed is one member of the hash and one of the set
    for kind in PER_PUBLISHED:
        items[kind] = published
    per_item = {kind: usage[kind] / items[kind] for kind in usage if items[kind]}
    return Memory(per_item, dict(items), payload / published if published else math.nan)


# --- the model ---------------------------------------------------------------------------

# Which key classes a kept article holds, and for how long (MIX); the rest is per feed or
# transient (the broker's queues, counters, host budgets, robots, boilerplate per host).
PER_ARTICLE_FOR_TTL = ("article", "content", "seen")
PER_ARTICLE_FOR_WINDOW = PER_PUBLISHED


@dataclass(frozen=True)
class Fleet:
    feeds: int
    polls_per_s: float
    articles_per_s: float
    worker_cores: float
    redis_cpu_share: float
    redis_commands_per_s: float
    redis_gb: float


@dataclass(frozen=True)
class Costs:
    article: UnitCost
    poll_200: UnitCost
    poll_304: UnitCost

    def poll(self, mix: Mix, cost: Callable[[UnitCost], float]) -> float:
        """A poll's cost under the mix's share of 304s."""
        share = mix.not_modified_share
        return share * cost(self.poll_304) + (1 - share) * cost(self.poll_200)


def model(feeds: int, costs: Costs, memory: Memory, mix: Mix) -> Fleet:
    polls, articles = mix.polls_per_s(feeds), mix.articles_per_s(feeds)
    article = costs.article
    worker_cpu = costs.poll(mix, lambda cost: cost.worker_cpu)
    worker_cores = (polls * worker_cpu + articles * article.worker_cpu) / HEADROOM
    # One worker process per core, each polling the broker and beating while idle.
    processes = math.ceil(worker_cores)
    idle_cpu, idle_commands = (
        (a + b) / 2
        for a, b in zip(article.idle_per_second(), costs.poll_200.idle_per_second(), strict=True)
    )
    redis_cpu = (
        polls * costs.poll(mix, lambda cost: cost.redis_cpu)
        + articles * article.redis_cpu
        + processes * idle_cpu
    )
    commands = (
        polls * costs.poll(mix, lambda cost: cost.commands)
        + articles * article.commands
        + processes * idle_commands
    )
    per_day = feeds * mix.articles_per_day
    kept = per_day * mix.article_ttl_days
    in_window = per_day * mix.dedupe_window_days
    size = memory.per_item
    stream = min(mix.stream_maxlen, kept) * size.get("articles", 0.0)
    total = (
        feeds * size.get("feeds/due", 0.0)
        + kept * sum(size.get(kind, 0.0) for kind in PER_ARTICLE_FOR_TTL)
        + in_window * sum(size.get(kind, 0.0) for kind in PER_ARTICLE_FOR_WINDOW)
        + stream
    )
    return Fleet(
        feeds, polls, articles, worker_cores, redis_cpu / REDIS_CORES, commands, total / 1e9
    )


def first_bottleneck(fleet: Fleet) -> str:
    if fleet.redis_gb > LARGEST_REDIS_GB:
        return f"Redis memory ({fleet.redis_gb:.0f} GB > {LARGEST_REDIS_GB:g} GB node)"
    if fleet.redis_cpu_share > HEADROOM:
        return f"Redis CPU ({fleet.redis_cpu_share:.0%} of its one thread)"
    return (
        f"none: Redis at {fleet.redis_gb / LARGEST_REDIS_GB:.0%} of a {LARGEST_REDIS_GB:g} GB"
        f" node and {fleet.redis_cpu_share:.0%} of a core; workers scale out"
    )


# --- output ------------------------------------------------------------------------------


def format_costs(costs: Costs, memory: Memory) -> str:
    units = (costs.article, costs.poll_200, costs.poll_304)
    lines = [
        "| per unit (net of the idle baseline) | " + " | ".join(c.name for c in units) + " |",
        "|---|---:|---:|---:|",
        "| measured units | " + " | ".join(str(c.units) for c in units) + " |",
        "| worker CPU ms | " + " | ".join(f"{c.worker_cpu * 1e3:.1f}" for c in units) + " |",
        "| redis-server CPU ms | " + " | ".join(f"{c.redis_cpu * 1e3:.3f}" for c in units) + " |",
        "| Redis commands (Lua's own included) | "
        + " | ".join(f"{c.commands:.1f}" for c in units)
        + " |",
    ]
    for cost in units:
        top = ", ".join(
            f"{name} {calls / cost.units:.1f}" for name, calls in cost.busy.commands.most_common(10)
        )
        idle_cpu, idle_commands = cost.idle_per_second()
        lines.append(
            f"\n{cost.name}: {cost.units} in {cost.busy.seconds:.1f} s; commands per unit (gross),"
            f" most frequent first: {top}.\n  Idle worker baseline: {idle_commands:.1f}"
            f" commands/s, {idle_cpu * 1e3:.2f} ms of redis-server CPU per second."
        )
    sizes = ", ".join(
        f"{kind} {size:.0f} B ({memory.items[kind]})"
        for kind, size in sorted(memory.per_item.items(), key=lambda item: -item[1])
    )
    lines.append(f"\nRedis memory per item (MEMORY USAGE; items in brackets): {sizes}")
    lines.append(
        f"stream: {memory.per_item.get('articles', math.nan):.0f} B of Redis memory per entry,"
        f" {memory.stream_payload_bytes:.0f} B of field names and values"
    )
    return "\n".join(lines)


def format_model(fleets: Sequence[Fleet], mix: Mix) -> str:
    lines = [
        f"Mix: a poll every {mix.poll_interval_s:g} s per feed (mean),"
        f" {mix.not_modified_share:.0%} of them 304, {mix.articles_per_day:g}"
        f" new articles per feed per day, articles and seen entries kept"
        f" {mix.article_ttl_days:g} days, dedupe window {mix.dedupe_window_days:g} days,"
        f" stream capped at {mix.stream_maxlen:,} entries. Worker cores at"
        f" {HEADROOM:.0%} load.",
        "",
        "| feeds | polls/s | articles/s | worker cores | Redis commands/s"
        " | Redis CPU (1 thread) | Redis memory | first bottleneck |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for fleet in fleets:
        lines.append(
            f"| {fleet.feeds:,} | {fleet.polls_per_s:,.0f} | {fleet.articles_per_s:,.1f}"
            f" | {fleet.worker_cores:,.1f} | {fleet.redis_commands_per_s:,.0f}"
            f" | {fleet.redis_cpu_share:.0%} | {fleet.redis_gb:,.1f} GB"
            f" | {first_bottleneck(fleet)} |"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="timed article tasks")
    parser.add_argument("--polls", type=int, default=240, help="timed feed polls")
    args = parser.parse_args(argv)
    if args.articles < 1 or args.polls < 1:
        parser.error("--articles and --polls must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(REPO_ROOT)  # settings read config/wirestream.toml from here, as the workers do
    load_settings()  # a broken config stops here, with its one-line message
    begun = time.monotonic()
    commit, digest = code_version()
    mirrors = math.ceil(args.articles / len(catalog.ARTICLES)) + 1
    with (
        tempfile.TemporaryDirectory(prefix="wirestream-capacity-") as scratch,
        own_redis(Path(scratch)) as (redis_url, redis_pid),
    ):
        client = redis.Redis.from_url(redis_url)
        bench = Bench(redis_url, f"capacity-{secrets.token_hex(4)}", Path(scratch), client)
        with simulated_web(0.0, mirrors) as web:
            (article,), article_ns = measure(
                bench, web, articles_workload(web, args.articles), ARTICLE_POOL, redis_pid,
                ["article"],
            )  # fmt: skip
            (poll_200, poll_304), poll_ns = measure(
                bench, web, feeds_workload(web, args.polls), FEED_POOL, redis_pid,
                ["poll, 200", "poll, 304"],
            )  # fmt: skip
        costs = Costs(article, poll_200, poll_304)
        memory = memory_by_class(client, [article_ns, poll_ns])
        client.close()
    print(
        f"wirestream capacity: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" commit {commit}, worker/ digest {digest}; own redis-server, simulated web without"
        f" latency; articles on {ARTICLE_POOL.label}, polls on {FEED_POOL.label}.\n"
    )
    print(format_costs(costs, memory))
    print()
    for mix in (MIX, SHORT_MEMORY):
        print(format_model([model(feeds, costs, memory, mix) for feeds in FLEETS], mix))
        print()
    print(f"\ntotal {time.monotonic() - begun:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
