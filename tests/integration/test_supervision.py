"""``run`` and ``worker`` start again a child process that dies, and say so in the log; a
child that keeps dying (a crash loop) ends the command instead of being restarted forever."""

from __future__ import annotations

import os
import sys
import time

import pytest
from structlog.testing import capture_logs

from worker.errors import WirestreamError
from worker.runtime import Children

EXITS_AT_ONCE = [sys.executable, "-c", "import sys; sys.exit(3)"]
RUNS_UNTIL_STOPPED = [sys.executable, "-c", "import time; time.sleep(60)"]


def wait_until_exited(children: Children) -> None:
    deadline = time.monotonic() + 20
    while not children.exited():
        assert time.monotonic() < deadline, "the child did not exit"
        time.sleep(0.05)


def test_a_child_that_dies_is_started_again_with_a_log_line_naming_its_exit() -> None:
    children = Children(os.environ, restart_limit=5)
    children.start("worker-articles", EXITS_AT_ONCE)
    children.start("worker-feeds", RUNS_UNTIL_STOPPED)
    try:
        wait_until_exited(children)
        with capture_logs() as logs:
            children.restart_exited()
        wait_until_exited(children)
        with capture_logs() as more:
            children.restart_exited()
    finally:
        children.stop()

    restarted = [event for event in logs + more if event["event"] == "child_restarted"]
    assert [(e["child"], e["exit_code"], e["restarts"]) for e in restarted] == [
        ("worker-articles", "3", 1),
        ("worker-articles", "3", 2),
    ]
    assert restarted[0]["log_level"] == "warning"


def test_a_child_killed_by_a_signal_is_logged_with_the_signal_name() -> None:
    children = Children(os.environ, restart_limit=5)
    children.start("worker-articles", RUNS_UNTIL_STOPPED)
    try:
        children._children[0].process.kill()
        wait_until_exited(children)
        with capture_logs() as logs:
            children.restart_exited()
        assert children.exited() == []
    finally:
        children.stop()

    assert [(e["child"], e["exit_code"]) for e in logs] == [("worker-articles", "SIGKILL")]


def test_a_child_dying_more_often_than_the_limit_in_a_minute_ends_the_command() -> None:
    children = Children(os.environ, restart_limit=2)
    children.start("worker-articles", EXITS_AT_ONCE)
    try:
        with capture_logs() as logs, pytest.raises(WirestreamError) as caught:
            for _ in range(3):
                wait_until_exited(children)
                children.restart_exited()
    finally:
        children.stop()

    assert "worker-articles exited 3 times within a minute" in str(caught.value)
    assert "restart limit 2 per minute" in str(caught.value)
    assert [event["event"] for event in logs] == [
        "child_restarted",
        "child_restarted",
        "child_crash_loop",
    ]
