"""Feed polling at scale: 10,000 feeds on the simulated web, most of them answering 304.

What runs: the simulated web in a process of its own (``synthetic.example``: small RSS feeds
that publish on a schedule, every response delayed by ``--latency``), a real Celery
``feeds`` worker per configuration, and this driver.

1. The feeds are subscribed and polled once by this driver (``pipeline.poll_feed`` on 32
   threads, untimed): every poll a 200 and a parse, as after a first import.
2. Per configuration: the simulated clock moves ``--advance`` seconds, so that a few feeds
   publish an item; every feed is made due; one ``wirestream.schedule_due_feeds`` task (the
   beat task) hands them all out to a real worker: mostly 304s. Timed from that task's
   enqueue until every poll is counted.

Then the baseline, in this process: a plain sequential loop (httpx + feedparser, the ETag
each feed had after the timed round) over the first ``--sequential`` of the same feeds.

Reported: polls per second and the ratio to the baseline, CPU milliseconds per poll of the
worker process tree and of the simulated web, the share of 304s, and the load average.
Everything it writes in Redis lives under ``bench-<random>-<n>:`` and is deleted at the end.

    .venv/bin/python benchmarks/polling.py                      # 10,000 feeds, 50 ms
    .venv/bin/python benchmarks/polling.py --feeds 2000 --pools threads:64
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import httpx
import redis
from celery import Celery

sys.path.insert(0, str(Path(__file__).resolve().parent))

from pools import (  # a sibling script, not a package
    Bench,
    PoolConfig,
    TreeMonitor,
    celery_workers,
    code_version,
    driver_cpu_seconds,
    sender_for,
    simulated_web,
)

from worker import pipeline
from worker.adapters.store import FeedStore
from worker.keys import FEEDS_QUEUE, Keys
from worker.models import Feed
from worker.services import build_services
from worker.settings import Settings
from worker.stages.urls import feed_id

SCHEDULE_DUE_FEEDS = "wirestream.schedule_due_feeds"
ROUND_BUDGET_SECONDS = 600.0
COUNTERS = ("feeds.polled", "feeds.not_modified", "feeds.failed")


@dataclass
class Round:
    polls: int = 0
    seconds: float = 0.0
    worker_cpu: float = 0.0
    web_cpu: float = 0.0
    not_modified: int = 0
    failed: int = 0
    load: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def rate(self) -> float:
        return self.polls / self.seconds if self.seconds else 0.0

    def cpu_ms(self, seconds: float) -> float:
        return 1000 * seconds / self.polls if self.polls else 0.0


def parse_pool(text: str) -> PoolConfig:
    """``threads:64`` or ``2xthreads:64`` (two worker processes of 64 threads)."""
    workers, _, rest = text.rpartition("x") if "x" in text.split(":")[0] else ("1", "", text)
    pool, _, concurrency = rest.partition(":")
    return PoolConfig(pool, int(concurrency), int(workers))


def subscribe(client: redis.Redis, keys: Keys, urls: Sequence[str]) -> None:
    store = FeedStore(client, keys)
    now = datetime.now(UTC)
    for url in urls:
        store.add(Feed(id=feed_id(url), url=url, added_at=now), poll_at=now)


def prime(settings: Settings, client: redis.Redis, keys: Keys, urls: Sequence[str]) -> float:
    """Subscribe to every feed and poll each once; returns the seconds it took."""
    started = time.perf_counter()
    subscribe(client, keys, urls)
    assert settings.redis_url is not None
    services = build_services(settings, settings.redis_url, lambda entries: None)
    try:
        with ThreadPoolExecutor(32) as threads:
            list(threads.map(lambda url: pipeline.poll_feed(feed_id(url), services), urls))
    finally:
        services.close()
    return time.perf_counter() - started


def make_all_due(client: redis.Redis, keys: Keys) -> None:
    now = time.time()
    members = client.zrange(keys.due, 0, -1)
    pipe = client.pipeline(transaction=False)
    for start in range(0, len(members), 1000):
        pipe.zadd(keys.due, {member: now for member in members[start : start + 1000]}, xx=True)
    pipe.execute()


def counted(client: redis.Redis, keys: Keys) -> dict[str, int]:
    values = client.hmget(keys.stats, list(COUNTERS))
    return {name: int(value or 0) for name, value in zip(COUNTERS, values, strict=True)}


def timed_round(
    client: redis.Redis,
    keys: Keys,
    sender: Celery,
    monitor: TreeMonitor,
    web_cpu: Callable[[], float],
    feeds: int,
) -> Round:
    before = counted(client, keys)
    started = time.perf_counter()
    worker_before, web_before = monitor.cpu_seconds(), web_cpu()
    sender.send_task(SCHEDULE_DUE_FEEDS, queue=FEEDS_QUEUE)
    deadline = time.monotonic() + ROUND_BUDGET_SECONDS
    while True:
        now = counted(client, keys)
        done = sum(now.values()) - sum(before.values())
        if done >= feeds or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    return Round(
        polls=done,
        seconds=time.perf_counter() - started,
        worker_cpu=monitor.cpu_seconds() - worker_before,
        web_cpu=web_cpu() - web_before,
        not_modified=now["feeds.not_modified"] - before["feeds.not_modified"],
        failed=now["feeds.failed"] - before["feeds.failed"],
        load=os.getloadavg(),
    )


def sequential_loop(client: redis.Redis, keys: Keys, urls: Sequence[str]) -> Round:
    """The same polls, one after another: httpx with the feed's ETag, feedparser on a 200."""
    etags = {}
    for url in urls:
        raw = client.hget(keys.feeds, feed_id(url))
        etags[url] = Feed.from_payload(json.loads(raw)).etag if raw else None
    cpu_before = driver_cpu_seconds()
    started = time.perf_counter()
    not_modified = 0
    with httpx.Client(timeout=10) as http:
        for url in urls:
            headers = {"If-None-Match": etags[url]} if etags[url] else {}
            response = http.get(url, headers=headers)
            if response.status_code == 304:
                not_modified += 1
            else:
                feedparser.parse(io.BytesIO(response.content))
    return Round(
        polls=len(urls),
        seconds=time.perf_counter() - started,
        worker_cpu=driver_cpu_seconds() - cpu_before,
        not_modified=not_modified,
        load=os.getloadavg(),
    )


