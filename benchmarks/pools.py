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
then times the real tasks from the first enqueue until they are all finished and the broker
holds none. Measured: tasks per second and the ratio to the baseline; CPU per task of the
worker process tree (user + system, from ``/proc``); its peak RSS and PSS (PSS splits the
pages a prefork pool shares with its parent, RSS counts them in every process); and CPU per
task of the simulated web, which runs in a process of its own on the same cores.

Every Redis key lives under ``bench-<random>-<n>:`` and is deleted at the end. Usage in
``benchmarks/README.md``::

    .venv/bin/python benchmarks/pools.py               # latency 0.1 s and 0.0 s
    .venv/bin/python benchmarks/pools.py --quick       # smoke check, under a minute
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
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
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
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
from worker.simweb.model import Feed
from worker.stages.urls import canonical_url, feed_id
from worker.subscriptions import new_feed

REPO_ROOT = Path(__file__).resolve().parent.parent
CONFIG_BUDGET_SECONDS = 120.0
STOP_GRACE_SECONDS = 20.0
POLL_SECONDS = 0.05
SAMPLE_SECONDS = 0.2
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PROCESS_ENTRY = "wirestream.process_entry"
POLL_FEED = "wirestream.poll_feed"


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
    # Whether enough processes catch up with threads on a waiting-bound load, and at what
    # memory cost.
    PoolConfig("prefork", 16),
    PoolConfig("threads", 8),
    PoolConfig("threads", 16),
    PoolConfig("threads", 32),
    # Two interpreters, two GILs: the CPU-bound extraction of one no longer stalls the other.
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


# --- processes, read from /proc ----------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), plus its children already reaped."""
    text = Path(f"/proc/{pid}/stat").read_text()
    # The command name may hold spaces and parentheses: the fields start after the last ")".
    fields = text[text.rindex(")") + 2 :].split()
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return (utime + stime + cutime + cstime) / CLOCK_TICKS


def _children(pid: int) -> list[int]:
    """Direct children of a process, whichever of its threads forked them."""
    children: list[int] = []
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


