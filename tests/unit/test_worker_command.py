"""The Celery command lines `wirestream worker` and `beat` start."""

from __future__ import annotations

from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE
from worker.runtime import beat_command, worker_command
from worker.settings import Settings


def test_articles_worker_waits_in_threads_and_recycles_its_cpu_processes() -> None:
    command = worker_command(
        ARTICLES_QUEUE, Settings(), max_tasks_per_child=500, max_memory_per_child=400_000
    )

    # worker.tasks reads both limits from the worker and applies them to its CPU processes.
    assert command[command.index("--pool") + 1] == "threads"
    assert command[command.index("--concurrency") + 1] == str(Settings().articles_concurrency)
    assert command[command.index("--max-tasks-per-child") + 1] == "500"
    assert command[command.index("--max-memory-per-child") + 1] == "400000"


def test_feeds_worker_has_no_child_processes_to_recycle() -> None:
    command = worker_command(
        FEEDS_QUEUE, Settings(), max_tasks_per_child=500, max_memory_per_child=400_000
    )

    assert command[command.index("--pool") + 1] == "threads"
    assert "--max-tasks-per-child" not in command
    assert "--max-memory-per-child" not in command


def test_celery_banner_is_off_when_logs_are_json_and_on_for_the_console() -> None:
    as_json = Settings(log_format="json")
    on_console = Settings(log_format="console")

    assert "--quiet" in worker_command(FEEDS_QUEUE, as_json)
    assert "--quiet" in beat_command(as_json)
    assert "--quiet" not in worker_command(FEEDS_QUEUE, on_console)
    assert "--quiet" not in beat_command(on_console)
