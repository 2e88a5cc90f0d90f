"""The Redis task schedule: deferred and retried tasks wait there, not in a worker, and each
due task is handed to one drainer at a time, at least once."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from celery import Celery

from worker.adapters.durability import Durability
from worker.adapters.redis_client import connect
from worker.adapters.stream import DeadLetters
from worker.adapters.task_schedule import BrokerMessage, ScheduledTask, TaskSchedule
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


@pytest.fixture
def celery_app(redis_url: str, keys: Keys, tmp_path: Path) -> Iterator[Celery]:
    settings = Settings(redis_url=redis_url, namespace=keys.namespace, data_dir=tmp_path)
    app = Celery("test-drainer")
    app.config_from_object(celery_config(settings))
    yield app
    app.close()


def queued_task_ids(client: redis.Redis, keys: Keys) -> list[str]:
    raws = client.lrange(keys.broker_queue("articles"), 0, -1)
    return [json.loads(raw)["headers"]["id"] for raw in reversed(raws)]


@pytest.mark.parametrize("broker_on_schedule_redis", [True, False])
def test_the_drainer_sends_due_tasks_to_their_queue_with_their_retries_then_forgets_them(
    redis_url: str,
    keys: Keys,
    redis_client: redis.Redis,
    celery_app: Celery,
    broker_on_schedule_redis: bool,
) -> None:
    client = connect(redis_url)
    schedule = TaskSchedule(client, keys)
    drainer = Drainer(
        celery_app,
        schedule,
        DeadLetters(client, keys, maxlen=100),
        broker_on_schedule_redis=broker_on_schedule_redis,
    )
    schedule.add(task(1), delay=0)
    schedule.add(task(2), delay=60)

    wait = drainer.drain_once()

    assert 0 < wait <= 0.25  # the next sweep, not the task due in a minute
    queued = [json.loads(raw) for raw in redis_client.lrange(keys.broker_queue("articles"), 0, -1)]
    assert [
        (m["headers"]["id"], m["headers"]["task"], m["headers"]["retries"]) for m in queued
    ] == [("task-1", "wirestream.process_entry", 1)]
    assert queued[0]["properties"]["delivery_info"]["routing_key"] == "articles"
    assert schedule.count() == 1
    client.close()


def test_a_drain_sends_its_tasks_and_forgets_them_in_one_script(
    redis_url: str, keys: Keys, redis_client: redis.Redis, celery_app: Celery
) -> None:
    """One script: a failover cannot keep the removal and lose the sends. What Redis executed,
    as MONITOR shows it: every push and removal came from the script."""
    client = connect(redis_url)
    schedule = TaskSchedule(client, keys)
    for number in (1, 2):
        schedule.add(task(number), delay=0)
    drainer = Drainer(
        celery_app, schedule, DeadLetters(client, keys, maxlen=100), broker_on_schedule_redis=True
    )
    with redis_client.monitor() as monitor:
        drainer.drain_once()
        end = f"ECHO {keys.namespace}:end"
        redis_client.execute_command(*end.split(" "))  # the end of what the monitor shows
        commands: list[tuple[str, list[str]]] = []  # (client, command and first argument)
        for seen in monitor.listen():
            if seen["command"] == end:
                break
            commands.append((seen["client_type"], seen["command"].split(" ")[:2]))

    queue = keys.broker_queue("articles")
    writes = [(who, command) for who, command in commands if command[0] in {"LPUSH", "ZREM"}]
    assert writes == [
        ("lua", ["ZREM", keys.task_schedule]),
        ("lua", ["LPUSH", queue]),
        ("lua", ["ZREM", keys.task_schedule]),
        ("lua", ["LPUSH", queue]),
    ]
    assert queued_task_ids(redis_client, keys) == ["task-1", "task-2"]
    assert schedule.count() == 0
    client.close()


def test_a_task_another_drainer_has_sent_is_not_sent_again(
    redis_url: str, keys: Keys, redis_client: redis.Redis
) -> None:
    schedule = TaskSchedule(connect(redis_url), keys)
    for number in (1, 2):
        schedule.add(task(number), delay=0)
    schedule.claim_due(lease_seconds=10, limit=10)
    schedule.done(["task-1"])  # its lease ran out, and another drainer sent it
    queue = keys.broker_queue("articles")

    sent = schedule.send(
        [BrokerMessage("task-1", queue, "first"), BrokerMessage("task-2", queue, "second")]
    )

    assert sent == 1
    assert redis_client.lrange(queue, 0, -1) == ["second"]
    assert schedule.count() == 0


def refusing_the_second(send_task: Callable[..., Any]) -> Callable[..., Any]:
    """Celery's send_task, failing for the second task as kombu does when Redis goes away."""

    def send(name: str, **options: Any) -> Any:
        if options["task_id"] == "task-2":
            raise RuntimeError("the second send fails")
        return send_task(name, **options)

    return send


@pytest.mark.parametrize(("broker_on_schedule_redis", "sent"), [(True, []), (False, ["task-1"])])
def test_a_drain_that_fails_half_way_sends_nothing_when_it_cannot_forget_what_it_sent(
    redis_url: str,
    keys: Keys,
    redis_client: redis.Redis,
    celery_app: Celery,
    broker_on_schedule_redis: bool,
    sent: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A send that fails after the first: in one script nothing went out and both tasks come
    back after their lease; in two steps the first went out and is forgotten."""
    client = connect(redis_url)
    schedule = TaskSchedule(client, keys)
    for number in (1, 2):
        schedule.add(task(number), delay=0)
    drainer = Drainer(
        celery_app,
        schedule,
        DeadLetters(client, keys, maxlen=100),
        broker_on_schedule_redis=broker_on_schedule_redis,
    )

    monkeypatch.setattr(celery_app, "send_task", refusing_the_second(celery_app.send_task))
    with pytest.raises(RuntimeError, match="the second send fails"):
        drainer.drain_once()

    assert queued_task_ids(redis_client, keys) == sent
    assert schedule.count() == 2 - len(sent)
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

    Drainer(
        app, schedule, DeadLetters(client, keys, maxlen=100), broker_on_schedule_redis=True
    ).drain_once()

    [(_, letter)] = redis_client.xrange(keys.dead_stream)
    assert letter["stage"] == "schedule"
    assert "unreadable scheduled task" in letter["reason"]
    assert json.loads(letter["input"]) == {"task_id": "task-4", "stored": "not json"}
    assert schedule.count() == 0
    app.close()
    client.close()


def test_with_the_durability_setting_a_script_its_server_has_lost_is_loaded_and_run_again(
    redis_url: str, redis_client: redis.Redis, keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As after a failover: redis-py loads a pipeline's scripts before its first attempt, and
    retries the attempt on the promoted replica, which never had them."""
    flushed: list[bool] = []
    load_scripts = redis.client.Pipeline.load_scripts

    def load_then_lose(pipe: redis.client.Pipeline) -> None:
        load_scripts(pipe)
        if not flushed:
            redis_client.script_flush()
            flushed.append(True)

    monkeypatch.setattr(redis.client.Pipeline, "load_scripts", load_then_lose)
    schedule = TaskSchedule(
        connect(redis_url), keys, durability=Durability(replicas=1, timeout_ms=20)
    )

    schedule.add(task(8), delay=0)

    assert flushed == [True]
    assert schedule.claim_due(lease_seconds=10, limit=10).tasks == [task(8)]
