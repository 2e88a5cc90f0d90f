"""`wirestream run`: the scheduler finds due feeds by itself, and SIGTERM stops it cleanly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from worker.keys import Keys
from worker.simweb import SimWeb, catalog


def test_run_polls_due_feeds_through_the_scheduler_and_stops_cleanly_on_sigterm(
    pipeline_env: dict[str, str],
    tmp_path: Path,
    simweb: SimWeb,
    redis_client: redis.Redis,
    keys: Keys,
) -> None:
    env = {**pipeline_env, "WIRESTREAM_BEAT_INTERVAL": "1"}
    feed_url = simweb.feed_urls()[0]
    subprocess.run(
        [sys.executable, "-m", "worker.cli", "feeds", "add", feed_url],
        env=env, cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    expected = len(catalog.articles_in(catalog.FEEDS[0]))

    run = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "run"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while redis_client.xlen(keys.articles_stream) < expected and time.monotonic() < deadline:
            assert run.poll() is None, run.stderr.read().decode()[-3000:] if run.stderr else ""
            time.sleep(0.5)
        assert redis_client.xlen(keys.articles_stream) == expected
        next_poll = redis_client.zscore(keys.due, next(iter(redis_client.hkeys(keys.feeds))))
        assert next_poll is not None and next_poll > time.time(), "the poll set its next time"
    finally:
        run.send_signal(signal.SIGTERM)
        _, stderr = run.communicate(timeout=60)
    assert run.returncode == 0, stderr.decode()[-3000:]
