"""Writes that must reach a replica before the task that made them is acknowledged.

Replication is asynchronous: a primary that dies takes with it the writes its replica had
not received yet. A task acknowledged on the new primary after such a write is gone for good
when the write was what carried the work on (an article's publish, or the scheduled copy of a
deferred task). Waiting (Redis ``WAIT``) keeps the task unacknowledged until the replica has
the write, so a failover in between makes the task fail and run again on the new primary.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from redis.commands.core import Script
from redis.exceptions import NoScriptError

from worker.adapters.redis_client import RedisClient
from worker.keys import Keys
from worker.logs import get_logger

log = get_logger(__name__)

REPLICA_RECHECK_SECONDS = 5.0
"""After a WAIT that timed out short of its replicas, how long writes go on without waiting
before one waits again."""


@dataclass
class ReplicaWatch:
    """Until when writes do not wait: after a failover the promoted primary has no replica
    until the old one comes back, and every write paid the whole timeout for nothing (the
    failover suite's WAIT case took 35 s to publish what took 4 s without)."""

    missing_until: float = 0.0
    suspended: bool = False  # logged once each way


@dataclass(frozen=True)
class Durability:
    """Replicas that must have a write before its task is acknowledged (0: none waited for).

    A replica that does not answer in time (it is gone) does not stop the pipeline: the write
    counts in the stats (:func:`unreplicated_counter`) and the task goes on; so do the
    writes of the next ``REPLICA_RECHECK_SECONDS``, without waiting, then one waits again."""

    replicas: int = 0
    timeout_ms: int = 500
    watch: ReplicaWatch = field(default_factory=ReplicaWatch, compare=False, repr=False)


NO_WAIT = Durability()

REPLICATED_WRITES = ("publish", "schedule")
"""What waits for replicas: an article's publish, and the scheduled copy of a deferred task."""


def unreplicated_counter(what: str) -> str:
    """The stats counter of ``what``'s writes no replica confirmed within the timeout."""
    return f"{what}.unreplicated"


def run_script(
    client: RedisClient,
    keys: Keys,
    durability: Durability,
    script: Script,
    *,
    what: str,
    script_keys: list[str],
    args: list[Any],
) -> Any:
    """Runs ``script``; with ``durability`` it and its WAIT go on one connection, sent together:
    when the connection fails the client retries both on the new one, so a WAIT never vouches,
    on the new primary, for a write the old one took with it."""
    if not durability.replicas:
        return script(keys=script_keys, args=args)
    if time.monotonic() < durability.watch.missing_until:
        reply = script(keys=script_keys, args=args)
        client.hincrby(keys.stats, unreplicated_counter(what), 1)
        return reply

    def script_and_wait() -> list[Any]:
        pipe = client.pipeline(transaction=False)
        script(keys=script_keys, args=args, client=pipe)
        pipe.wait(durability.replicas, durability.timeout_ms)
        return list(pipe.execute())

    try:
        reply, confirmed = script_and_wait()
    except NoScriptError:
        # The pipeline was retried on a promoted replica, which has never loaded the script:
        # redis-py loads a pipeline's scripts before its first attempt only. Sent again, the
        # pipeline loads it there (the script did not run on that server).
        reply, confirmed = script_and_wait()
    if int(confirmed) < durability.replicas:
        client.hincrby(keys.stats, unreplicated_counter(what), 1)
        if not durability.watch.suspended:
            log.warning(
                "replica_wait_suspended", what=what, replicas=durability.replicas,
                confirmed=int(confirmed), recheck_every_s=REPLICA_RECHECK_SECONDS,
            )  # fmt: skip
        durability.watch.suspended = True
        durability.watch.missing_until = time.monotonic() + REPLICA_RECHECK_SECONDS
    elif durability.watch.suspended:
        durability.watch.suspended = False
        log.info("replica_wait_resumed", what=what, replicas=durability.replicas)
    return reply
