"""A worker killed with SIGKILL in the middle of an article: published once, after redelivery,
seconds after the kill: the surviving worker's sweep finds the delivery held by no live
consumer (worker/adapters/broker.py), long before the visibility timeout (the default, 125 s,
here: the test waits 90 s at most)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import redis
from celery import Celery
from processes import wait_for

from worker.app import celery_config
from worker.keys import Keys
from worker.models import FeedEntry, FeedRef
from worker.settings import Settings
from worker.simweb import SimWeb, catalog
from worker.stages.urls import canonical_url

# A short time limit and retry delay; the visibility timeout as it is by default.
FAST_REDELIVERY = {
    "WIRESTREAM_VISIBILITY_TIMEOUT": "125",
    "WIRESTREAM_TASK_TIME_LIMIT": "15",
    "WIRESTREAM_RETRY_BACKOFF_MAX": "5",
    "WIRESTREAM_UNACKED_RESTORE_INTERVAL": "1",
}
SLOW_PAGE_SECONDS = 8.0


def start_worker(env: dict[str, str], name: str, cwd: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, "-m", "celery", "-A", "worker.app", "worker", "--queues", "articles",
        "--pool", "prefork", "--concurrency", "1", "--hostname", f"{name}@%h",
        "--without-mingle", "--without-gossip",
    ]  # fmt: skip
    log = open(cwd / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the worker
    return subprocess.Popen(
        command, env=env, cwd=cwd, stdout=log, stderr=log, start_new_session=True
    )


def test_sigkilled_worker_mid_article_publishes_it_exactly_once_after_redelivery(
    pipeline_env: dict[str, str],
    tmp_path: Path,
    simweb: SimWeb,
    redis_client: redis.Redis,
    keys: Keys,
    process_groups: list[subprocess.Popen[bytes]],
) -> None:
    env = {**pipeline_env, **FAST_REDELIVERY}
    article = next(a for a in catalog.ARTICLES if not a.exact_copy_of)
    page_url = simweb.url_for(article)
    simweb.set_behaviour(f"{article.outlet}{article.path}", latency=SLOW_PAGE_SECONDS)

    settings = Settings(
        redis_url=env["WIRESTREAM_REDIS_URL"],
        namespace=env["WIRESTREAM_NAMESPACE"],
        data_dir=Path(env["WIRESTREAM_DATA_DIR"]),
        visibility_timeout=125,
        task_time_limit=15,
        retry_backoff_max=5,
    )
    sender = Celery("test-sender")
    sender.config_from_object(celery_config(settings))
    entry = FeedEntry(
        feed=FeedRef(id="test-feed", url=simweb.feed_urls()[0]),
        url=canonical_url(page_url),
        source_url=page_url,
        guid=None,
        title=article.title,
        published=None,
        discovered_at=datetime.now(UTC),
    )

    first = start_worker(env, "doomed", tmp_path)
    process_groups.append(first)
    sender.send_task("wirestream.process_entry", args=[entry.to_payload()], queue="articles")
    wait_for(lambda: simweb.hits().get(article.outlet, 0) > 0, 60, "the article fetch to start")
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its pool, mid-request
    killed_at = time.monotonic()
    first.wait()
    assert redis_client.xlen(keys.articles_stream) == 0

    simweb.set_behaviour(f"{article.outlet}{article.path}", latency=0.0)
    process_groups.append(start_worker(env, "survivor", tmp_path))
    wait_for(lambda: redis_client.xlen(keys.articles_stream) > 0, 90, "the redelivered article")
    print(
        f"\nrecovery: the article on the stream {time.monotonic() - killed_at:.1f} s after the"
        f" SIGKILL (visibility timeout {FAST_REDELIVERY['WIRESTREAM_VISIBILITY_TIMEOUT']} s)"
    )
    time.sleep(3)  # room for a second, wrong publish to show up

    entries = redis_client.xrange(keys.articles_stream)
    assert len(entries) == 1
    fields = entries[0][1]
    assert fields["event"] == "article.created"
    assert json.loads(fields["data"])["source_url"] == page_url
    assert redis_client.xlen(keys.dead_stream) == 0