def memory_kb(pid: int) -> tuple[int, int]:
    """RSS and PSS of one process, in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("Rss", "Pss"):
            found[name] = int(rest.split()[0])
    return found.get("Rss", 0), found.get("Pss", 0)


class TreeMonitor:
    """Peak memory of process trees, sampled in a thread; their CPU time on demand."""

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
            with contextlib.suppress(OSError):
                total += cpu_seconds(pid)
        return total

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            rss = pss = 0
            for pid in process_tree(self._roots):
                with contextlib.suppress(OSError):
                    one_rss, one_pss = memory_kb(pid)
                    rss, pss = rss + one_rss, pss + one_pss
            self.peak_rss_mb = max(self.peak_rss_mb, rss / 1024)
            self.peak_pss_mb = max(self.peak_pss_mb, pss / 1024)


# --- the simulated web, in a process of its own ------------------------------------------


@dataclass(frozen=True)
class Web:
    pid: int
    base_urls: list[str]
    """One per mirror: the same catalog on another port."""

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)


def serve_mirrors(latency: float, count: int, ready: Connection, stop: Event) -> None:
    """The web process: ``count`` SimWebs with one latency, until ``stop`` is set."""
    webs = [SimWeb(latency=latency).start() for _ in range(count)]
    try:
        ready.send([web.base_url for web in webs])
        stop.wait()
    finally:
        for web in webs:
            web.stop()


@contextlib.contextmanager
def simulated_web(latency: float, count: int) -> Iterator[Web]:
    # Its own process, so that its CPU can be told apart from the workers' and this
    # driver's, and its threads never hold this process's GIL.
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    stop = context.Event()
    process = context.Process(
        target=serve_mirrors, args=(latency, count, sender, stop), name="simweb", daemon=True
    )
    process.start()
    sender.close()
    try:
        if not receiver.poll(60):
            raise RuntimeError("simweb: the web process did not start within 60 s")
        assert process.pid is not None
        yield Web(process.pid, receiver.recv())
    finally:
        stop.set()
        process.join(STOP_GRACE_SECONDS)
        if process.is_alive():
            process.kill()
            process.join()


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
        """Tasks finished, how many of them failed, and messages queued or unacknowledged."""
        pipe = client.pipeline(transaction=False)
        pipe.llen(keys.broker_queue(self.queue))
        pipe.hlen(keys.broker_unacked)
        if self.queue == ARTICLES_QUEUE:
            # Every finished article is one stream entry (created or duplicate) or one dead
            # letter: the mirrors make every task a distinct article, none is "unchanged".
            pipe.xlen(keys.articles_stream)
            pipe.xlen(keys.dead_stream)
            queued, unacked, published, dead = (int(value) for value in pipe.execute())
            return published + dead, dead, queued + unacked
        pipe.hmget(keys.stats, ["feeds.polled", "feeds.not_modified", "feeds.failed"])
        queued, unacked, counters = pipe.execute()
        polled, not_modified, failed = (int(value or 0) for value in counters)
        return polled + not_modified + failed, failed, int(queued) + int(unacked)


# URLs as SimWeb.url_for() and SimWeb.feed_urls() give them; the SimWeb objects live in the
# web process.
def _feed_url(base_url: str, feed: Feed) -> str:
    return f"{base_url}/{feed.key}"


def article_payloads(base_url: str, discovered_at: datetime) -> list[dict[str, Any]]:
    """Every catalog article on one mirror, as the feeds worker would enqueue it."""
    payloads = []
    for article in catalog.ARTICLES:
        feed = catalog.feed_for(article)
        feed_url = _feed_url(base_url, feed)
        source_url = f"{base_url}/{article.key}"
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


def articles_workload(web: Web, count: int) -> Workload:
    """``count`` article tasks cycling over the catalog on the mirrors; the last mirror is
    kept for warm-up tasks.

    Each mirror is a SimWeb on its own port. A query-string variant would not do: the pages
    name their canonical URL, so ``?bench=k`` is the same article again and comes back
    "unchanged", without a stream entry. A page on another port is another article; its
    text equals the first mirror's, so it is published as ``article.duplicate`` after the
    full fetch, extract, tag and publish path.
    """
    now = datetime.now(UTC)
    *served, spare = web.base_urls
    cycle = [payload for base_url in served for payload in article_payloads(base_url, now)]
    timed = [[cycle[index % len(cycle)]] for index in range(count)]
    warmup = [[payload] for payload in article_payloads(spare, now)[:16]]
    return Workload("articles", "article", ARTICLES_QUEUE, PROCESS_ENTRY, warmup, timed)


def feeds_workload(web: Web, count: int) -> Workload:
    """``count`` polls of distinct feeds: the catalog's feeds under ``?bench=k`` variants.

    Unlike an article page, a feed URL with a query is another feed (another id), and its
    first poll is a full 200 with a body to parse. The entries it lists are new in the first
    variant polled (the warm-up) and already seen afterwards, as in a steady state.
    """
    feed_urls = [_feed_url(web.base_urls[0], feed) for feed in catalog.FEEDS]
    rounds = math.ceil(count / len(feed_urls))
    timed_urls = [f"{url}?bench={k}" for k in range(rounds) for url in feed_urls][:count]
    warmup_urls = [f"{url}?warmup=1" for url in feed_urls]
    return Workload(
        "feeds",
        "poll",
        FEEDS_QUEUE,
        POLL_FEED,
        warmup=[[feed_id(url)] for url in warmup_urls],
        timed=[[feed_id(url)] for url in timed_urls],
        feed_urls=(*warmup_urls, *timed_urls),
    )


# --- runs --------------------------------------------------------------------------------


def machine_busy_seconds() -> float:
    """CPU time every process on the machine has used (all cores), from ``/proc/stat``."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields)
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS


def driver_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


@dataclass(frozen=True)
class Sample:
    """Clocks read at the start and at the end of a timed window."""

    at: float
    measured: float
    web: float
    driver: float
    machine: float

    @classmethod
    def take(cls, monitor: TreeMonitor, web: Web) -> Sample:
        return cls(
            time.perf_counter(),
            monitor.cpu_seconds(),
            web.cpu_seconds(),
            driver_cpu_seconds(),
            machine_busy_seconds(),
        )


@dataclass
class Row:
    label: str
    total: int
    warmup: int = 0
    done: int = 0
    failed: int = 0
    task_errors: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    web_seconds: float = 0.0
    others_share: float = 0.0
    """Of the machine's CPU during the window: what processes outside this benchmark used."""
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    note: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.seconds if self.seconds > 0 else 0.0

    def measured(self, start: Sample, end: Sample) -> None:
        self.seconds = end.at - start.at
        self.cpu_seconds = end.measured - start.measured
        self.web_seconds = end.web - start.web
        ours = self.cpu_seconds + self.web_seconds + end.driver - start.driver
        others = end.machine - start.machine - ours
        self.others_share = max(others, 0.0) / (self.seconds * (os.cpu_count() or 1))


