"""Ten workers' worth of concurrency against one host: the host never sees more than its
budget, and nothing is lost to waiting (deferred work is rescheduled, never failed)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import redis

from worker.keys import Keys
from worker.simweb import SimWeb, catalog

Wirestream = Callable[..., subprocess.CompletedProcess[str]]

BUDGET = 6.0  # requests per second to 127.0.0.1, the one host of the simulated web
# The budget is kept when a request is admitted; it reaches the server a little later, after
# a connect and a thread switch on a busy machine. Windows this much shorter than a second
# leave room for that jitter and still catch a budget that is not kept.
JITTER = 0.05
TEN_WORKERS = {
    "WIRESTREAM_HOST_RATE_OVERRIDES": json.dumps({"127.0.0.1": BUDGET}),
    "WIRESTREAM_FEEDS_CONCURRENCY": "8",
    "WIRESTREAM_ARTICLES_CONCURRENCY": "2",
    # One attempt each: a wait that counted as a failed attempt would dead-letter the entry.
    "WIRESTREAM_MAX_ATTEMPTS": "1",
}


def test_one_host_sees_no_more_than_its_budget_and_every_article_arrives(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, keys: Keys
) -> None:
    assert wirestream("feeds", "import", simweb.opml_url).returncode == 0

    run = wirestream("run", "--until-idle", "--timeout", "240", **TEN_WORKERS)
    assert run.returncode == 0, run.stderr[-3000:]

    requests = sum(simweb.hits().values())
    stats = redis_client.hgetall(keys.stats)
    print(
        f"\n{requests} requests; busiest second: {simweb.busiest(1.0)},"
        f" busiest {1 - JITTER:g} s: {simweb.busiest(1 - JITTER)}; budget {BUDGET:g}/s;"
        f" deferrals: {stats.get('entries.deferred', 0)} of entries,"
        f" {stats.get('feeds.deferred', 0)} of polls"
    )
    assert requests >= len(catalog.ARTICLES) + len(catalog.FEEDS)
    assert simweb.busiest(1 - JITTER) <= BUDGET
    assert int(stats.get("entries.deferred", 0)) + int(stats.get("feeds.deferred", 0)) > 0, (
        "ten workers at once must have had to wait for the host"
    )
    assert redis_client.xlen(keys.articles_stream) == len(catalog.ARTICLES)
    assert redis_client.xlen(keys.dead_stream) == 0
