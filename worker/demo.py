"""``wirestream demo``: the simulated web, the whole pipeline, and articles as they arrive.

The demo runs in its own namespace (``<namespace>-demo``), emptied at start, so every demo
begins from nothing; the simulated web releases its items over time, so the live view
shows the pipeline picking up new entries as a real deployment would.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from ipaddress import ip_network

from worker.adapters.http import HttpClient
from worker.adapters.redis_client import RedisClient
from worker.adapters.store import FeedStore
from worker.adapters.stream import StreamReader
from worker.errors import WirestreamError
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.runtime import Children, child_environment, redis_for, start_beat, worker_command
from worker.settings import Settings
from worker.simweb import SimWeb
from worker.subscriptions import import_feed_list

LOOPBACK = "127.0.0.0/8"
# The simulated web serves every outlet from 127.0.0.1: one host to the politeness budget,
# which would let the demo fetch one page a second.
SIMWEB_HOST_RATE_OVERRIDES = json.dumps({"127.0.0.1": 200.0})
RELEASE_EVERY_SECONDS = 8.0
DEMO_POLL_INTERVAL = "10"
DEMO_BEAT_INTERVAL = "2"


def run_demo(settings: Settings, *, port: int, duration: float | None) -> int:
    demo_settings = settings.model_copy(update={"namespace": f"{settings.namespace}-demo"})
    keys = Keys(demo_settings.namespace)
    with SimWeb(port=port, release="scheduled") as web, redis_for(settings) as (url, client):
        clear_namespace(client, keys)
        feeds = import_feeds(web, client, keys, settings)
        print(f"simulated web at {web.base_url}: {feeds} feeds; stream {keys.articles_stream}")
        env = child_environment(
            settings, url,
            WIRESTREAM_NAMESPACE=keys.namespace,
            WIRESTREAM_ALLOWED_NETWORKS=LOOPBACK,
            WIRESTREAM_POLL_INTERVAL=DEMO_POLL_INTERVAL,
            WIRESTREAM_BEAT_INTERVAL=DEMO_BEAT_INTERVAL,
            WIRESTREAM_HOST_RATE_OVERRIDES=SIMWEB_HOST_RATE_OVERRIDES,
        )  # fmt: skip
        children = Children(env, log_dir=settings.data_dir / "demo-logs")
        try:
            for queue in (FEEDS_QUEUE, ARTICLES_QUEUE):
                children.start(f"worker-{queue}", worker_command(queue, settings))
            start_beat(children, settings)
            print(
                f"workers and scheduler started; logs in {settings.data_dir / 'demo-logs'};"
                " Ctrl-C to stop\n"
            )
            show_live(client, keys, web, children, duration)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (worker.cli.main): the way out
            pass
        finally:
            print("\nstopping workers ...", flush=True)
            children.stop()
    return 0


def clear_namespace(client: RedisClient, keys: Keys) -> None:
    for key in client.scan_iter(match=f"{keys.namespace}:*", count=1000):
        client.delete(key)


def import_feeds(web: SimWeb, client: RedisClient, keys: Keys, settings: Settings) -> int:
    http = HttpClient.from_settings(settings, allowed_networks=[ip_network(LOOPBACK)])
    with http:
        body = http.fetch(web.opml_url, kind="feed", max_bytes=settings.max_feed_bytes).body
    report = import_feed_list(
        FeedStore(client, keys), body, source=web.opml_url, now=datetime.now(UTC)
    )
    return report.created


def show_live(
    client: RedisClient, keys: Keys, web: SimWeb, children: Children, duration: float | None
) -> None:
    started = time.monotonic()
    next_release = started + RELEASE_EVERY_SECONDS
    reader = StreamReader(client, keys.articles_stream)
    last = "0"
    shown = 0
    while duration is None or time.monotonic() - started < duration:
        dead = children.exited()
        if dead:
            raise WirestreamError(f"demo: a process exited: {', '.join(dead)}")
        if time.monotonic() >= next_release:
            web.advance(1)
            next_release += RELEASE_EVERY_SECONDS
        for stream_id, fields in reader.read_after(last, count=50, block_ms=1000):
            last = stream_id
            shown += 1
            print(describe(fields), flush=True)
    print(f"\n{shown} stream entries in {time.monotonic() - started:.0f} s")


def describe(fields: dict[str, str]) -> str:
    data = json.loads(fields["data"])
    event = fields["event"].removeprefix("article.")
    site = data.get("site_name") or data["feed"].get("title") or ""
    line = f"{event:9} {fields.get('lang') or '--':2}  {site[:22]:22}  {data.get('title') or ''}"
    if fields.get("duplicate_of"):
        line += f"   (copy of {fields['duplicate_of'][:8]})"
    return line
