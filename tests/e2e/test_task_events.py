"""Task events are for a monitor: a worker started with the defaults sends none, and sends
them once asked (``enable_events``, what Flower sends every 5 s while it runs), through our
broker transport. With ``task_events`` it sends them from the start (docker-compose)."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

from celery import Celery
from processes import wait_for

from worker.app import celery_config
from worker.keys import FEEDS_QUEUE
from worker.runtime import worker_command
from worker.settings import Settings

TASK = "wirestream.schedule_due_feeds"  # no feed is due: done at once


class TaskEvents:
    """The task events of the deployment, as Flower receives them, in a thread."""

    def __init__(self, app: Celery) -> None:
        self.seen: list[str] = []
        self._app = app
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()
        # Listening once the worker's heartbeat (sent every 2 s whatever task_events says)
        # comes through: an event sent before the subscription is lost to it.
        wait_for(lambda: "worker-heartbeat" in self.seen, 15, "the worker's heartbeat event")

    def _receive(self) -> None:
        with self._app.connection_for_read() as connection:
            receiver = self._app.events.Receiver(
                connection, handlers={"*": lambda event: self.seen.append(event["type"])}
            )
            receiver.capture(limit=None, timeout=None, wakeup=False)

    def of_tasks(self) -> list[str]:
        return [kind for kind in self.seen if kind.startswith("task-")]


def worker_log_lines(path: Path, text: str) -> int:
    return path.read_text(errors="replace").count(text) if path.exists() else 0


def start_feeds_worker(
    env: dict[str, str], tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> tuple[Celery, Path]:
    settings = Settings(
        redis_url=env["WIRESTREAM_REDIS_URL"],
        namespace=env["WIRESTREAM_NAMESPACE"],
        task_events=env.get("WIRESTREAM_TASK_EVENTS") == "true",
    )
    log_path = tmp_path / "feeds-worker.log"
    log = open(log_path, "wb")  # noqa: SIM115 - lives as long as the worker
    processes.append(
        subprocess.Popen(
            worker_command(FEEDS_QUEUE, settings, concurrency=2),
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    )
    app = Celery("wirestream-test")
    app.config_from_object(celery_config(settings))
    wait_for(lambda: app.control.ping(timeout=0.5), 60, "the worker")
    return app, log_path


def run_task(app: Celery, log_path: Path) -> None:
    done = worker_log_lines(log_path, "succeeded in")
    app.send_task(TASK, queue=FEEDS_QUEUE)
    wait_for(lambda: worker_log_lines(log_path, "succeeded in") > done, 30, "the task done")


def test_a_worker_sends_task_events_once_a_monitor_asks_for_them(
    pipeline_env: dict[str, str], tmp_path: Path, process_groups: list[subprocess.Popen[bytes]]
) -> None:
    app, log_path = start_feeds_worker(pipeline_env, tmp_path, process_groups)
    events = TaskEvents(app)
    run_task(app, log_path)
    run_task(app, log_path)  # the first task's events, had there been any, came before
    assert events.of_tasks() == []

    app.control.enable_events()  # as Flower does
    run_task(app, log_path)
    wait_for(lambda: "task-succeeded" in events.of_tasks(), 15, "task events")
    assert {"task-received", "task-started", "task-succeeded"} <= set(events.of_tasks())


def test_a_worker_with_task_events_on_sends_them_from_the_start(
    pipeline_env: dict[str, str], tmp_path: Path, process_groups: list[subprocess.Popen[bytes]]
) -> None:
    env = {**pipeline_env, "WIRESTREAM_TASK_EVENTS": "true"}
    app, log_path = start_feeds_worker(env, tmp_path, process_groups)
    events = TaskEvents(app)
    run_task(app, log_path)
    wait_for(lambda: "task-succeeded" in events.of_tasks(), 15, "task events")
    assert {"task-received", "task-started", "task-succeeded"} <= set(events.of_tasks())
