"""Every way a fetch can go wrong ends published or dead-lettered with its reason: none lost."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable

import redis

from worker.keys import Keys
from worker.simweb import SimWeb

Wirestream = Callable[..., subprocess.CompletedProcess[str]]

QUICK_FAILURE = {
    "WIRESTREAM_MAX_ATTEMPTS": "2",
    "WIRESTREAM_RETRY_BACKOFF_BASE": "0.2",
    "WIRESTREAM_RETRY_BACKOFF_MAX": "3",
    "WIRESTREAM_CONNECT_TIMEOUT": "2",
    "WIRESTREAM_READ_TIMEOUT": "2",
    "WIRESTREAM_TOTAL_TIMEOUT": "3",
}

# The fault URL's path after the host, and what must become of it.
EXPECTED_DEAD = {
    "/status/404": ("fetch", "404 Not Found", 1),
    "/status/410": ("fetch", "410 Gone", 1),
    "/status/500": ("fetch", "500 Internal Server Error", 2),
    "/status/429": ("fetch", "429 Too Many Requests", 2),
    "/redirect-loop": ("fetch", "redirect", 1),
    "/drip": ("fetch", "timed out", 2),
    "/big": ("fetch", "larger than", 1),
    "/gzip-bomb": ("fetch", "larger than", 1),
    "/not-html": ("fetch", "refused content type 'application/pdf'", 1),
}
EXPECTED_PUBLISHED = ("/redirect/3/", "/no-charset", "/wrong-charset")


def test_every_fault_ends_published_or_dead_lettered_with_its_reason(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, keys: Keys
) -> None:
    assert wirestream("feeds", "import", simweb.faults_opml_url).returncode == 0

    started_ms = int(redis_client.time()[0]) * 1000
    run = wirestream("run", "--until-idle", "--timeout", "240", **QUICK_FAILURE)
    assert run.returncode == 0, run.stderr[-3000:]
    # These faults last the whole run: the recovery is the time to the last outcome.
    for stream in (keys.articles_stream, keys.dead_stream):
        last = redis_client.xrevrange(stream, count=1)
        if last:
            ended = int(str(last[0][0]).split("-")[0]) - started_ms
            print(f"\n{stream}: last entry {ended / 1000:.1f} s after the run started")

    dead = {}
    for _, fields in redis_client.xrange(keys.dead_stream):
        path = json.loads(fields["input"])["source_url"].split("/faults.example", 1)[1]
        dead[path] = fields
    published = {
        json.loads(fields["data"])["source_url"].split("/faults.example", 1)[1]: fields
        for _, fields in redis_client.xrange(keys.articles_stream)
    }
    assert set(dead) == set(EXPECTED_DEAD)
    for path, (stage, reason, attempts) in EXPECTED_DEAD.items():
        assert dead[path]["stage"] == stage, path
        assert reason in dead[path]["reason"], (path, dead[path]["reason"])
        assert int(dead[path]["attempts"]) == attempts, path
    assert len(published) == len(EXPECTED_PUBLISHED)
    for prefix in EXPECTED_PUBLISHED:
        assert any(path.startswith(prefix) for path in published), prefix
    no_charset = json.loads(published["/no-charset"]["data"])
    assert "Müller" in no_charset["title"], "a page without a charset must not come out garbled"
