"""``wirestream health``: the container health check. It runs every few seconds in every
container, so it imports only the settings, the Redis client and the heartbeats."""

from __future__ import annotations

import argparse
import socket
import urllib.error
import urllib.request

from worker.adapters.heartbeats import WorkerHeartbeats
from worker.adapters.redis_client import mask_url
from worker.command import http_url, positive_float
from worker.errors import WirestreamError
from worker.keys import Keys
from worker.runtime import redis_for
from worker.settings import Settings

HELP = "exit 0 when healthy, 1 otherwise (for container health checks)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--worker", action="store_true", help="also require a live worker on this host"
    )
    parser.add_argument(
        "--http", metavar="URL", type=http_url, help="also require this URL to answer 2xx"
    )
    parser.add_argument(
        "--timeout", type=positive_float, default=3.0,
        help="seconds to wait for Redis and for the URL to answer (default 3)",
    )  # fmt: skip


def check_health(args: argparse.Namespace, settings: Settings) -> int:
    # A Redis that does not answer fails the check within the timeout, not after the
    # failover budget: a container's health check is killed at its own timeout.
    budget = min(settings.redis_failover_seconds, args.timeout)
    settings = settings.model_copy(update={"redis_failover_seconds": budget})
    with redis_for(settings) as (url, client):
        checked = [f"redis {mask_url(url)} answers"]
        if args.worker:
            alive = list(WorkerHeartbeats(client, Keys.for_settings(settings)).alive())
            checked.append(f"worker {check_local_worker(alive)} is alive")
    if args.http:
        check_http(args.http, args.timeout)
        checked.append(f"{args.http} answers")
    print("healthy: " + "; ".join(checked))
    return 0


def check_local_worker(workers: list[str]) -> str:
    """The name of a live worker on this host (worker names end with @<hostname>)."""
    suffix = f"@{socket.gethostname()}"
    local = [name for name in workers if name.endswith(suffix)]
    if not local:
        raise WirestreamError(
            f"health: no worker on {socket.gethostname()} sent a heartbeat recently"
        )
    return local[0]


def check_http(url: str, timeout: float) -> None:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read(1)
    except (urllib.error.URLError, OSError) as error:
        raise WirestreamError(f"health: {url}: {error}") from None
