"""Running the pipeline's processes: the Redis to use, Celery children, waiting for idle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from worker.adapters.embedded_redis import EmbeddedRedis
from worker.adapters.heartbeats import WorkerHeartbeats
from worker.adapters.redis_client import (
    RedisClient,
    RedisOptions,
    connect,
    mask_url,
    redis_errors,
)
from worker.errors import WirestreamError
from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.logs import get_logger, renders_json
from worker.settings import Settings

STOP_GRACE_SECONDS = 30.0
# Exits of one child counted against the restart limit: those within the last minute.
RESTART_WINDOW_SECONDS = 60.0

log = get_logger(__name__)


@contextmanager
def redis_for(settings: Settings) -> Iterator[tuple[str, RedisClient]]:
    """The configured Redis, or the embedded one started for as long as the block runs."""
    embedded = None if settings.redis_url else EmbeddedRedis(settings.data_dir)
    started = embedded.start() if embedded else False
    url = settings.redis_url or (embedded.url if embedded else "")
    client = connect(url, RedisOptions.from_settings(settings))
    try:
        with redis_errors("redis", mask_url(url)):
            client.ping()
        yield url, client
    finally:
        client.close()
        if embedded and started:
            embedded.stop()


@contextmanager
def broker_for(settings: Settings, client: RedisClient) -> Iterator[RedisClient]:
    """The Redis that holds Celery's queues: ``broker_url``'s when it is set (always with a
    cluster), else ``client`` itself."""
    if not settings.broker_url:
        yield client
        return
    broker = connect(
        settings.broker_url, replace(RedisOptions.from_settings(settings), cluster=False)
    )
    try:
        yield broker
    finally:
        broker.close()


def child_environment(settings: Settings, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment for Celery children: same settings, the Redis actually in use."""
    env = dict(os.environ)
    env["WIRESTREAM_REDIS_URL"] = redis_url
    env["WIRESTREAM_DATA_DIR"] = str(settings.data_dir.resolve())
    env.update(extra)
    return env


def worker_command(
    queue: str,
    settings: Settings,
    concurrency: int | None = None,
    *,
    max_tasks_per_child: int | None = None,
    max_memory_per_child: int | None = None,
) -> list[str]:
    """A Celery worker for one queue, with the pool that suits its work (see ``app.py``).

    Both wait on the network in threads. Recycling limits apply to the articles worker's CPU
    processes (``worker.adapters.cpu``): the feeds worker has no child process to replace."""
    articles = queue != FEEDS_QUEUE
    default = settings.articles_concurrency if articles else settings.feeds_concurrency
    recycling = []
    if articles and max_tasks_per_child:
        recycling += ["--max-tasks-per-child", str(max_tasks_per_child)]
    if articles and max_memory_per_child:
        recycling += ["--max-memory-per-child", str(max_memory_per_child)]
    return [
        *celery_command(settings), "worker",
        "--queues", queue, "--pool", "threads", "--concurrency", str(concurrency or default),
        "--hostname", f"{worker_name_prefix(queue)}%h", "--loglevel", settings.log_level,
        "--without-mingle", "--without-gossip", *recycling,
    ]  # fmt: skip


def worker_name_prefix(queue: str) -> str:
    """How the names of the workers this process starts for ``queue`` begin."""
    return f"{queue}-{os.getpid()}@"


def wait_until_workers_ready(
    client: RedisClient,
    keys: Keys,
    children: Children,
    queues: tuple[str, ...],
    *,
    timeout: float,
) -> list[str]:
    """Wait until the worker this process started for each of ``queues`` sent its first
    heartbeat (it takes tasks from then on; an articles worker's CPU processes are up), for
    at most ``timeout`` seconds. Returns the queues whose worker is not ready."""
    deadline = time.monotonic() + timeout
    waiting = list(queues)
    while waiting:
        children.restart_exited()
        alive = WorkerHeartbeats(client, keys).alive()
        waiting = [
            queue
            for queue in waiting
            if not any(name.startswith(worker_name_prefix(queue)) for name in alive)
        ]
        if not waiting or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    return waiting


def celery_command(settings: Settings) -> list[str]:
    # Celery's start-up banner is plain text on stdout: off when the logs are JSON lines.
    quiet = ["--quiet"] if renders_json(settings.log_format) else []
    return [sys.executable, "-m", "celery", "-A", "worker.app", *quiet]


