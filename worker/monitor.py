"""Watching a running pipeline: Prometheus metrics, the status screen, health checks.

Flower shows Celery's view (workers, tasks, runtimes). What only the pipeline knows (polls
and 304s, articles by outcome, failures by stage, stage latencies, the delay from discovery
to the stream, stream and dead-letter lengths) is counted in Redis by the workers and
rendered here by one small process, whatever the number of workers and hosts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import start_http_server
from prometheus_client.core import (
    CollectorRegistry,
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from worker.adapters.durability import REPLICATED_WRITES, unreplicated_counter
from worker.adapters.metrics import Histograms, PipelineState, read_pipeline_state
from worker.adapters.redis_client import RedisClient
from worker.adapters.store import Stats
from worker.errors import WirestreamError
from worker.keys import Keys
from worker.models import utc_iso

THROTTLED_PREFIX = "throttled."
FAILED_PREFIX = "failed."
DROPPED_PREFIX = "dropped."


class PipelineCollector:
    """Reads the counters, histograms and live state from Redis at each scrape."""

    def __init__(
        self,
        client: RedisClient,
        keys: Keys,
        clock: Callable[[], datetime],
        broker: RedisClient | None = None,
    ) -> None:
        self._redis = client
        self._broker = broker
        self._keys = keys
        self._clock = clock

    def collect(self) -> Iterator[Metric]:
        counts = Stats(self._redis, self._keys).snapshot()
        yield from counters(counts)
        yield from histograms(Histograms(self._redis, self._keys))
        yield from gauges(
            read_pipeline_state(self._redis, self._keys, self._clock(), broker=self._broker)
        )


def counters(counts: dict[str, int]) -> Iterator[Metric]:
    polls = CounterMetricFamily("wirestream_feed_polls", "Feed polls by result", labels=["result"])
    for result in ("polled", "not_modified", "failed"):
        polls.add_metric([result], counts.get(f"feeds.{result}", 0))
    yield polls
    yield CounterMetricFamily(
        "wirestream_entries_new",
        "New feed entries handed to the article workers",
        value=counts.get("entries.new", 0),
    )
    articles = CounterMetricFamily(
        "wirestream_articles", "Stream entries by event", labels=["event"]
    )
    for event in ("created", "updated", "duplicate"):
        articles.add_metric([event], counts.get(f"article.{event}", 0))
    yield articles
    failures = CounterMetricFamily(
        "wirestream_failures", "Dead-lettered items by the stage that failed", labels=["stage"]
    )
    throttled = CounterMetricFamily(
        "wirestream_host_throttled",
        "Responses asking us to slow down (429 or 503 with Retry-After), by host",
        labels=["host"],
    )
    dropped = CounterMetricFamily(
        "wirestream_articles_dropped",
        "Articles kept off the stream on purpose: by the user rule, or 'duplicate' (dedupe mode)",
        labels=["reason"],
    )
    for name, value in sorted(counts.items()):
        if name.startswith(FAILED_PREFIX):
            failures.add_metric([name.removeprefix(FAILED_PREFIX)], value)
        elif name.startswith(DROPPED_PREFIX):
            dropped.add_metric([name.removeprefix(DROPPED_PREFIX)], value)
        elif name.startswith(THROTTLED_PREFIX):
            throttled.add_metric([name.removeprefix(THROTTLED_PREFIX)], value)
    yield failures
    yield throttled
    yield dropped
    for what in REPLICATED_WRITES:
        yield CounterMetricFamily(
            f"wirestream_{what}_unreplicated",
            f"Writes ({what}) no replica confirmed within publish_wait_timeout_ms"
            " (publish_wait_replicas)",
            value=counts.get(unreplicated_counter(what), 0),
        )


HISTOGRAM_HELP = {
    "stage_duration_seconds": "Time spent in each stage of a task",
    "discovery_to_stream_seconds": "From a feed entry's discovery to its article on the stream",
}


def histograms(store: Histograms) -> Iterator[Metric]:
    families: dict[str, HistogramMetricFamily] = {}
    for histogram in store.snapshot():
        family = families.get(histogram.name)
        if family is None:
            family = families[histogram.name] = HistogramMetricFamily(
                f"wirestream_{histogram.name}",
                HISTOGRAM_HELP[histogram.name],
                labels=list(histogram.labels),
            )
        family.add_metric(
            list(histogram.labels.values()),
            buckets=[(_bound_text(bound), count) for bound, count in histogram.cumulative],
            sum_value=histogram.total,
        )
    yield from families.values()


def _bound_text(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


def gauges(state: PipelineState) -> Iterator[Metric]:
    waiting = GaugeMetricFamily(
        "wirestream_queue_waiting", "Tasks waiting in a queue", labels=["queue"]
    )
    for queue, count in state.waiting.items():
        waiting.add_metric([queue], count)
    yield waiting
    simple = {
        "wirestream_tasks_unacked": ("Tasks delivered and not yet acknowledged", state.unacked),
        "wirestream_feeds": ("Subscribed feeds", state.feeds),
        "wirestream_feeds_due": ("Feeds whose poll time has come", state.feeds_due),
        "wirestream_feeds_failing": ("Feeds whose last poll failed", len(state.failing)),
        "wirestream_stream_length": ("Entries in the article stream", state.stream_length),
        "wirestream_dead_letters": ("Entries in the dead-letter stream", state.dead_length),
    }
    for name, (documentation, value) in simple.items():
        yield GaugeMetricFamily(name, documentation, value=value)
    if state.last_publish_at is not None:
        yield GaugeMetricFamily(
            "wirestream_last_publish_timestamp_seconds",
            "When the newest stream entry was appended (Unix time)",
            value=state.last_publish_at.timestamp(),
        )
    yield from consumer_gauges(state)


def consumer_gauges(state: PipelineState) -> Iterator[Metric]:
    lag = GaugeMetricFamily(
        "wirestream_consumer_lag",
        "Entries of the article stream not yet delivered to the group (Redis 7 and later)",
        labels=["group"],
    )
    pending = GaugeMetricFamily(
        "wirestream_consumer_pending",
        "Entries delivered to the group and not yet acknowledged",
        labels=["group"],
    )
    oldest = GaugeMetricFamily(
        "wirestream_consumer_oldest_pending_age_seconds",
        "Age of the oldest entry the group has not acknowledged (0: none pending)",
        labels=["group"],
    )
    consumers = GaugeMetricFamily(
        "wirestream_consumer_members", "Consumers registered in the group", labels=["group"]
    )
    dead = GaugeMetricFamily(
        "wirestream_consumer_dead_letters",
        "Entries in the group's dead-letter stream (its handler failed on them)",
        labels=["group"],
    )
    sent_back = GaugeMetricFamily(
        "wirestream_consumer_sent_back",
        "Dead letters sent back to the group (groups dead retry) and not yet handled",
        labels=["group"],
    )
    for group in state.groups:
        if group.lag is not None:
            lag.add_metric([group.name], group.lag)
        pending.add_metric([group.name], group.pending)
        oldest.add_metric([group.name], group.oldest_pending_age or 0.0)
        consumers.add_metric([group.name], group.consumers)
        dead.add_metric([group.name], group.dead_letters)
        sent_back.add_metric([group.name], group.sent_back)
    yield from (lag, pending, oldest, consumers, dead, sent_back)


def serve_metrics(
    client: RedisClient,
    keys: Keys,
    clock: Callable[[], datetime],
    *,
    host: str,
    port: int,
    stop: threading.Event,
    broker: RedisClient | None = None,
) -> None:
    """Serve ``/metrics`` in the Prometheus text format until ``stop`` is set."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(PipelineCollector(client, keys, clock, broker))
    try:
        server, thread = start_http_server(port, addr=host, registry=registry)
    except OSError as error:
        raise WirestreamError(f"metrics: cannot listen on {host}:{port}: {error}") from None
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# --- status and health ---------------------------------------------------------------------


