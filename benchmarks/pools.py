"""Which Celery pool and concurrency each wirestream worker should run, measured here.

Two workloads, each against the simulated web at a fixed per-response latency:

- ``articles``: ``process_entry`` tasks (guarded fetch, trafilatura extraction, tagging, the
  atomic Lua publish to the stream): the work of the ``articles`` worker.
- ``feeds``: ``poll_feed`` tasks (fetch, feedparser, seen check, enqueue of new entries): the
  work of the ``feeds`` worker.

For each latency and workload, first a sequential baseline: the same pipeline function in a
plain loop in one process, no Celery. Then, per configuration, real ``celery worker``
processes (``--pool`` and ``--concurrency`` as listed) on a namespace of their own, fed the
same tasks. Each run first drains a few warm-up tasks (worker start-up, first connections),
then times the real tasks from the first enqueue until the work is done and the broker is
drained. Measured: tasks per second, its ratio to the baseline, CPU per task of the worker
process tree (user + system, from ``/proc``), its peak RSS and PSS (PSS shares the pages a
prefork pool inherits from its parent fairly), and the CPU the simulated web and this
driver spent per task (they share the same cores).

Every key lives under ``bench-<random>-<n>:`` on the given Redis and is deleted at the end.
Run from anywhere; see ``benchmarks/README.md``::

    .venv/bin/python benchmarks/pools.py               # latency 0.1 s and 0.0 s, ~10 min
    .venv/bin/python benchmarks/pools.py --quick       # smoke check, under a minute
"""

from __future__ import annotations

import argparse
import contextlib
import math
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import redis
from celery import Celery

from worker import pipeline
from worker.adapters.store import FeedStore
from worker.app import celery_config
from worker.errors import StageError
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.models import FeedEntry, FeedRef
from worker.services import build_services
from worker.settings import Settings, load_settings
from worker.simweb import SimWeb, catalog
from worker.stages.urls import canonical_url, feed_id
from worker.subscriptions import new_feed

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_BUDGET_SECONDS = 120.0
STOP_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.02
SAMPLE_SECONDS = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class PoolConfig:
    pool: str
    concurrency: int
    workers: int = 1

    @property
    def label(self) -> str:
        one = f"{self.pool} c={self.concurrency}"
        return one if self.workers == 1 else f"{self.workers} x {one}"


ARTICLE_POOLS = (
    PoolConfig("prefork", 2),
    PoolConfig("prefork", 4),
    PoolConfig("prefork", 8),
    PoolConfig("threads", 8),
    PoolConfig("threads", 16),
    PoolConfig("threads", 32),
    PoolConfig("threads", 8, workers=2),
)
FEED_POOLS = (
    PoolConfig("prefork", 4),
    PoolConfig("threads", 8),
    PoolConfig("threads", 16),
    PoolConfig("threads", 32),
    PoolConfig("threads", 64),
)
QUICK_ARTICLE_POOLS = (PoolConfig("prefork", 2), PoolConfig("threads", 8))
QUICK_FEED_POOLS = (PoolConfig("threads", 16),)


# --- the worker process tree, read from /proc --------------------------------------------


def _stat(pid: int) -> tuple[int, float]:
    """Parent pid and CPU seconds (own, plus children already reaped) of one process."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return int(fields[1]), (utime + stime + cutime + cstime) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    """Direct children of a process, whichever of its threads forked them."""
    children = []
    for task in os.scandir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError):  # the thread ended while we looked
            children.extend(int(child) for child in Path(task.path, "children").read_text().split())
    return children


def process_tree(roots: Sequence[int]) -> list[int]:
    tree = list(roots)
    for pid in tree:  # grows while iterated: a breadth-first walk
        with contextlib.suppress(OSError):  # exited while we looked
            tree.extend(_children(pid))
    return tree


def _memory_kb(pid: int) -> tuple[int, int]:
    """RSS and PSS of one process, in kB."""
    rss = pss = 0
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            value = int(rest.split()[0])
            rss, pss = (value, pss) if name == "Rss" else (rss, value)
    return rss, pss


class TreeMonitor:
    """Peak memory of a process tree, sampled in a thread; its CPU time on demand."""

    def __init__(self, roots: Sequence[int]) -> None:
        self._roots = list(roots)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="tree-monitor", daemon=True)
        self.peak_rss_mb = 0.0
        self.peak_pss_mb = 0.0

    def __enter__(self) -> TreeMonitor:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def cpu_seconds(self) -> float:
        total = 0.0
        for pid in process_tree(self._roots):
            with contextlib.suppress(OSError, ValueError):
                total += _stat(pid)[1]
        return total

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            rss = pss = 0
            for pid in process_tree(self._roots):
                with contextlib.suppress(OSError, ValueError):
                    one_rss, one_pss = _memory_kb(pid)
                    rss, pss = rss + one_rss, pss + one_pss
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024)


def driver_cpu_seconds() -> float:
    """This process: the simulated web's threads, the enqueuing, the sampling."""
    times = os.times()
    return times.user + times.system


