"""Metrics, status and health against a real Redis: what the workers record is what
`wirestream metrics` renders and `wirestream status` and `health` report."""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis
from articles import DEDUPE, UNINDEXED, message
from prometheus_client import CollectorRegistry, generate_latest
from redis_servers import RedisServer
from structlog.testing import capture_logs

from worker.adapters.durability import Durability
from worker.adapters.heartbeats import WorkerHeartbeats
from worker.adapters.metrics import (
    DISCOVERY_TO_STREAM_SECONDS,
    STAGE_SECONDS,
    Histograms,
    read_pipeline_state,
)
from worker.adapters.redis_client import RedisOptions, connect
from worker.adapters.store import Stats
from worker.adapters.stream import ArticleStream
from worker.adapters.task_schedule import ScheduledTask, TaskSchedule
from worker.cli import main
from worker.errors import RetryableError
from worker.keys import FEEDS_QUEUE, Keys
from worker.models import Feed
from worker.monitor import PipelineCollector, render_status

# Dated from today, not a fixed day: the publish script sets absolute expiries (EXPIREAT),
# so a fixed date slides out of every window as the calendar moves on.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)


def scrape(redis_client: redis.Redis, keys: Keys) -> dict[str, float]:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(redis_client, keys, lambda: NOW))
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def add_feed(redis_client: redis.Redis, keys: Keys, feed: Feed, due: datetime) -> None:
    redis_client.hset(keys.feeds, feed.id, json.dumps(feed.to_payload()))
    redis_client.zadd(keys.due, {feed.id: due.timestamp()})


def test_histogram_buckets_are_cumulative_with_count_and_sum(
    redis_client: redis.Redis, keys: Keys
) -> None:
    histograms = Histograms(redis_client, keys)
    for seconds in (0.003, 0.04, 0.04, 7.0, 120.0):
        histograms.observe(STAGE_SECONDS, {"process_entry:fetch": seconds})

    samples = scrape(redis_client, keys)

    labels = 'stage="fetch",task="process_entry"'

    def bucket(bound: str) -> float:
        return samples[f'wirestream_stage_duration_seconds_bucket{{le="{bound}",{labels}}}']

    assert bucket("0.005") == 1
    assert bucket("0.05") == 3
    assert bucket("10.0") == 4
    assert bucket("60.0") == 4
    assert bucket("+Inf") == 5
    assert samples["wirestream_stage_duration_seconds_count{" + labels + "}"] == 5
    assert samples["wirestream_stage_duration_seconds_sum{" + labels + "}"] == pytest.approx(
        127.083
    )


def test_a_worker_sends_its_observations_added_up_once_a_period_and_when_closed(
    redis_client: redis.Redis, keys: Keys
) -> None:
    histograms = Histograms(redis_client, keys, flush_seconds=0.3)
    for seconds in (0.003, 0.004, 0.04):
        histograms.observe(STAGE_SECONDS, {"process_entry:fetch": seconds})
    assert redis_client.hgetall(keys.histograms) == {}

    time.sleep(0.6)  # a flush period and then some
    sent = redis_client.hgetall(keys.histograms)
    assert sent["stage_duration_seconds|process_entry:fetch|0.005"] == "2"
    assert sent["stage_duration_seconds|process_entry:fetch|0.05"] == "1"
    assert float(sent["stage_duration_seconds|process_entry:fetch|sum"]) == pytest.approx(0.047)

    histograms.observe(STAGE_SECONDS, {"process_entry:fetch": 0.001})
    histograms.close()
    samples = scrape(redis_client, keys)
    labels = 'stage="fetch",task="process_entry"'
    assert samples["wirestream_stage_duration_seconds_count{" + labels + "}"] == 4


def test_an_outage_costs_one_line_when_flushes_fail_and_one_when_they_go_through(
    tmp_path: Path, keys: Keys
) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    # No failover budget: each flush fails at once, many times in 5 s.
    client = connect(server.url, RedisOptions(failover_seconds=0))
    histograms = Histograms(client, keys, flush_seconds=0.1)
    failed: list[RetryableError] = []
    flush = histograms.flush

    def counted_flush() -> None:
        try:
            flush()
        except RetryableError as error:
            failed.append(error)
            raise

    histograms.flush = counted_flush  # type: ignore[method-assign]
    try:
        with capture_logs() as logs:
            server.stop()
            histograms.observe(STAGE_SECONDS, {"process_entry:fetch": 0.003})
            deadline = time.monotonic() + 30
            while len(failed) < 3 and time.monotonic() < deadline:  # a few failed flushes
                time.sleep(0.1)
            assert len(failed) >= 3, "the flushes did not fail while Redis was away"
            server.start()
            deadline = time.monotonic() + 10
            while not client.hgetall(keys.histograms) and time.monotonic() < deadline:
                time.sleep(0.1)
        sent = client.hgetall(keys.histograms)
    finally:
        histograms.close()
        server.stop()

    events = [entry["event"] for entry in logs if entry["event"].startswith("metrics_")]
    assert events == ["metrics_flush_failed", "metrics_flushed_again"]
    recovered = next(entry for entry in logs if entry["event"] == "metrics_flushed_again")
    assert recovered["failed_flushes"] >= 3
    assert sent["stage_duration_seconds|process_entry:fetch|0.005"] == "1"  # kept, then sent