def render_status(
    state: PipelineState,
    counts: dict[str, int],
    workers: list[str],
    *,
    keys: Keys,
    now: datetime,
    failing_shown: int = 5,
) -> str:
    lines = [f"wirestream status  (namespace {keys.namespace}, {utc_iso(now)})", ""]
    lines.append(f"workers      {', '.join(workers) if workers else 'none alive'}")
    waiting = ", ".join(f"{queue} {count}" for queue, count in state.waiting.items())
    lines.append(f"queues       waiting: {waiting}; running or unacknowledged: {state.unacked}")
    lines.append(
        f"feeds        {state.feeds} subscribed, {state.feeds_due} due now,"
        f" {len(state.failing)} failing"
    )
    for feed in state.failing[:failing_shown]:
        lines.append(
            f"  failing    {feed.url} ({feed.consecutive_failures} in a row): {feed.last_error}"
        )
    if len(state.failing) > failing_shown:
        lines.append(
            f"  ...        {len(state.failing) - failing_shown} more: wirestream feeds list"
        )
    if state.last_publish_at is None:
        last = "never"
    else:
        ago = (now - state.last_publish_at).total_seconds()
        last = f"{utc_iso(state.last_publish_at)} ({ago:.0f} s ago)"
    lines.append(
        f"stream       {keys.articles_stream}: {state.stream_length} entries; last publish {last}"
    )
    lines.append(f"dead letters {keys.dead_stream}: {state.dead_length} entries")
    lines.extend(consumer_lines(state))
    failed = sum(value for name, value in counts.items() if name.startswith(FAILED_PREFIX))
    lines.append(
        f"counted      polls {counts.get('feeds.polled', 0)}"
        f" (not modified {counts.get('feeds.not_modified', 0)},"
        f" failed {counts.get('feeds.failed', 0)}), new entries {counts.get('entries.new', 0)},"
        f" created {counts.get('article.created', 0)}, updated {counts.get('article.updated', 0)},"
        f" duplicates {counts.get('article.duplicate', 0)}, failures {failed}"
    )
    drops = {
        name.removeprefix(DROPPED_PREFIX): value
        for name, value in sorted(counts.items())
        if name.startswith(DROPPED_PREFIX) and value
    }
    if drops:
        reasons = ", ".join(f"{reason} {value}" for reason, value in drops.items())
        lines.append(f"dropped      {sum(drops.values())} ({reasons})")
    unreplicated = {what: counts.get(unreplicated_counter(what), 0) for what in REPLICATED_WRITES}
    if any(unreplicated.values()):
        lines.append(
            f"unreplicated {unreplicated['publish']} publishes and {unreplicated['schedule']}"
            " scheduled tasks no replica confirmed in time"
            " (publish_wait_replicas; docs/high-availability.md)"
        )
    return "\n".join(lines)


def consumer_lines(state: PipelineState) -> list[str]:
    if not state.groups:
        return ["consumers    no consumer group (wirestream tail --group, consume, groups)"]
    lines = []
    for group in state.groups:
        lag = "unknown" if group.lag is None else str(group.lag)
        oldest = (
            f" (oldest {group.oldest_pending_age:.0f} s)"
            if group.oldest_pending_age is not None
            else ""
        )
        last = utc_iso(group.last_delivered_at) or "never"
        dead = f", {group.dead_letters} dead letters" if group.dead_letters else ""
        sent_back = f", {group.sent_back} sent back" if group.sent_back else ""
        lines.append(
            f"consumers    group {group.name}: {group.consumers} consumers, lag {lag},"
            f" pending {group.pending}{oldest}, last delivered {last}{dead}{sent_back}"
        )
    return lines