# --- workloads ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One kind of task: what to send, how to prepare a namespace, how to count progress."""

    name: str
    unit: str
    queue: str
    task: str
    warmup: list[list[Any]]
    timed: list[list[Any]]
    feed_urls: tuple[str, ...] = ()
    """Feeds to subscribe in each namespace before its run (the feeds workload)."""

    def prepare(self, client: redis.Redis, keys: Keys) -> None:
        store = FeedStore(client, keys)
        now = datetime.now(UTC)
        for url in self.feed_urls:
            store.add(new_feed(url, None, (), added_at=now), poll_at=now)

    def progress(self, client: redis.Redis, keys: Keys) -> tuple[int, int, int]:
        """Tasks finished, of which failed, and messages still queued or unacknowledged."""
        pipe = client.pipeline(transaction=False)
        pipe.llen(keys.broker_queue(self.queue))
        pipe.hlen(keys.broker_unacked)
        if self.queue == ARTICLES_QUEUE:
            # Every finished article is one stream entry (created or duplicate) or one dead
            # letter: the variants are distinct articles, so none is "unchanged".
            pipe.xlen(keys.articles_stream)
            pipe.xlen(keys.dead_stream)
            queued, unacked, published, dead = (int(value) for value in pipe.execute())
            return published + dead, dead, queued + unacked
        pipe.hmget(keys.stats, ["feeds.polled", "feeds.not_modified", "feeds.failed"])
        queued, unacked, counters = pipe.execute()
        polled, not_modified, failed = (int(value or 0) for value in counters)
        return polled + not_modified + failed, failed, int(queued) + int(unacked)


def article_payloads(web: SimWeb, discovered_at: datetime) -> list[dict[str, Any]]:
    """Every catalog article as served by ``web``, as the feeds worker would enqueue it."""
    payloads = []
    for article in catalog.ARTICLES:
        feed = catalog.feed_for(article)
        feed_url = f"{web.base_url}/{feed.key}"
        source_url = web.url_for(article)
        entry = FeedEntry(
            feed=FeedRef(id=feed_id(feed_url), url=feed_url, title=feed.title),
            url=canonical_url(source_url),
            source_url=source_url,
            guid=None,
            title=article.title,
            published=article.published,
            discovered_at=discovered_at,
        )
        payloads.append(entry.to_payload())
    return payloads


def articles_workload(mirrors: Sequence[SimWeb], count: int) -> Workload:
    """``count`` article tasks cycling over the catalog on the mirrors; the last mirror is
    kept for warm-up tasks.

    Each mirror is a SimWeb on its own port. A query-string variant would not do: the pages
    name their canonical URL, so ``?bench=k`` is the same article and comes back
    "unchanged", without a stream entry. A page on another port is another article; its
    text equals the first mirror's, so it is published as ``article.duplicate`` after the
    full fetch, extract, tag and publish path.
    """
    now = datetime.now(UTC)
    *served, spare = mirrors
    cycle = [payload for web in served for payload in article_payloads(web, now)]
    timed = [[cycle[index % len(cycle)]] for index in range(count)]
    warmup = [[payload] for payload in article_payloads(spare, now)[:16]]
    return Workload(
        "articles", "article", ARTICLES_QUEUE, "wirestream.process_entry", warmup, timed
    )


def feeds_workload(web: SimWeb, count: int) -> Workload:
    """``count`` polls of distinct feeds: the catalog's feeds under ``?bench=k`` variants.

    Unlike article pages, a feed URL with a query is another feed (a new id), and its first
    poll is a full 200 with a body to parse. The entries it lists are new in the first
    variant polled and already seen afterwards, as in a steady state.
    """
    rounds = math.ceil(count / len(catalog.FEEDS))
    timed_urls = [f"{url}?bench={k}" for k in range(rounds) for url in web.feed_urls()][:count]
    warmup_urls = [f"{url}?warmup=1" for url in web.feed_urls()]
    return Workload(
        "feeds",
        "poll",
        FEEDS_QUEUE,
        "wirestream.poll_feed",
        warmup=[[feed_id(url)] for url in warmup_urls],
        timed=[[feed_id(url)] for url in timed_urls],
        feed_urls=(*warmup_urls, *timed_urls),
    )