@dataclass
class Bench:
    """What every run shares: the Redis, the namespace prefix, where worker logs go."""

    redis_url: str
    prefix: str
    scratch: Path
    client: redis.Redis
    runs: int = 0

    def new_namespace(self) -> Settings:
        """Settings for a run of its own: nothing it publishes was published before."""
        self.runs += 1
        return load_settings(
            redis_url=self.redis_url,
            namespace=f"{self.prefix}-{self.runs}",
            allowed_networks="127.0.0.0/8",
            data_dir=self.scratch / f"data-{self.runs}",
            # The simulated web is one host to the politeness budget: pools are measured here,
            # not the budget, so it must never make a request wait.
            host_rate_overrides={"127.0.0.1": 1e6},
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
        WIRESTREAM_HOST_RATE_OVERRIDES=json.dumps(settings.host_rate_overrides),
    )
    return env


@contextlib.contextmanager
def celery_workers(
    config: PoolConfig, queue: str, settings: Settings, logs: Sequence[Path]
) -> Iterator[list[subprocess.Popen[bytes]]]:
    """One worker process per log file, started as ``worker.runtime.worker_command`` does
    but with the pool under test; stopped with a warm shutdown, killed if that hangs."""
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for index, log_path in enumerate(logs):
            command = [
                sys.executable, "-m", "celery", "-A", "worker.app", "worker",
                "--queues", queue, "--pool", config.pool,
                "--concurrency", str(config.concurrency),
                "--hostname", f"{settings.namespace}-{index}@%h", "--loglevel", "INFO",
                "--without-mingle", "--without-gossip",
            ]  # fmt: skip
            with open(log_path, "wb") as log:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=REPO_ROOT,
                        env=worker_environment(settings),
                        stdin=subprocess.DEVNULL,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        # A process group of its own, so a hung pool can be killed as a whole.
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


def count_task_errors(logs: Sequence[Path]) -> int:
    """Tasks that raised out of the task function: Celery logs each as "raised unexpected".

    The progress counters cannot see them when the exception comes after the publish.
    """
    return sum(
        line.count(b"raised unexpected")
        for path in logs
        if path.exists()
        for line in path.read_bytes().splitlines()
    )


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


def run_pool(bench: Bench, web: Web, workload: Workload, config: PoolConfig) -> Row:
    settings = bench.new_namespace()
    keys = Keys(settings.namespace)
    workload.prepare(bench.client, keys)
    row = Row(config.label, total=len(workload.timed), warmup=len(workload.warmup))
    progress(f"{workload.name}: {row.label} ...")
    logs = [bench.scratch / f"{settings.namespace}-{index}.log" for index in range(config.workers)]
    sender = sender_for(settings)
    deadline = time.monotonic() + CONFIG_BUDGET_SECONDS
    warm = len(workload.warmup)
    try:
        with (
            celery_workers(config, workload.queue, settings, logs) as processes,
            TreeMonitor([process.pid for process in processes]) as monitor,
        ):
            start = Sample.take(monitor, web)
            try:
                # Warm-up, untimed: worker start-up, the first connections of each process.
                send(sender, workload.task, workload.queue, workload.warmup)
                wait_for_tasks(workload, bench.client, keys, warm, deadline, processes)
                start = Sample.take(monitor, web)
                send(sender, workload.task, workload.queue, workload.timed)
                finished, row.failed = wait_for_tasks(
                    workload, bench.client, keys, warm + row.total, deadline, processes
                )
            except GaveUp as error:
                finished, row.failed, _ = workload.progress(bench.client, keys)
                row.note = str(error)
            row.done = max(finished - warm, 0)
            row.measured(start, Sample.take(monitor, web))
        row.peak_rss_mb, row.peak_pss_mb = monitor.peak_rss_mb, monitor.peak_pss_mb
        row.task_errors = count_task_errors(logs)
    finally:
        sender.close()
    return row


@dataclass(frozen=True)
class SequentialResult:
    done: int
    failed: int


