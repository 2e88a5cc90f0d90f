"""The articles worker's CPU processes: results and errors come back, a step past its time limit
or a process that dies costs only that step (its process is replaced), and processes are
recycled after their number of steps."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest

from worker.adapters.cpu import CpuPool, CpuStepFailed
from worker.errors import PermanentError
from worker.stages.extract import extract_page


@pytest.fixture
def pool() -> Iterator[CpuPool]:
    # One process, so that every step runs in the same one until it is replaced.
    cpu = CpuPool(1, max_tasks=3, preload=())
    try:
        yield cpu
    finally:
        cpu.close()


def test_a_step_runs_in_another_process_and_returns_its_result(pool: CpuPool) -> None:
    assert pool.run(partial(sum, [1, 2, 3]), timeout=60) == 6
    assert pool.run(os.getpid, timeout=60) != os.getpid()


def test_a_stage_error_comes_back_with_its_stage_subject_and_reason(pool: CpuPool) -> None:
    extract = partial(extract_page, b"<html></html>", url="http://a.test/x", now=datetime.now(UTC))

    with pytest.raises(PermanentError) as raised:
        pool.run(extract, timeout=60)

    assert (raised.value.stage, raised.value.subject) == ("extract", "http://a.test/x")
    assert raised.value.reason == "no article text found"


def test_a_step_past_its_time_limit_is_killed_with_its_process_which_is_replaced(
    pool: CpuPool,
) -> None:
    before = pool.run(os.getpid, timeout=60)

    with pytest.raises(CpuStepFailed, match="time limit exceeded"):
        pool.run(partial(time.sleep, 600), timeout=0.5)

    after = pool.run(os.getpid, timeout=60)
    assert after != before
    with pytest.raises(ProcessLookupError):
        os.kill(before, 0)


def test_a_process_that_dies_fails_only_its_step(pool: CpuPool) -> None:
    with pytest.raises(CpuStepFailed, match="died"):
        pool.run(partial(os._exit, 9), timeout=60)

    assert pool.run(partial(max, 4, 5), timeout=60) == 5


def test_a_process_is_replaced_after_max_tasks_steps(pool: CpuPool) -> None:
    pids = [pool.run(os.getpid, timeout=60) for _ in range(4)]

    assert pids[0] == pids[1] == pids[2] != pids[3]


def test_a_process_takes_steps_only_once_its_initializer_ran(tmp_path: Path) -> None:
    # The initializer stands for the tagger's build (spaCy's import): what it did is there
    # for the first step.
    cpu = CpuPool(1, preload=(), initializer=partial(os.chdir, tmp_path))
    try:
        assert cpu.run(os.getcwd, timeout=60) == str(tmp_path)
    finally:
        cpu.close()


def test_a_step_waiting_for_a_process_still_starting_fails_without_killing_it() -> None:
    cpu = CpuPool(1, preload=(), initializer=partial(time.sleep, 3))
    try:
        with pytest.raises(CpuStepFailed, match="time limit exceeded"):
            cpu.run(os.getpid, timeout=0.2)
        first, second = (cpu.run(os.getpid, timeout=60) for _ in range(2))
        assert first == second
    finally:
        cpu.close()


def test_waiting_until_ready_returns_once_every_process_ran_its_initializer() -> None:
    cpu = CpuPool(2, preload=(), initializer=partial(time.sleep, 1))
    try:
        assert not cpu.wait_until_ready(timeout=0.1)
        assert cpu.wait_until_ready(timeout=60)
        # Ready means idle: a step no longer waits out a second of start-up.
        assert cpu.run(os.getpid, timeout=0.5) != os.getpid()
    finally:
        cpu.close()
