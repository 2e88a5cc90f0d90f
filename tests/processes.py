"""Which processes a command left running: read from /proc, for the tests that stop one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import redis


def live_processes(*, session: int | None = None, naming: str | None = None) -> list[int]:
    """Pids of live processes in ``session``, or whose command line names ``naming`` (a path
    only they use: an embedded Redis's socket or data folder)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().decode(errors="replace")
            in_session = session is not None and os.getsid(int(proc.name)) == session
        except OSError:  # ended while we looked (ProcessLookupError is an OSError)
            continue
        if in_session or (naming is not None and naming in command):
            found.append(int(proc.name))
    return found


def stop(process: subprocess.Popen[str], *, naming: str | None = None) -> tuple[str, str]:
    """SIGTERM, and the command's output once it has exited. A command still running a
    minute later fails the test, after its session and the processes ``naming`` a path of
    its are killed (its children hold its pipes open)."""
    process.send_signal(signal.SIGTERM)
    try:
        return process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        stop_all(live_processes(session=process.pid, naming=naming))
        process.communicate(timeout=30)
        raise AssertionError(f"{process.args} had not ended a minute after SIGTERM") from None


def stop_all(pids: list[int]) -> list[int]:
    """SIGKILL each of ``pids`` (what a failed stop left), so no test leaves a process behind;
    returns them, for the test to fail on."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> None:
    """Return once ``condition()`` is true; fail the test naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def waiting_on_its_queue(client: redis.Redis, since: float) -> bool:
    """Whether a Celery worker's connection made after ``since`` (monotonic seconds) waits for
    its next task on the Redis of ``client``."""
    age_limit = time.monotonic() - since
    return any(
        entry["cmd"] == "blmove" and int(entry["age"]) <= age_limit
        for entry in client.client_list()
    )