# --- runs --------------------------------------------------------------------------------


@dataclass
class Row:
    label: str
    total: int
    done: int = 0
    failed: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    driver_seconds: float = 0.0
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Bench:
    """What every run shares: the Redis, the namespace prefix, where worker logs go."""

    redis_url: str
    prefix: str
    log_dir: Path
    client: redis.Redis
    runs: int = 0
    rows: dict[tuple[str, float], list[Row]] = field(default_factory=dict)

    def new_namespace(self) -> Settings:
        self.runs += 1
        return load_settings(
            redis_url=self.redis_url,
            namespace=f"{self.prefix}-{self.runs}",
            allowed_networks="127.0.0.0/8",
            data_dir=self.log_dir / f"data-{self.runs}",
        )

    def delete_keys(self) -> int:
        deleted = 0
        for key in self.client.scan_iter(match=f"{self.prefix}-*", count=1000):
            deleted += int(self.client.unlink(key))
        return deleted


def sender_for(settings: Settings) -> Celery:
    """A Celery client with the workers' broker settings (key prefix included)."""
    app = Celery("wirestream-bench", set_as_current=False)
    app.config_from_object(celery_config(settings))
    return app


def send(app: Celery, task: str, queue: str, arguments: Sequence[list[Any]]) -> None:
    with app.producer_or_acquire() as producer:
        for args in arguments:
            app.send_task(task, args=args, queue=queue, producer=producer)


def worker_environment(settings: Settings) -> dict[str, str]:
    # Only this run's settings: a WIRESTREAM_* variable of the caller's shell must not leak in.
    env = {key: value for key, value in os.environ.items() if not key.startswith("WIRESTREAM_")}
    env.update(
        WIRESTREAM_REDIS_URL=str(settings.redis_url),
        WIRESTREAM_NAMESPACE=settings.namespace,
        WIRESTREAM_ALLOWED_NETWORKS="127.0.0.0/8",
        WIRESTREAM_DATA_DIR=str(settings.data_dir),
    )
    return env


