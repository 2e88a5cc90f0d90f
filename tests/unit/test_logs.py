"""Logging: one JSON object per line off a terminal, task context and URL on each line,
Celery's own records through the same renderer, and no secret ever printed."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.contextvars import bind_contextvars, clear_contextvars

from worker.logs import configure_logging, get_logger

PASSWORD = "hunter2-redis-password"


@pytest.fixture(autouse=True)
def restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_json_lines_carry_event_task_id_task_name_and_url(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    bind_contextvars(task_id="abc-123", task_name="wirestream.process_entry")
    bind_contextvars(url="http://news.example/a")

    get_logger("worker.tasks").info("entry_processed", outcome="published")

    (line,) = json_lines(capsys.readouterr().err)
    assert line["event"] == "entry_processed"
    assert line["task_id"] == "abc-123"
    assert line["task_name"] == "wirestream.process_entry"
    assert line["url"] == "http://news.example/a"
    assert line["outcome"] == "published"
    assert line["level"] == "info" and line["timestamp"]


def test_redis_url_with_a_password_is_masked_in_fields_and_in_stdlib_messages(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    url = f"redis://:{PASSWORD}@redis:6379/0"

    get_logger("wirestream").info("connected", redis_url=url)
    logging.getLogger("kombu.mixins").info("Connected to %s", url)
    logging.getLogger("celery").info("user URL %s", f"rediss://app:{PASSWORD}@cache:6380/1")

    err = capsys.readouterr().err
    assert PASSWORD not in err
    first, second, third = json_lines(err)
    assert first["redis_url"] == "redis://:***@redis:6379/0"
    assert second["event"] == "Connected to redis://:***@redis:6379/0"
    assert third["event"] == "user URL rediss://app:***@cache:6380/1"


def test_fields_named_like_secrets_are_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")

    get_logger("wirestream").info("settings", password=PASSWORD, basic_auth=f"admin:{PASSWORD}")

    err = capsys.readouterr().err
    assert PASSWORD not in err
    (line,) = json_lines(err)
    assert line["password"] == "***" and line["basic_auth"] == "***"


def test_a_traceback_with_a_password_in_it_is_masked(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "json")

    try:
        raise ConnectionError(f"cannot reach redis://:{PASSWORD}@redis:6379/0")
    except ConnectionError:
        get_logger("wirestream").exception("redis_failed")

    err = capsys.readouterr().err
    assert PASSWORD not in err
    assert "redis://:***@redis:6379/0" in json_lines(err)[0]["exception"]


def test_celery_task_records_carry_task_id_name_and_the_url_of_the_argument(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("INFO", "json")
    context = {
        "id": "5f0c-task",
        "name": "wirestream.poll_feed",
        "args": "'http://127.0.0.1:8765/24newsdesk.example/feed/'",
        "kwargs": "{}",
        "eta": None,
    }

    logging.getLogger("celery.worker.strategy").info(
        "Task %(name)s[%(id)s] received", context, extra={"data": context}
    )

    (line,) = json_lines(capsys.readouterr().err)
    assert line["event"] == "Task wirestream.poll_feed[5f0c-task] received"
    assert line["task_id"] == "5f0c-task"
    assert line["task_name"] == "wirestream.poll_feed"
    assert line["url"] == "http://127.0.0.1:8765/24newsdesk.example/feed/"


def test_console_format_is_readable_text_not_json(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "console")

    get_logger("wirestream").info("feed_polled", url="http://news.example/feed")

    err = capsys.readouterr().err.strip()
    assert "feed_polled" in err and "url=http://news.example/feed" in err
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)