def test_counters_and_gauges_render_what_the_workers_counted(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stats = Stats(redis_client, keys)
    for name, amount in {
        "feeds.polled": 3, "feeds.not_modified": 2, "feeds.failed": 1, "entries.new": 9,
        "article.created": 7, "article.duplicate": 1, "failed.fetch": 2,
        "throttled.news.example": 4, "dropped.no-sport": 2, "dropped.duplicate": 1,
    }.items():  # fmt: skip
        stats.add(name, amount)
    Histograms(redis_client, keys).observe(DISCOVERY_TO_STREAM_SECONDS, {"": 42.0})
    redis_client.xadd(keys.articles_stream, {"event": "article.created"})
    redis_client.xadd(keys.dead_stream, {"stage": "fetch"})
    redis_client.rpush(keys.broker_queue(FEEDS_QUEUE), "task")
    add_feed(redis_client, keys, Feed(id="f1", url="http://a.example/feed"), NOW)

    samples = scrape(redis_client, keys)

    assert samples['wirestream_feed_polls_total{result="polled"}'] == 3
    assert samples['wirestream_feed_polls_total{result="not_modified"}'] == 2
    assert samples['wirestream_feed_polls_total{result="failed"}'] == 1
    assert samples["wirestream_entries_new_total"] == 9
    assert samples['wirestream_articles_total{event="created"}'] == 7
    assert samples['wirestream_articles_total{event="duplicate"}'] == 1
    assert samples['wirestream_articles_total{event="updated"}'] == 0
    assert samples['wirestream_failures_total{stage="fetch"}'] == 2
    assert samples['wirestream_host_throttled_total{host="news.example"}'] == 4
    assert samples['wirestream_articles_dropped_total{reason="no-sport"}'] == 2
    assert samples['wirestream_articles_dropped_total{reason="duplicate"}'] == 1
    assert samples["wirestream_discovery_to_stream_seconds_count"] == 1
    assert samples['wirestream_discovery_to_stream_seconds_bucket{le="60.0"}'] == 1
    assert samples["wirestream_stream_length"] == 1
    assert samples["wirestream_dead_letters"] == 1
    assert samples['wirestream_queue_waiting{queue="feeds"}'] == 1
    assert samples["wirestream_feeds"] == 1
    assert samples["wirestream_feeds_due"] == 1
    assert samples["wirestream_last_publish_timestamp_seconds"] > 0


def test_pipeline_state_lists_failing_feeds_worst_first(
    redis_client: redis.Redis, keys: Keys
) -> None:
    later = NOW + timedelta(hours=1)
    add_feed(redis_client, keys, Feed(id="ok", url="http://ok.example/feed"), later)
    bad = Feed(id="bad", url="http://bad.example/feed", last_error="fetch: 404")
    worse = Feed(id="worse", url="http://worse.example/feed", last_error="fetch: 503")
    add_feed(redis_client, keys, bad.with_changes(consecutive_failures=1), later)
    add_feed(redis_client, keys, worse.with_changes(consecutive_failures=4), NOW)

    state = read_pipeline_state(redis_client, keys, NOW)

    assert (state.feeds, state.feeds_due) == (3, 1)
    assert [feed.id for feed in state.failing] == ["worse", "bad"]
    assert state.last_publish_at is None
    text = render_status(state, {}, [], keys=keys, now=NOW)
    assert "workers      none alive" in text
    assert "http://worse.example/feed (4 in a row): fetch: 503" in text
    assert "last publish never" in text


def test_heartbeats_show_live_workers_and_expire(redis_client: redis.Redis, keys: Keys) -> None:
    heartbeats = WorkerHeartbeats(redis_client, keys, ttl_seconds=5)
    heartbeats.beat("articles-1@host-a", NOW)

    assert heartbeats.alive() == {"articles-1@host-a": NOW}
    key = keys.worker_heartbeat("articles-1@host-a")
    assert 0 < redis_client.ttl(key) <= 5
    redis_client.pexpire(key, 1)  # as if the worker had stopped beating 5 s ago
    time.sleep(0.05)
    assert heartbeats.alive() == {}


@pytest.fixture
def health(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    redis_url: str,
    namespace: str,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Callable[..., tuple[int, str]]]:
    """`wirestream health ...` run in this process: its exit code and everything it printed."""
    for name in list(os.environ):
        if name.startswith("WIRESTREAM_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("WIRESTREAM_REDIS_URL", redis_url)
    monkeypatch.setenv("WIRESTREAM_NAMESPACE", namespace)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(*args: str) -> tuple[int, str]:
        code = main(["health", *args])
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    yield run
    root.handlers[:] = handlers
    root.setLevel(level)


def test_health_requires_redis_and_a_live_worker_on_this_host(
    health: Callable[..., tuple[int, str]], redis_client: redis.Redis, keys: Keys
) -> None:
    assert health()[0] == 0

    code, output = health("--worker")
    assert code == 1
    assert "no worker on" in output

    WorkerHeartbeats(redis_client, keys).beat(f"feeds-1@{socket.gethostname()}", NOW)
    code, output = health("--worker")
    assert code == 0, output
    assert f"feeds-1@{socket.gethostname()}" in output


def test_health_fails_when_redis_or_the_url_does_not_answer(
    health: Callable[..., tuple[int, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]

    code, output = health("--http", f"http://127.0.0.1:{closed_port}/metrics")
    assert code == 1
    assert f"127.0.0.1:{closed_port}/metrics" in output

    monkeypatch.setenv("WIRESTREAM_REDIS_URL", f"redis://:secret-pw@127.0.0.1:{closed_port}/0")
    code, output = health()
    assert code == 1
    assert "secret-pw" not in output


def test_status_shows_dropped_articles_by_reason(redis_client: redis.Redis, keys: Keys) -> None:
    state = read_pipeline_state(redis_client, keys, NOW)
    counts = {"articles.dropped": 3, "dropped.no-sport": 3, "dropped.duplicate": 2}

    text = render_status(state, counts, [], keys=keys, now=NOW)

    assert "dropped      5 (duplicate 2, no-sport 3)" in text
    assert "dropped" not in render_status(state, {}, [], keys=keys, now=NOW)


def test_writes_no_replica_confirmed_show_in_metrics_and_status(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    # The shared test Redis has no replica: a write that waits for one is unreplicated.
    client = connect(redis_url)
    durability = Durability(replicas=1, timeout_ms=20)
    stream = ArticleStream(
        client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE, durability=durability
    )
    stream.publish(message(1, 1), UNINDEXED, at=NOW)
    deferred = ScheduledTask("task-1", "wirestream.process_entry", [], "articles", 0, None)
    for _ in range(2):
        TaskSchedule(client, keys, durability=durability).add(deferred, delay=60)
    client.close()
    state = read_pipeline_state(redis_client, keys, NOW)
    counts = Stats(redis_client, keys).snapshot()

    metrics = scrape(redis_client, keys)
    assert metrics["wirestream_publish_unreplicated_total"] == 1
    assert metrics["wirestream_schedule_unreplicated_total"] == 2
    status = render_status(state, counts, [], keys=keys, now=NOW)
    assert "unreplicated 1 publishes and 2 scheduled tasks no replica confirmed in time" in status
    assert "unreplicated" not in render_status(state, {}, [], keys=keys, now=NOW)


def test_consumer_groups_show_lag_pending_and_oldest_age_in_metrics_and_status(
    redis_client: redis.Redis, keys: Keys
) -> None:
    # Three entries appended an hour before NOW; the group read two and acked none.
    appended = int((NOW - timedelta(hours=1)).timestamp() * 1000)
    for offset in range(3):
        redis_client.xadd(keys.articles_stream, {"n": str(offset)}, id=f"{appended + offset}-0")
    redis_client.xgroup_create(keys.articles_stream, "archive", "0")
    redis_client.xreadgroup("archive", "c1", {keys.articles_stream: ">"}, count=2)

    samples = scrape(redis_client, keys)
    assert samples['wirestream_consumer_pending{group="archive"}'] == 2
    assert samples['wirestream_consumer_lag{group="archive"}'] == 1
    assert samples['wirestream_consumer_oldest_pending_age_seconds{group="archive"}'] == 3600
    assert samples['wirestream_consumer_members{group="archive"}'] == 1
    assert samples['wirestream_consumer_dead_letters{group="archive"}'] == 0
    assert samples['wirestream_consumer_sent_back{group="archive"}'] == 0

    text = render_status(read_pipeline_state(redis_client, keys, NOW), {}, [], keys=keys, now=NOW)
    assert "consumers    group archive: 1 consumers, lag 1, pending 2 (oldest 3600 s)" in text
    assert "s), last delivered " in text
    assert "dead letters," not in text and "sent back" not in text  # none to count

    # Two dead letters, one of them sent back and not handled yet.
    for _ in range(2):
        redis_client.xadd(keys.group_dead_stream("archive"), {"stream_id": "1-0"})
    redis_client.zadd(keys.group_sent_back_due("archive"), {"1-0": 0})
    samples = scrape(redis_client, keys)
    assert samples['wirestream_consumer_dead_letters{group="archive"}'] == 2
    assert samples['wirestream_consumer_sent_back{group="archive"}'] == 1
    text = render_status(read_pipeline_state(redis_client, keys, NOW), {}, [], keys=keys, now=NOW)
    assert ", 2 dead letters, 1 sent back" in text