def start_beat(children: Children, settings: Settings) -> None:
    """The one scheduler; its schedule file lives in the data directory."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    children.start("beat", beat_command(settings))


def beat_command(settings: Settings) -> list[str]:
    return [
        *celery_command(settings), "beat",
        "--schedule", str(settings.data_dir.resolve() / "celerybeat-schedule"),
        "--loglevel", settings.log_level,
    ]  # fmt: skip


@dataclass
class Child:
    name: str
    command: list[str]
    output: IO[bytes] | int
    process: subprocess.Popen[bytes]
    restarts: int = 0
    recent_exits: deque[float] = field(default_factory=deque)


class Children:
    """Processes started together and stopped together, gracefully first.

    A child that exits on its own (a crash, the OOM killer, a SIGKILL) is started again by
    :meth:`restart_exited`, with a ``child_restarted`` log line; one that exits more than
    ``restart_limit`` times within a minute is a crash loop, which ends the command."""

    def __init__(
        self, env: Mapping[str, str], log_dir: Path | None = None, *, restart_limit: int = 0
    ) -> None:
        self._env = dict(env)
        self._log_dir = log_dir
        self._restart_limit = restart_limit
        self._children: list[Child] = []
        self._logs: list[IO[bytes]] = []

    def start(self, name: str, command: list[str]) -> None:
        # Celery prints its banner on stdout: keep stdout for the command's own output.
        output: IO[bytes] | int = sys.stderr.fileno()
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self._log_dir / f"{name}.log", "ab")  # noqa: SIM115 closed in stop()
            self._logs.append(output)
        self._children.append(Child(name, command, output, self._spawn(command, output)))

    def _spawn(self, command: list[str], output: IO[bytes] | int) -> subprocess.Popen[bytes]:
        # A process group of its own: what a worker signals to its group while it shuts down
        # never reaches this command in the middle of its own clean-up, and a terminal's
        # Ctrl-C reaches this command alone, which stops the children in order (stop()).
        return subprocess.Popen(
            command,
            env=self._env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            process_group=0,
        )

    def exited(self) -> list[str]:
        return [
            f"{child.name} (exit {child.process.returncode})"
            for child in self._children
            if child.process.poll() is not None
        ]

    def restart_exited(self) -> None:
        """Start again every child that exited; raise :class:`WirestreamError` for a child
        that exited more than ``restart_limit`` times within the last minute."""
        now = time.monotonic()
        for child in self._children:
            code = child.process.poll()
            if code is None:
                continue
            while child.recent_exits and now - child.recent_exits[0] > RESTART_WINDOW_SECONDS:
                child.recent_exits.popleft()
            child.recent_exits.append(now)
            exit_code = _describe_exit(code)
            if len(child.recent_exits) > self._restart_limit:
                log.error(
                    "child_crash_loop",
                    child=child.name,
                    exit_code=exit_code,
                    exits_last_minute=len(child.recent_exits),
                    restart_limit=self._restart_limit,
                )
                raise WirestreamError(
                    f"{child.name} exited {len(child.recent_exits)} times within a minute"
                    f" (last: exit {exit_code}; restart limit {self._restart_limit} per minute)"
                )
            _end_group(child.process.pid)
            child.restarts += 1
            log.warning(
                "child_restarted",
                child=child.name,
                exit_code=exit_code,
                restarts=child.restarts,
                exits_last_minute=len(child.recent_exits),
            )
            child.process = self._spawn(child.command, child.output)

    def stop(self) -> None:
        for child in self._children:
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for child in self._children:
            try:
                child.process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                child.process.kill()
                child.process.wait()
            _end_group(child.process.pid)
        self._children.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()


def _end_group(group: int) -> None:
    """SIGKILL what is left of an exited child's process group, and wait until it is gone.
    A worker's own helpers (the CPU processes, their fork server, multiprocessing's resource
    tracker) end on their own once it exits, but later: a worker that was SIGKILLed, or one
    stopped just now, must not leave them running beside its replacement or after the
    command."""
    deadline = time.monotonic() + 5
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)
        while time.monotonic() < deadline:  # until their new parent has reaped them
            os.killpg(group, 0)
            time.sleep(0.05)


def _describe_exit(code: int) -> str:
    """``1``, or ``SIGKILL`` for a child a signal ended (Popen reports it as ``-9``)."""
    if code >= 0:
        return str(code)
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def pending_work(client: RedisClient, keys: Keys, broker: RedisClient | None = None) -> int:
    """Tasks queued, taken by a worker, delivered but not yet acknowledged (running) (on
    ``broker``, by default ``client``), or scheduled for later (deferred or waiting to
    retry)."""
    with redis_errors("run", keys.broker_prefix):
        pipe = (broker or client).pipeline(transaction=False)
        for queue in (FEEDS_QUEUE, ARTICLES_QUEUE):
            pipe.llen(keys.broker_queue(queue))
            pipe.llen(keys.broker_in_flight(queue))
        pipe.hlen(keys.broker_unacked)
        queued = sum(int(count) for count in pipe.execute())
        return queued + int(client.zcard(keys.task_schedule))


def wait_until_idle(
    client: RedisClient,
    keys: Keys,
    children: Children,
    *,
    timeout: float,
    quiet_checks: int = 4,
    broker: RedisClient | None = None,
) -> None:
    """Return once no work is queued or in flight for several checks in a row."""
    deadline = time.monotonic() + timeout
    quiet = 0
    while quiet < quiet_checks:
        if time.monotonic() > deadline:
            raise WirestreamError(
                f"run: still busy after {timeout:g} s"
                f" ({pending_work(client, keys, broker)} tasks pending)"
            )
        children.restart_exited()
        quiet = quiet + 1 if pending_work(client, keys, broker) == 0 else 0
        time.sleep(0.5)