def sequential_loop(
    workload: Workload, settings: Settings, budget: float, results: Connection
) -> None:
    """The baseline process: the pipeline function in a plain loop, no Celery."""
    sender = sender_for(settings)

    def enqueue(entries: Sequence[FeedEntry]) -> None:
        # What worker.tasks.enqueue_entries does, without importing the worker's app.
        send(sender, PROCESS_ENTRY, ARTICLES_QUEUE, [[entry.to_payload()] for entry in entries])

    services = build_services(settings, str(settings.redis_url), enqueue)

    def run(args: list[Any]) -> None:
        if workload.queue == ARTICLES_QUEUE:
            pipeline.process_entry(FeedEntry.from_payload(args[0]), services)
        else:
            pipeline.poll_feed(args[0], services)

    for args in workload.warmup:
        with contextlib.suppress(StageError):
            run(args)
    results.send(None)  # warm: the parent starts its clocks
    deadline = time.monotonic() + budget
    done = failed = 0
    for args in workload.timed:
        if time.monotonic() > deadline:
            break
        try:
            run(args)
        except StageError:  # counted, as a worker would dead-letter it
            failed += 1
        done += 1
    results.send(SequentialResult(done, failed))
    services.close()
    sender.close()


def run_sequential(bench: Bench, web: Web, workload: Workload) -> Row:
    settings = bench.new_namespace()
    workload.prepare(bench.client, Keys(settings.namespace))
    row = Row("sequential, 1 process", total=len(workload.timed))
    progress(f"{workload.name}: {row.label} ...")
    # A process of its own, like a worker: its CPU and memory are the loop's alone.
    context = multiprocessing.get_context("spawn")
    receiver, results = context.Pipe(duplex=False)
    child = context.Process(
        target=sequential_loop, args=(workload, settings, CONFIG_BUDGET_SECONDS, results)
    )
    child.start()
    results.close()
    assert child.pid is not None
    with TreeMonitor([child.pid]) as monitor:
        try:
            # Start-up and warm-up, then the budget; a crash closes the pipe (EOFError).
            if not receiver.poll(CONFIG_BUDGET_SECONDS):
                raise TimeoutError
            receiver.recv()
            start = Sample.take(monitor, web)
            if not receiver.poll(CONFIG_BUDGET_SECONDS + 10):
                raise TimeoutError
            result: SequentialResult = receiver.recv()
            row.measured(start, Sample.take(monitor, web))
            row.done, row.failed = result.done, result.failed
        except (EOFError, TimeoutError):
            row.note = "the baseline process died or hung"
        child.join(timeout=STOP_GRACE_SECONDS)
        if child.is_alive():
            child.kill()
            child.join()
    row.peak_rss_mb, row.peak_pss_mb = monitor.peak_rss_mb, monitor.peak_pss_mb
    if row.done < row.total and not row.note:
        row.note = f"stopped after {CONFIG_BUDGET_SECONDS:g} s"
    return row


def best_rows(
    bench: Bench, web: Web, workload: Workload, pools: Sequence[PoolConfig], repeat: int
) -> list[Row]:
    """The baseline and each configuration ``repeat`` times, in rounds, keeping each one's
    fastest run: other processes on the machine only ever slow a run down."""
    best: list[Row] = []
    for _ in range(repeat):
        rows = [run_sequential(bench, web, workload)]
        rows += [run_pool(bench, web, workload, config) for config in pools]
        if best:
            rows = [
                max(old, new, key=lambda row: row.rate) for old, new in zip(best, rows, strict=True)
            ]
        best = rows
    return best


# --- report ------------------------------------------------------------------------------


