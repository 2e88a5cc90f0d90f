"""An article task past its hard time limit in a prefork worker: Celery kills the child and
acknowledges the message in the worker's main process (``Request.on_timeout``, run here on a
real delivery object). The entry is not lost: another attempt from the Redis schedule, then
a dead letter once its attempts are spent."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from celery.contrib.testing.mocks import TaskMessage
from celery.exceptions import Reject
from celery.utils.imports import symbol_by_name

from worker import tasks
from worker.services import Services, build_services
from worker.settings import load_settings

PAYLOAD = {"source_url": "http://slow.test/story", "url": "http://slow.test/story"}


@pytest.fixture
def services(redis_url: str, namespace: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Services]:
    settings = load_settings(redis_url=redis_url, namespace=namespace)
    built = build_services(settings, redis_url, lambda entries: None)
    monkeypatch.setattr(tasks, "_services", (os.getpid(), built))
    yield built
    built.close()


def time_out(*, retries: int, soft: bool = False) -> list[str]:
    """A delivery of process_entry whose task ran past its limit; returns what it acknowledged."""
    message = TaskMessage(tasks.process_entry.name, args=(PAYLOAD,), retries=retries)
    # The request class the worker builds for the task's deliveries.
    request_class = symbol_by_name(tasks.process_entry.Request)
    request = request_class(message, app=tasks.app, task=tasks.process_entry)
    acknowledged: list[str] = []
    request.acknowledge = lambda: acknowledged.append(request.id)
    request.on_timeout(soft=soft, timeout=120)
    return acknowledged


def test_a_first_attempt_killed_at_the_hard_limit_is_scheduled_again(services: Services) -> None:
    assert time_out(retries=0)  # Celery acknowledges it: the schedule holds the entry now

    [raw] = services.redis.hvals(services.keys.task_schedule_messages)
    scheduled = json.loads(raw)
    assert (scheduled["name"], scheduled["args"], scheduled["retries"]) == (
        tasks.process_entry.name,
        [PAYLOAD],
        1,
    )
    assert services.redis.xlen(services.keys.dead_stream) == 0


def test_the_last_attempt_killed_at_the_hard_limit_is_dead_lettered(services: Services) -> None:
    attempts = services.settings.max_attempts

    time_out(retries=attempts - 1)

    assert services.schedule.count() == 0
    [(_, letter)] = services.redis.xrange(services.keys.dead_stream)
    assert (letter["stage"], letter["attempts"], letter["task"]) == (
        "process",
        str(attempts),
        "process_entry",
    )
    assert letter["reason"] == "hard time limit (120 s) exceeded: process killed"
    assert json.loads(letter["input"]) == PAYLOAD


def test_a_soft_time_limit_leaves_the_entry_to_the_task(services: Services) -> None:
    time_out(retries=0, soft=True)

    assert services.schedule.count() == 0
    assert services.redis.xlen(services.keys.dead_stream) == 0


def test_a_hard_limit_while_redis_is_away_leaves_the_delivery_to_its_timeout(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    def redis_away(*args: object) -> None:
        raise Reject("Redis unavailable", requeue=True)

    monkeypatch.setattr(tasks, "_retry_or_dead_letter", redis_away)

    # Celery's own handling goes on (the acknowledgement, which fails the same way when Redis
    # is away); nothing is raised into the pool's thread that enforces the time limits.
    assert time_out(retries=0)
