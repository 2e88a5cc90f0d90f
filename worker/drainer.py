"""Sends the scheduled tasks (``worker.adapters.task_schedule``) when they are due.

Every worker runs one drainer, a thread in its main process started after the pool has
forked: any live worker keeps the schedule moving, with or without beat (``run
--until-idle`` has none). The claim is atomic, so drainers never send a task twice while
its lease lasts; a task is removed only once it was sent.

Where the broker's lists live on the schedule's Redis (every deployment but a cluster's), a
task's broker message is pushed and the task removed in one script: the drainer has kombu
route the messages without sending them (``Channel.publishes_collected``), then
``TaskSchedule.send`` pushes them. Sent on kombu's connection and removed on ours, a failover
between the two could keep the removal and take the send with the old primary: the task was
gone. (A ``MULTI`` on kombu's connection was tried: across a failover its Sentinel pool kept
retrying the dead primary for 30 s, and the drainer with it; docs/high-availability.md.)
Where the broker is another Redis, the task is sent, then removed: that window stays.

It sleeps until the next task is due, at most ``IDLE_WAIT_SECONDS``, so a deferral waits
about as long as it asked for: waiting for a host's budget is measured in fractions of a
second, and a beat tick (seconds) would stretch every such wait to a whole tick.
"""

from __future__ import annotations

import threading
from typing import Any

from celery import Celery, bootsteps
from kombu.exceptions import OperationalError

from worker.adapters.embedded_redis import redis_url_for
from worker.adapters.redis_client import RedisOptions, connect
from worker.adapters.stream import DeadLetter, DeadLetters
from worker.adapters.task_schedule import BrokerMessage, ScheduledTask, TaskSchedule
from worker.app import settings
from worker.errors import RetryableError
from worker.keys import Keys
from worker.logs import get_logger
from worker.services import utc_now

log = get_logger(__name__)

DRAIN_BATCH = 200
# Sending a batch takes milliseconds; a drainer that dies between claim and send delays
# the batch by this much, after which another drainer sends it.
SCHEDULE_LEASE_SECONDS = 10.0
# A task scheduled while the drainer sleeps waits at most this long beyond its due time.
IDLE_WAIT_SECONDS = 0.25
OUTAGE_WAIT_SECONDS = 1.0


class Drainer:
    def __init__(
        self,
        app: Celery,
        schedule: TaskSchedule,
        dead: DeadLetters,
        *,
        broker_on_schedule_redis: bool,
    ) -> None:
        self._app = app
        self._schedule = schedule
        self._dead = dead
        self._broker_on_schedule_redis = broker_on_schedule_redis

    def drain_once(self) -> float:
        """Send what is due; return the seconds to wait before the next sweep."""
        claimed = self._schedule.claim_due(lease_seconds=SCHEDULE_LEASE_SECONDS, limit=DRAIN_BATCH)
        for task_id, stored, why in claimed.malformed:
            self._dead.add(
                DeadLetter(
                    stage="schedule",
                    reason=f"unreadable scheduled task: {why}",
                    input={"task_id": task_id, "stored": stored},
                    attempts=1,
                    task="schedule",
                    error="ValueError",
                    failed_at=utc_now(),
                )
            )
            self._schedule.done([task_id])
        if self._broker_on_schedule_redis:
            self._send_and_remove(claimed.tasks)
        else:
            self._send_then_remove(claimed.tasks)
        if len(claimed.tasks) + len(claimed.malformed) >= DRAIN_BATCH:
            return 0.0
        if claimed.next_due_in is None:
            return IDLE_WAIT_SECONDS
        return min(claimed.next_due_in, IDLE_WAIT_SECONDS)

    def _send_and_remove(self, tasks: list[ScheduledTask]) -> None:
        with (
            self._app.producer_or_acquire() as producer,
            producer.channel.publishes_collected() as routed,
        ):
            for task in tasks:
                self._publish(task, producer)
        self._schedule.send(
            [
                BrokerMessage(task.id, queue_key, payload)
                for task, (queue_key, payload) in zip(tasks, routed, strict=True)
            ]
        )

    def _send_then_remove(self, tasks: list[ScheduledTask]) -> None:
        sent: list[str] = []
        try:
            with self._app.producer_or_acquire() as producer:
                for task in tasks:
                    self._publish(task, producer)
                    sent.append(task.id)
        finally:
            self._schedule.done(sent)

    def _publish(self, task: ScheduledTask, producer: Any) -> None:
        self._app.send_task(
            task.name,
            args=task.args,
            task_id=task.id,
            queue=task.queue,
            retries=task.retries,
            argsrepr=task.argsrepr,
            producer=producer,
            declare=[],  # a queue on the anonymous exchange: nothing to declare
        )

    def run(self, stop: threading.Event) -> None:
        in_outage = False
        while not stop.is_set():
            try:
                wait = self.drain_once()
            except (RetryableError, OperationalError, ConnectionError) as error:
                # Redis is away: tasks stay scheduled (a claimed one until its lease ends).
                if not in_outage:
                    log.warning("schedule_drain_failed", error=str(error))
                in_outage, wait = True, OUTAGE_WAIT_SECONDS
            except Exception as error:
                # A bug must not stop the schedule for good: logged, and tried again.
                log.exception("schedule_drain_crashed", error=repr(error))
                wait = OUTAGE_WAIT_SECONDS
            else:
                if in_outage:
                    log.info("schedule_drain_resumed")
                in_outage = False
            stop.wait(wait)


class ScheduleDrainer(bootsteps.StartStopStep):  # type: ignore[misc]  # Celery is untyped
    """The drainer thread of a worker, started once its pool has forked (a thread running
    in the parent would not exist in the children anyway, but its locks would)."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, parent: Any) -> None:
        keys = Keys.for_settings(settings)
        # The settings' Sentinel and TLS options too, as every other client of the process.
        client = connect(
            redis_url_for(settings.redis_url, settings.data_dir),
            RedisOptions.from_settings(settings),
            max_connections=4,
        )
        drainer = Drainer(
            parent.app,
            TaskSchedule(client, keys),
            DeadLetters(client, keys, maxlen=settings.dead_maxlen),
            broker_on_schedule_redis=settings.broker_url is None,
        )
        self._stop.clear()
        self._thread = threading.Thread(
            target=drainer.run, args=(self._stop,), name="schedule-drainer", daemon=True
        )
        self._thread.start()

    def stop(self, parent: Any) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