def code_version() -> tuple[str, str]:
    """The commit, and a digest of the worker package as it is on disk (others may be
    editing it while this runs)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    digest = hashlib.sha256()
    for path in sorted((REPO_ROOT / "worker").rglob("*.py")):
        digest.update(path.read_bytes())
    return commit, digest.hexdigest()[:12]


def format_table(workload: Workload, latency: float, rows: Sequence[Row]) -> str:
    unit = workload.unit
    base = rows[0].rate if rows and rows[0].rate > 0 else float("nan")
    header = (
        f"{'configuration':<22}  {'done':>7}  {unit + 's/s':>10}  {'vs seq':>6}"
        f"  {'CPU ms/' + unit:>14}  {'peak RSS MB':>11}  {'peak PSS MB':>11}"
        f"  {'web ms/' + unit:>14}  {'others':>6}  note"
    )
    lines = [f"{workload.name}, latency {latency:g} s", header, "-" * len(header)]
    for row in rows:
        per_task = 1000 / row.done if row.done else float("nan")
        notes = [
            *([f"{row.failed} failed"] if row.failed else []),
            *(
                [f"{row.task_errors} of {row.warmup + row.total} tasks raised (worker log)"]
                if row.task_errors
                else []
            ),
            *([row.note] if row.note else []),
        ]
        lines.append(
            f"{row.label:<22}  {f'{row.done}/{row.total}':>7}  {row.rate:>10.1f}"
            f"  {row.rate / base:>5.2f}x  {row.cpu_seconds * per_task:>14.1f}"
            f"  {row.peak_rss_mb:>11.0f}  {row.peak_pss_mb:>11.0f}"
            f"  {row.web_seconds * per_task:>14.1f}  {row.others_share:>6.0%}"
            f"  {'; '.join(notes)}".rstrip()
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
        help="seconds the simulated web waits before each response (default 0.1); a full run"
        " adds 0.0, the CPU-bound case",
    )
    parser.add_argument("--articles", type=int, help="article tasks per run (default 400)")
    parser.add_argument("--polls", type=int, help="feed polls per run (default 240)")
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run everything this many times, in rounds, and keep each configuration's"
        " fastest run (default 1; use 2 or 3 on a machine others are using)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer tasks and pools, one latency: < 60 s"
    )
    parser.add_argument(
        "--redis-url",
        default="redis://127.0.0.1:6379/0",
        help="the Redis to use (default redis://127.0.0.1:6379/0)",
    )
    args = parser.parse_args(argv)
    if args.latency < 0:
        parser.error("--latency must be 0 or more")
    args.articles = args.articles or (60 if args.quick else 400)
    args.polls = args.polls or (48 if args.quick else 240)
    if min(args.articles, args.polls, args.repeat) < 1:
        parser.error("--articles, --polls and --repeat must be positive")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Settings read config/wirestream.toml relative to the working directory, as the workers
    # (started in the repository root) do.
    os.chdir(REPO_ROOT)
    latencies = [args.latency] if args.quick or args.latency == 0 else [args.latency, 0.0]
    article_pools = QUICK_ARTICLE_POOLS if args.quick else ARTICLE_POOLS
    feed_pools = QUICK_FEED_POOLS if args.quick else FEED_POOLS
    # One mirror per repetition of the catalog, and one for warm-up tasks.
    mirrors = math.ceil(args.articles / len(catalog.ARTICLES)) + 1

    begun = time.monotonic()
    commit, code_before = code_version()
    client = redis.Redis.from_url(args.redis_url)
    client.ping()
    tables = []
    with tempfile.TemporaryDirectory(prefix="wirestream-bench-") as scratch:
        bench = Bench(args.redis_url, f"bench-{secrets.token_hex(4)}", Path(scratch), client)
        progress(f"namespaces {bench.prefix}-*; worker logs in {scratch} until the end")
        try:
            for latency in latencies:
                with simulated_web(latency, mirrors) as web:
                    for workload, pools in (
                        (articles_workload(web, args.articles), article_pools),
                        (feeds_workload(web, args.polls), feed_pools),
                    ):
                        rows = best_rows(bench, web, workload, pools, args.repeat)
                        tables.append(format_table(workload, latency, rows))
                        progress(f"\n{tables[-1]}\n")
        finally:
            deleted = bench.delete_keys()
            client.close()
    code_after = code_version()[1]
    print(
        f"wirestream pool benchmark: {os.cpu_count()} cores, Python {sys.version.split()[0]},"
        f" commit {commit}, worker/ digest {code_before}.\n"
        f"{args.articles} article tasks and {args.polls} feed polls per run"
        + (f", fastest of {args.repeat} runs" if args.repeat > 1 else "")
        + ". CPU and memory: the worker process tree (the baseline: its one process);\n"
        "web: the simulated web's process; others: share of the machine's CPU used by"
        " processes outside this benchmark during the timed window.\n"
    )
    print("\n\n".join(tables))
    if code_after != code_before:
        print(f"\nWARNING: worker/ changed during the run (digest now {code_after})")
    print(
        f"\ntotal {time.monotonic() - begun:.0f} s;"
        f" deleted {deleted} Redis keys under {bench.prefix}-*"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