def line(label: str, row: Round, baseline: Round | None) -> str:
    ratio = f"{row.rate / baseline.rate:6.1f}x" if baseline and baseline.rate else "      -"
    share = 100 * row.not_modified / row.polls if row.polls else 0.0
    load = "/".join(f"{value:.1f}" for value in row.load)
    return (
        f"{label:<34}{row.polls:>7}{row.seconds:>9.1f}{row.rate:>9.0f} {ratio}"
        f"{row.cpu_ms(row.worker_cpu):>9.2f}{row.cpu_ms(row.web_cpu):>9.2f}"
        f"{share:>7.0f}%{row.failed:>7}   {load}"
    )


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per response")
    parser.add_argument(
        "--pools",
        default="threads:16,threads:64,threads:128,2xthreads:64",
        help="comma-separated [Nx]pool:concurrency (default: %(default)s)",
    )
    parser.add_argument("--advance", type=float, default=180.0, help="simulated seconds")
    parser.add_argument("--sequential", type=int, default=400, help="feeds in the baseline")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    pools = [parse_pool(text) for text in args.pools.split(",")]
    commit, digest = code_version()
    print(
        f"polling benchmark: {args.feeds} feeds, {args.latency * 1000:.0f} ms per response,"
        f" {os.cpu_count()} CPUs, commit {commit} (worker/ {digest})",
        flush=True,
    )
    client = redis.Redis.from_url(args.redis_url, decode_responses=True)
    with (
        tempfile.TemporaryDirectory(prefix="wirestream-polling-") as scratch,
        simulated_web(args.latency, 1) as web,
    ):
        base = web.base_urls[0]
        urls = [f"{base}/synthetic.example/feed/{n}.xml" for n in range(args.feeds)]
        bench = Bench(args.redis_url, f"bench-{secrets.token_hex(4)}", Path(scratch), client)
        results: list[tuple[str, Round]] = []
        settings = bench.new_namespace()
        keys = Keys(settings.namespace)
        try:
            primed = prime(settings, client, keys, urls)
            print(f"  subscribed and polled once in {primed:.0f} s", file=sys.stderr, flush=True)
            for config in pools:
                logs = [bench.scratch / f"{keys.namespace}-{n}.log" for n in range(config.workers)]
                sender = sender_for(settings)
                httpx.post(f"{base}/_control/advance-time?seconds={args.advance}")
                with (
                    celery_workers(config, FEEDS_QUEUE, settings, logs) as processes,
                    TreeMonitor([process.pid for process in processes]) as monitor,
                ):
                    make_all_due(client, keys)
                    steady = timed_round(client, keys, sender, monitor, web.cpu_seconds, len(urls))
                sender.close()
                results.append((config.label, steady))
                print(f"  {config.label}: {steady.rate:.0f} polls/s", file=sys.stderr, flush=True)
            baseline = sequential_loop(client, keys, urls[: args.sequential])
        finally:
            bench.delete_keys()
    header = (
        f"{'configuration':<34}{'polls':>7}{'s':>9}{'polls/s':>9} {'vs seq':>7}"
        f"{'CPU ms':>9}{'web ms':>9}{'304':>8}{'failed':>7}   load avg 1/5/15 min"
    )
    print(header)
    for label, steady in results:
        print(line(f"celery feeds worker, {label}", steady, baseline))
    print(line("sequential loop (httpx+feedparser)", baseline, None))
    print(
        "CPU ms: per poll, the worker process tree (the baseline: this process);"
        " web ms: the simulated web's, per poll"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