@contextlib.contextmanager
def celery_workers(
    config: PoolConfig, queue: str, settings: Settings, log_dir: Path
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """``config.workers`` worker processes, as ``worker.runtime.worker_command`` starts them
    but with the pool under test; stopped with a warm shutdown, killed if it hangs."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index in range(config.workers):
            command = [
                sys.executable, "-m", "celery", "-A", "worker.app", "worker",
                "--queues", queue, "--pool", config.pool,
                "--concurrency", str(config.concurrency),
                "--hostname", f"{settings.namespace}-{index}@%h", "--loglevel", "INFO",
                "--without-mingle", "--without-gossip",
            ]  # fmt: skip
            with open(log_dir / f"{settings.namespace}-{index}.log", "wb") as log:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=REPO_ROOT,
                        env=worker_environment(settings),
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # Its own process group, so a hung pool can be killed as a whole.
                        start_new_session=True,
                    )
                )
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for process in processes:
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


class GaveUp(Exception):
    pass


def wait_for_tasks(
    workload: Workload,
    client: redis.Redis,
    keys: Keys,
    target: int,
    deadline: float,
    processes: Sequence[subprocess.Popen[bytes]],
) -> tuple[int, int]:
    """Wait until ``target`` tasks have finished and the broker holds none; return the
    finished and failed counts."""
    while True:
        finished, failed, in_broker = workload.progress(client, keys)
        if finished >= target and in_broker == 0:
            return finished, failed
        exited = [process.returncode for process in processes if process.poll() is not None]
        if exited:
            raise GaveUp(f"worker exited with {exited}")
        if time.monotonic() > deadline:
            raise GaveUp(f"gave up after {CONFIG_BUDGET_SECONDS:g} s")
        time.sleep(POLL_SECONDS)


def run_pool(bench: Bench, workload: Workload, config: PoolConfig) -> Row:
    settings = bench.new_namespace()
    keys = Keys(settings.namespace)
    workload.prepare(bench.client, keys)
    row = Row(config.label, total=len(workload.timed))
    sender = sender_for(settings)
    deadline = time.monotonic() + CONFIG_BUDGET_SECONDS
    warm = len(workload.warmup)
    started = time.perf_counter()
    try:
        with (
            celery_workers(config, workload.queue, settings, bench.log_dir) as processes,
            TreeMonitor([process.pid for process in processes]) as monitor,
        ):
            try:
                # Warm-up: worker start-up, the first connections of each pool process.
                send(sender, workload.task, workload.queue, workload.warmup)
                wait_for_tasks(workload, bench.client, keys, warm, deadline, processes)
                cpu, driver = monitor.cpu_seconds(), driver_cpu_seconds()
                started = time.perf_counter()
                send(sender, workload.task, workload.queue, workload.timed)
                finished, failed = wait_for_tasks(
                    workload, bench.client, keys, warm + row.total, deadline, processes
                )
                row.done, row.failed = finished - warm, failed
                row.cpu_seconds = monitor.cpu_seconds() - cpu
                row.driver_seconds = driver_cpu_seconds() - driver
            except GaveUp as error:
                finished, failed, _ = workload.progress(bench.client, keys)
                row.done, row.failed = max(finished - warm, 0), failed
                row.note = str(error)
            row.seconds = time.perf_counter() - started
        row.peak_rss_mb, row.peak_pss_mb = monitor.peak_rss_mb, monitor.peak_pss_mb
    finally:
        sender.close()
    return row


@dataclass(frozen=True)
class SequentialResult:
    done: int
    failed: int
    seconds: float
    cpu_seconds: float


def sequential_loop(
    workload: Workload, settings: Settings, budget: float, results: Connection
) -> None:
    """The baseline, in a process of its own: the pipeline function in a plain loop."""
    sender = sender_for(settings)

    def enqueue(entries: Sequence[FeedEntry]) -> None:
        # What ``worker.tasks.enqueue_entries`` does, without importing the worker's app.
        payloads = [[entry.to_payload()] for entry in entries]
        send(sender, "wirestream.process_entry", ARTICLES_QUEUE, payloads)

    services = build_services(settings, str(settings.redis_url), enqueue)

    def run(args: list[Any]) -> None:
        if workload.queue == ARTICLES_QUEUE:
            pipeline.process_entry(FeedEntry.from_payload(args[0]), services)
        else:
            pipeline.poll_feed(args[0], services)

    for args in workload.warmup:
        with contextlib.suppress(StageError):
            run(args)
    deadline = time.monotonic() + budget
    cpu, started = time.process_time(), time.perf_counter()
    done = failed = 0
    for args in workload.timed:
        if time.monotonic() > deadline:
            break
        try:
            run(args)
        except StageError:  # counted, as a worker would dead-letter it
            failed += 1
        done += 1
    seconds = time.perf_counter() - started
    results.send(SequentialResult(done, failed, seconds, time.process_time() - cpu))
    services.close()
    sender.close()


def run_sequential(bench: Bench, workload: Workload) -> Row:
    settings = bench.new_namespace()
    workload.prepare(bench.client, Keys(settings.namespace))
    row = Row("sequential, 1 process", total=len(workload.timed))
    # A spawned process: its CPU and memory are the loop's alone, not the simulated web's.
    context = multiprocessing.get_context("spawn")
    receiver, results = context.Pipe(duplex=False)
    child = context.Process(
        target=sequential_loop, args=(workload, settings, CONFIG_BUDGET_SECONDS, results)
    )
    driver = driver_cpu_seconds()
    child.start()
    results.close()
    assert child.pid is not None
    with TreeMonitor([child.pid]) as monitor:
        # The child reports within the budget plus its start-up; a crash closes the pipe.
        if receiver.poll(CONFIG_BUDGET_SECONDS + 60):
            try:
                result: SequentialResult = receiver.recv()
                row.done, row.failed = result.done, result.failed
                row.seconds, row.cpu_seconds = result.seconds, result.cpu_seconds
            except EOFError:
                row.note = "baseline process died"
        else:
            row.note = "baseline gave no result"
        child.join(timeout=STOP_GRACE_SECONDS)
        if child.is_alive():
            child.kill()
            child.join()
    # Includes the child's start-up; the baseline's web share is indicative only.
    row.driver_seconds = driver_cpu_seconds() - driver
    row.peak_rss_mb, row.peak_pss_mb = monitor.peak_rss_mb, monitor.peak_pss_mb
    if row.done < row.total and not row.note:
        row.note = f"stopped after {CONFIG_BUDGET_SECONDS:g} s"
    return row


# --- report ------------------------------------------------------------------------------


def format_table(workload: str, unit: str, latency: float, rows: Sequence[Row]) -> str:
    base = rows[0].rate if rows and rows[0].rate > 0 else float("nan")
    header = (
        f"{'configuration':<22} {'done':>9} {unit + 's/s':>11} {'vs seq':>7}"
        f" {'CPU ms/' + unit:>14} {'peak RSS MB':>12} {'peak PSS MB':>12}"
        f" {'web ms/' + unit:>14}  note"
    )
    lines = [f"{workload}, latency {latency:g} s", header, "-" * len(header)]
    for row in rows:
        per_task = 1000 / row.done if row.done else float("nan")
        lines.append(
            f"{row.label:<22} {f'{row.done}/{row.total}':>9} {row.rate:>11.1f}"
            f" {row.rate / base:>6.2f}x {row.cpu_seconds * per_task:>14.1f}"
            f" {row.peak_rss_mb:>12.0f} {row.peak_pss_mb:>12.0f}"
            f" {row.driver_seconds * per_task:>14.1f}"
            f"  {(f'{row.failed} failed; ' if row.failed else '') + row.note}".rstrip()
        )
    return "\n".join(lines)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Measure Celery pools and concurrency for the articles and feeds workers."
    )
    parser.add_argument(
        "--latency",
        type=float,
        default=0.1,
        help="seconds the simulated web waits before each response (default 0.1); the full "
        "run adds 0.0, the CPU-bound case",
    )
    parser.add_argument("--articles", type=int, help="article tasks per run (default 400)")
    parser.add_argument("--polls", type=int, help="feed polls per run (default 240)")
    parser.add_argument("--quick", action="store_true", help="a smoke check in under a minute")
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("WIRESTREAM_REDIS_URL") or "redis://127.0.0.1:6379/0",
        help="the Redis to use (default $WIRESTREAM_REDIS_URL or redis://127.0.0.1:6379/0)",
    )
    args = parser.parse_args(argv)
    if args.latency < 0:
        parser.error("--latency must be 0 or more")
    args.articles = args.articles or (80 if args.quick else 400)
    args.polls = args.polls or (48 if args.quick else 240)
    if args.articles < 1 or args.polls < 1:
        parser.error("--articles and --polls must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Settings read config/wirestream.toml relative to the working directory, as the workers
    # (started in the repository root) do.
    os.chdir(REPO_ROOT)
    latencies = [args.latency] if args.quick or args.latency == 0 else [args.latency, 0.0]
    article_pools = QUICK_ARTICLE_POOLS if args.quick else ARTICLE_POOLS
    feed_pools = QUICK_FEED_POOLS if args.quick else FEED_POOLS
    mirrors_needed = math.ceil(args.articles / len(catalog.ARTICLES)) + 1

    begun = time.monotonic()
    client = redis.Redis.from_url(args.redis_url)
    client.ping()
    tables = []
    with tempfile.TemporaryDirectory(prefix="wirestream-bench-") as scratch:
        bench = Bench(args.redis_url, f"bench-{secrets.token_hex(4)}", Path(scratch), client)
        progress(f"namespaces {bench.prefix}-*, worker logs in {scratch} (removed at the end)")
        try:
            for latency in latencies:
                with contextlib.ExitStack() as stack:
                    mirrors = [
                        stack.enter_context(SimWeb(latency=latency)) for _ in range(mirrors_needed)
                    ]
                    workloads = [
                        (articles_workload(mirrors, args.articles), article_pools),
                        (feeds_workload(mirrors[0], args.polls), feed_pools),
                    ]
                    for workload, pools in workloads:
                        rows = [run_sequential(bench, workload)]
                        progress(f"{workload.name} {latency:g} s: {rows[-1].label} done")
                        for config in pools:
                            rows.append(run_pool(bench, workload, config))
                            progress(f"{workload.name} {latency:g} s: {config.label} done")
                        tables.append(format_table(workload.name, workload.unit, latency, rows))
        finally:
            deleted = bench.delete_keys()
            client.close()
    elapsed = time.monotonic() - begun
    print(
        f"wirestream pool benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" {args.articles} article tasks and {args.polls} feed polls per run"
    )
    print("CPU, RSS and PSS: the worker process tree; web: the simulated web and this driver\n")
    print("\n\n".join(tables))
    print(f"\ntotal {elapsed:.0f} s; deleted {deleted} Redis keys under {bench.prefix}-*")
    return 0


if __name__ == "__main__":
    sys.exit(main())
