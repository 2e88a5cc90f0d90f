"""The Redis task schedule: deferred and retried tasks wait there, not in a worker, and each
due task is handed to one drainer at a time, at least once."""

from __future__ import annotations

import threading
import time

import redis

from worker.adapters.redis_client import connect
from worker.adapters.task_schedule import ScheduledTask, TaskSchedule
from worker.keys import Keys


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
