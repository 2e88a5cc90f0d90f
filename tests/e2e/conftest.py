"""End-to-end fixtures: `simweb`, `pipeline_env` and `wirestream` live in ../conftest.py,
shared with the integration tests."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator

import pytest


@pytest.fixture
def process_groups() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Processes the test starts in sessions of their own (``start_new_session``): each one
    still running at the end is killed with its children (a worker and its pool)."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
