"""Latency histograms and the pipeline's live state, in Redis.

Workers run as many processes on many hosts, so observations go to Redis (HINCRBY on the
bucket each falls in, HINCRBYFLOAT on the sum) and ``wirestream metrics`` renders the totals;
nothing is lost when a worker process is recycled. A worker adds up its observations and
sends them once a second (``flush_seconds``): one trip per observation was 16 Redis commands
per article, about an eighth of the articles worker's main process (``benchmarks/
throughput.py``). A worker killed with SIGKILL loses at most that second of observations.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from worker.adapters.groups import GroupStream, id_time
from worker.adapters.redis_client import RedisClient, redis_errors
from worker.errors import RetryableError
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.logs import get_logger
from worker.models import Feed

log = get_logger(__name__)

STAGE_SECONDS = "stage_duration_seconds"
DISCOVERY_TO_STREAM_SECONDS = "discovery_to_stream_seconds"

# Upper bounds in seconds. A stage is a fetch or a parse (milliseconds to a time limit); the
# delay from discovery to the stream includes queueing and retries (seconds to hours).
BUCKETS: dict[str, tuple[float, ...]] = {
    STAGE_SECONDS: (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0),
    DISCOVERY_TO_STREAM_SECONDS: (
        1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 86400.0,
    ),
}  # fmt: skip
# The label names of each histogram; an observation's label is their values joined by ":".
LABELS: dict[str, tuple[str, ...]] = {
    STAGE_SECONDS: ("task", "stage"),
    DISCOVERY_TO_STREAM_SECONDS: (),
}


def bucket_bound(name: str, seconds: float) -> float:
    """The smallest upper bound of histogram ``name`` that ``seconds`` does not exceed."""
    return next((bound for bound in BUCKETS[name] if seconds <= bound), math.inf)


@dataclass(frozen=True)
class Histogram:
    name: str
    labels: dict[str, str]
    cumulative: list[tuple[float, int]]  # (upper bound, observations at or below), +Inf last
    total: float


class Histograms:
    """Observations, sent to Redis at once (``flush_seconds`` 0) or added up and sent by a
    thread of their own every ``flush_seconds``, and by :meth:`close`."""

    def __init__(self, client: RedisClient, keys: Keys, *, flush_seconds: float = 0.0) -> None:
        self._redis = client
        self._key = keys.histograms
        self._flush_seconds = flush_seconds
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()
        self._sums: defaultdict[str, float] = defaultdict(float)
        self._closed = threading.Event()
        self._flusher: threading.Thread | None = None

    def observe(self, name: str, observations: Mapping[str, float]) -> None:
        """Record one observation (seconds) per label of histogram ``name``."""
        if not observations:
            return
        with self._lock:
            for label, seconds in observations.items():
                self._counts[f"{name}|{label}|{bucket_bound(name, seconds)!r}"] += 1
                self._sums[f"{name}|{label}|sum"] += seconds
            if self._flush_seconds > 0:
                if self._flusher is None:
                    self._flusher = threading.Thread(
                        target=self._flush_periodically, name="histograms", daemon=True
                    )
                    self._flusher.start()
                return
        self.flush()

    def flush(self) -> None:
        """Send what was observed since the last flush, in one trip; kept for the next one
        if Redis cannot take it."""
        with self._lock:
            counts, sums = self._counts, self._sums
            self._counts, self._sums = Counter(), defaultdict(float)
        if not counts:
            return
        try:
            with redis_errors("metrics", self._key):
                pipe = self._redis.pipeline(transaction=False)
                for field, count in counts.items():
                    pipe.hincrby(self._key, field, count)
                for field, seconds in sums.items():
                    pipe.hincrbyfloat(self._key, field, seconds)
                pipe.execute()
        except RetryableError:
            with self._lock:
                self._counts.update(counts)
                for field, seconds in sums.items():
                    self._sums[field] += seconds
            raise

    def close(self) -> None:
        """Stop the flushing thread and send what is left (given up if Redis is away)."""
        self._closed.set()
        if self._flusher is not None:
            self._flusher.join()
        try:
            self.flush()
        except RetryableError as error:
            log.warning("metrics_lost", error=str(error))

    def _flush_periodically(self) -> None:
        """Flushes until closed. While Redis is away the observations are kept, and one line
        says so when the flushes start failing and one when they go through again: a line a
        second for the whole outage buried the lines that say what else failed."""
        failed_since: float | None = None
        failures = 0
        while not self._closed.wait(self._flush_seconds):
            try:
                self.flush()
            except RetryableError as error:
                if failed_since is None:
                    failed_since = time.monotonic()
                    log.warning("metrics_flush_failed", error=str(error))
                failures += 1
                continue
            if failed_since is not None:
                log.info(
                    "metrics_flushed_again",
                    failed_flushes=failures,
                    after_s=round(time.monotonic() - failed_since, 1),
                )
                failed_since, failures = None, 0

    def snapshot(self) -> list[Histogram]:
        with redis_errors("metrics", self._key):
            raw = cast(dict[str, str], self._redis.hgetall(self._key))
        counts: dict[tuple[str, str], dict[float, int]] = {}
        sums: dict[tuple[str, str], float] = {}
        for field, value in raw.items():
            name, label, bucket = field.split("|")
            if name not in BUCKETS:
                continue
            if bucket == "sum":
                sums[name, label] = float(value)
            else:
                counts.setdefault((name, label), {})[float(bucket)] = int(value)
        histograms = []
        for (name, label), per_bound in sorted(counts.items()):
            running = 0
            cumulative = []
            for bound in (*BUCKETS[name], math.inf):
                running += per_bound.get(bound, 0)
                cumulative.append((bound, running))
            values = label.split(":") if LABELS[name] else []
            histograms.append(
                Histogram(
                    name,
                    dict(zip(LABELS[name], values, strict=True)),
                    cumulative,
                    sums.get((name, label), 0.0),
                )
            )
        return histograms


@dataclass(frozen=True)
class GroupState:
    """One consumer group of the article stream, as status and metrics show it."""

    name: str
    consumers: int
    pending: int
    lag: int | None  # entries not yet delivered; None when Redis cannot tell (Redis < 7)
    oldest_pending_age: float | None  # seconds since the oldest unacked entry was appended
    last_delivered_at: datetime | None
    dead_letters: int  # in the group's dead-letter stream
    sent_back: int  # dead letters sent back (groups dead retry) and not yet handled


@dataclass(frozen=True)
class PipelineState:
    """What is waiting, what is failing, and what came out: for status and metrics."""

    waiting: dict[str, int]  # queue -> tasks waiting in it
    unacked: int  # tasks delivered to a worker and not yet acknowledged
    feeds: int
    feeds_due: int
    failing: list[Feed]  # most consecutive failures first
    stream_length: int
    dead_length: int
    last_publish_at: datetime | None
    groups: tuple[GroupState, ...] = ()


@dataclass(frozen=True)
class LiveCounts:
    """What a person watching the pipeline reads every second (worker/live.py): counts
    only, so reading them costs the same whatever the number of feeds."""

    feeds: int
    feeds_due: int
    stream_length: int
    dead_length: int


def read_live_counts(client: RedisClient, keys: Keys, now: datetime) -> LiveCounts:
    with redis_errors("status", keys.namespace):
        pipe = client.pipeline(transaction=False)
        pipe.hlen(keys.feeds)
        pipe.zcount(keys.due, "-inf", now.timestamp())
        pipe.xlen(keys.articles_stream)
        pipe.xlen(keys.dead_stream)
        feeds, due, stream_length, dead_length = (int(reply) for reply in pipe.execute())
    return LiveCounts(feeds, due, stream_length, dead_length)


def read_pipeline_state(
    client: RedisClient, keys: Keys, now: datetime, *, broker: RedisClient | None = None
) -> PipelineState:
    """The state of queues (on ``broker``, by default ``client``), feeds, streams and groups."""
    queues = (FEEDS_QUEUE, ARTICLES_QUEUE)
    with redis_errors("status", keys.namespace):
        pipe = (broker or client).pipeline(transaction=False)
        for queue in queues:
            pipe.llen(keys.broker_queue(queue))
        pipe.hlen(keys.broker_unacked)
        *waiting_replies, unacked = pipe.execute()
        pipe = client.pipeline(transaction=False)
        pipe.hvals(keys.feeds)
        pipe.zcount(keys.due, "-inf", now.timestamp())
        pipe.xlen(keys.articles_stream)
        pipe.xlen(keys.dead_stream)
        pipe.xrevrange(keys.articles_stream, count=1)
        feeds_json, due, stream_length, dead_length, newest = pipe.execute()
    waiting = {queue: int(count) for queue, count in zip(queues, waiting_replies, strict=True)}
    feeds = [Feed.from_payload(json.loads(raw)) for raw in feeds_json]
    failing = sorted(
        (feed for feed in feeds if feed.consecutive_failures > 0),
        key=lambda feed: (-feed.consecutive_failures, feed.url),
    )
    return PipelineState(
        waiting=waiting,
        unacked=int(unacked),
        feeds=len(feeds),
        feeds_due=int(due),
        failing=failing,
        stream_length=int(stream_length),
        dead_length=int(dead_length),
        last_publish_at=id_time(newest[0][0]) if newest else None,
        groups=read_group_states(client, keys, now),
    )


def read_group_states(client: RedisClient, keys: Keys, now: datetime) -> tuple[GroupState, ...]:
    groups = GroupStream(client, keys.articles_stream).groups()
    with redis_errors("metrics", keys.articles_stream):
        pipe = client.pipeline(transaction=False)
        for group in groups:
            pipe.xlen(keys.group_dead_stream(group.name))
            pipe.zcard(keys.group_sent_back_due(group.name))
        counts = pipe.execute() if groups else []
    return tuple(
        GroupState(
            name=group.name,
            consumers=len(group.consumers),
            pending=group.pending,
            lag=group.lag,
            oldest_pending_age=group.oldest_pending_age(now),
            last_delivered_at=group.last_delivered_at(),
            dead_letters=int(counts[2 * index]),
            sent_back=int(counts[2 * index + 1]),
        )
        for index, group in enumerate(groups)
    )
