"""``wirestream demo``: the simulated web, the whole pipeline, and articles as they arrive.

The demo runs in its own namespace (``<namespace>-demo``), emptied at start, so every demo
begins from nothing. The simulated web releases one story every few seconds (originals,
wire copies, rewrites; then revisions of the stories already out, for as long as it runs) and
the demo polls each feed every 10 to 15 seconds, so the live view keeps showing new articles,
duplicates and updates as a real deployment would. A status line (feeds, queue, published,
duplicates) says what the pipeline is doing between two articles, and a summary closes it.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from ipaddress import ip_network

from worker.adapters.http import HttpClient
from worker.adapters.redis_client import RedisClient
from worker.adapters.store import FeedStore
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.live import LiveView
from worker.runtime import Children, child_environment, redis_for, start_beat, worker_command
from worker.settings import Settings
from worker.simweb import SimWeb
from worker.subscriptions import import_feed_list

LOOPBACK = "127.0.0.0/8"
# The simulated web serves every outlet from 127.0.0.1: one host to the politeness budget,
# which would let the demo fetch one page a second.
SIMWEB_HOST_RATE_OVERRIDES = json.dumps({"127.0.0.1": 200.0})
RELEASE_EVERY_SECONDS = 3.0
# The simulated stories carry their real publication dates, days apart: left to the publishing
# rate, the scheduler would poll each feed once a day and the demo would go quiet.
DEMO_POLL_INTERVALS = {
    "WIRESTREAM_POLL_INTERVAL": "10",
    "WIRESTREAM_MIN_POLL_INTERVAL": "10",
    "WIRESTREAM_MAX_POLL_INTERVAL": "15",
}
DEMO_BEAT_INTERVAL = "2"


def run_demo(settings: Settings, *, port: int, duration: float | None) -> int:
    demo_settings = settings.model_copy(update={"namespace": f"{settings.namespace}-demo"})
    keys = Keys.for_settings(demo_settings)
    with SimWeb(port=port, release="live") as web, redis_for(settings) as (url, client):
        clear_namespace(client, keys)
        feeds = import_feeds(web, client, keys, settings)
        print(f"simulated web at {web.base_url}: {feeds} feeds; stream {keys.articles_stream}")
        env = child_environment(
            settings, url,
            WIRESTREAM_NAMESPACE=keys.namespace,
            WIRESTREAM_ALLOWED_NETWORKS=LOOPBACK,
            WIRESTREAM_BEAT_INTERVAL=DEMO_BEAT_INTERVAL,
            **DEMO_POLL_INTERVALS,
            WIRESTREAM_HOST_RATE_OVERRIDES=SIMWEB_HOST_RATE_OVERRIDES,
        )  # fmt: skip
        children = Children(
            env,
            log_dir=settings.data_dir / "demo-logs",
            restart_limit=settings.worker_restart_limit,
        )
        try:
            for queue in (FEEDS_QUEUE, ARTICLES_QUEUE):
                children.start(f"worker-{queue}", worker_command(queue, settings))
            start_beat(children, settings)
            print(
                f"workers and scheduler started; logs in {settings.data_dir / 'demo-logs'};"
                " Ctrl-C to stop\n"
            )
            show_live(client, keys, web, children, duration)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (worker.command.run): the way out
            pass
        finally:
            print("\nstopping workers ...", flush=True)
            children.stop()
    return 0


def clear_namespace(client: RedisClient, keys: Keys) -> None:
    for pattern in keys.patterns:
        for key in client.scan_iter(match=pattern, count=1000):
            client.delete(key)


def import_feeds(web: SimWeb, client: RedisClient, keys: Keys, settings: Settings) -> int:
    """The demo outlets' feeds and the evaluation set's (more outlets republishing the same
    wire stories, which the live release reaches once the demo's own stories are out)."""
    http = HttpClient.from_settings(settings, allowed_networks=[ip_network(LOOPBACK)])
    created = 0
    with http:
        for opml_url in (web.opml_url, web.evalset_opml_url):
            body = http.fetch(opml_url, kind="feed", max_bytes=settings.max_feed_bytes).body
            report = import_feed_list(
                FeedStore(client, keys), body, source=opml_url, now=datetime.now(UTC)
            )
            created += report.created
    return created


def show_live(
    client: RedisClient, keys: Keys, web: SimWeb, children: Children, duration: float | None
) -> None:
    started = time.monotonic()
    next_release = started + RELEASE_EVERY_SECONDS
    view = LiveView(client, keys, on_terminal=sys.stdout.isatty())
    try:
        while duration is None or time.monotonic() - started < duration:
            children.restart_exited()  # as `run` does; a crash loop ends the demo
            if time.monotonic() >= next_release:
                web.publish_next()
                next_release += RELEASE_EVERY_SECONDS
            view.refresh(wait_ms=1000)
    finally:
        view.close()
        print(
            f"\n{view.shown} stream entries in {time.monotonic() - started:.0f} s;"
            f" {view.summary()}",
            flush=True,
        )
