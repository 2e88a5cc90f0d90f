"""The Redis task schedule: deferred and retried tasks wait there, not in a worker, and each
due task is handed to one drainer at a time, at least once."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import redis
from celery import Celery

from worker.adapters.durability import Durability
from worker.adapters.redis_client import connect
from worker.adapters.stream import DeadLetters
from worker.adapters.task_schedule import ScheduledTask, TaskSchedule
from worker.app import celery_config
from worker.drainer import Drainer
from worker.keys import Keys
from worker.settings import Settings


def task(number: int) -> ScheduledTask:
    return ScheduledTask(
        id=f"task-{number}",
        name="wirestream.process_entry",
        args=[{"source_url": f"https://example.com/{number}"}],
        queue="articles",
        retries=number % 3,
        argsrepr=repr(f"https://example.com/{number}"),
    )


def test_a_task_is_handed_out_once_it_is_due_with_what_it_was_scheduled_with(
    redis_url: str, keys: Keys
) -> None:
    schedule = TaskSchedule(connect(redis_url), keys)
    schedule.add(task(1), delay=0.4)

    early = schedule.claim_due(lease_seconds=10, limit=10)
    assert early.tasks == []
    assert early.next_due_in is not None and 0 < early.next_due_in <= 0.4

    time.sleep(0.5)
    due = schedule.claim_due(lease_seconds=10, limit=10)
    assert due.tasks == [task(1)]
    assert schedule.claim_due(lease_seconds=10, limit=10).tasks == [], "leased: not again"


def test_with_the_durability_setting_a_scheduled_task_waits_for_replicas_and_is_kept(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    # The scheduled copy replaces a deferred task that is acknowledged once it is stored, so
    # it waits for replicas as a publish does. The shared test Redis has none: WAIT 1 can
    # only time out, and the task is kept and counted.
    schedule = TaskSchedule(
        connect(redis_url), keys, durability=Durability(replicas=1, timeout_ms=20)
    )
    schedule.add(task(7), delay=0)

    assert schedule.claim_due(lease_seconds=10, limit=10).tasks == [task(7)]
    assert redis_client.hget(keys.stats, "schedule.unreplicated") == "1"
    assert redis_client.hget(keys.stats, "publish.unreplicated") is None


def test_a_claimed_task_not_marked_done_is_handed_out_again_after_its_lease(
    redis_url: str, keys: Keys
) -> None:
    schedule = TaskSchedule(connect(redis_url), keys)
    schedule.add(task(2), delay=0)

    assert schedule.claim_due(lease_seconds=0.3, limit=10).tasks == [task(2)]
    time.sleep(0.4)  # the drainer died before sending it
    assert schedule.claim_due(lease_seconds=0.3, limit=10).tasks == [task(2)]

    schedule.done(["task-2"])
    time.sleep(0.4)
    assert schedule.claim_due(lease_seconds=0.3, limit=10).tasks == []
    assert schedule.count() == 0


def test_drainers_claiming_at_the_same_time_never_get_the_same_task(
    redis_url: str, keys: Keys
) -> None:
    schedule = TaskSchedule(connect(redis_url), keys)
    for number in range(300):
        schedule.add(task(number), delay=0)
    claimed: list[list[str]] = [[], [], []]

    def drain(into: list[str]) -> None:
        own = TaskSchedule(connect(redis_url), keys)
        while batch := own.claim_due(lease_seconds=60, limit=7).tasks:
            into.extend(scheduled.id for scheduled in batch)

    threads = [threading.Thread(target=drain, args=(into,)) for into in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [task_id for into in claimed for task_id in into]
    assert len(everything) == len(set(everything)) == 300


def test_an_unreadable_scheduled_task_is_reported_not_sent(
    redis_url: str, keys: Keys, redis_client: redis.Redis
) -> None:
    schedule = TaskSchedule(connect(redis_url), keys)
    schedule.add(task(3), delay=0)
    redis_client.hset(keys.task_schedule_messages, "task-3", '{"name": 1}')

    claimed = schedule.claim_due(lease_seconds=10, limit=10)

    assert claimed.tasks == []
    assert [(task_id, stored) for task_id, stored, _ in claimed.malformed] == [
        ("task-3", '{"name": 1}')
    ]


def test_the_drainer_sends_due_tasks_to_their_queue_with_their_retries_then_forgets_them(
    redis_url: str, keys: Keys, redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = Settings(redis_url=redis_url, namespace=keys.namespace, data_dir=tmp_path)
    app = Celery("test-drainer")
    app.config_from_object(celery_config(settings))
    client = connect(redis_url)
    schedule = TaskSchedule(client, keys)
    drainer = Drainer(app, schedule, DeadLetters(client, keys, maxlen=100))
    schedule.add(task(1), delay=0)
    schedule.add(task(2), delay=60)

    wait = drainer.drain_once()

    assert 0 < wait <= 0.25  # the next sweep, not the task due in a minute
    queued = [json.loads(raw) for raw in redis_client.lrange(keys.broker_queue("articles"), 0, -1)]
    assert [
        (m["headers"]["id"], m["headers"]["task"], m["headers"]["retries"]) for m in queued
    ] == [("task-1", "wirestream.process_entry", 1)]
    assert schedule.count() == 1
    app.close()
    client.close()


def test_the_drainer_dead_letters_a_scheduled_task_it_cannot_read(
    redis_url: str, keys: Keys, redis_client: redis.Redis, tmp_path: Path
) -> None:
    settings = Settings(redis_url=redis_url, namespace=keys.namespace, data_dir=tmp_path)
    app = Celery("test-drainer")
    app.config_from_object(celery_config(settings))
    client = connect(redis_url)
    schedule = TaskSchedule(client, keys)
    schedule.add(task(4), delay=0)
    redis_client.hset(keys.task_schedule_messages, "task-4", "not json")

    Drainer(app, schedule, DeadLetters(client, keys, maxlen=100)).drain_once()

    [(_, letter)] = redis_client.xrange(keys.dead_stream)
    assert letter["stage"] == "schedule"
    assert "unreadable scheduled task" in letter["reason"]
    assert json.loads(letter["input"]) == {"task_id": "task-4", "stored": "not json"}
    assert schedule.count() == 0
    app.close()
    client.close()
