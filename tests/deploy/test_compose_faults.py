"""What production does to a running deployment, in the middle of a demo run: a worker or
Redis killed or restarted, workers stopped, scaled, replaced by a new image. Counted from the
stream: articles expected, published, duplicated, and the recovery time, from the end of the
fault to the last article on the stream.

The faults of checks 5, 19, 4, 8 and 9 are done, in this order, to the suite's deployment,
after the demo checks (conftest.py): each one starts a new demo run on it
(``Project.new_demo_run``: the pipeline idle, its keys cleared but the broker's, the feeds
imported again), so that the deployment is started once, not once per check.

Checks 4, 5, 7, 8 and 9 of issue 14, and issue 19's Redis SIGKILL (docs/deploy.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from compose_project import (
    IMAGE,
    LONG_RUNNING,
    NO_FAULT_RUNS,
    RUN_TIMEOUT,
    Count,
    Project,
    Table,
    image_field,
)

# Issue 19: after a fault, the last article within 60 s beyond what the run would take.
RECOVERY_ALLOWANCE = 60.0


def no_fault_run_s() -> float:
    return max(NO_FAULT_RUNS, default=60.0)


# --- 4, 5, issue 19: faults in the middle of a run -------------------------------------------


def run_with_fault(
    project: Project, fault: Callable[[Project], None], *, when_published: int = 5
) -> tuple[Count, float | None, float]:
    """A new demo run; ``fault`` once ``when_published`` articles are out; then the count
    once every article is out (or the allowance passed), the recovery time, and the seconds
    waited."""
    project.new_demo_run()
    project.wait_for_published(when_published, RUN_TIMEOUT)
    fault(project)
    fault_ended = time.time()
    allowance = no_fault_run_s() + RECOVERY_ALLOWANCE
    complete = project.wait_until_complete(allowance)
    count = complete or project.count()
    recovery = None
    if complete and count.last_entry_at is not None:
        recovery = max(count.last_entry_at - fault_ended, 0.0)
    return count, recovery, time.time() - fault_ended


def assert_exactly_once(project: Project, count: Count, waited: float) -> None:
    assert count.duplicated == 0, count
    assert count.dead == 0, (count, project.dead_reasons())
    if count.unique < count.expected:
        missing = project.missing()
        lines = project.log_lines_about(missing, ("worker-articles", "worker-feeds"))
        stats = project.redis().hgetall(project.keys.stats)
        raise AssertionError(
            f"{len(missing)} articles missing {waited:.0f} s after the fault: {count};"
            f" missing: {missing}; counters: {stats}; their log lines:\n" + "\n".join(lines)
        )


def _kill_articles_worker(project: Project) -> None:
    project.compose("kill", "-s", "SIGKILL", "worker-articles")
    project.compose("up", "-d", "--no-build", "worker-articles")


def _restart_redis(project: Project) -> None:
    project.compose("restart", "redis")


def _kill_redis(project: Project) -> None:
    project.compose("kill", "-s", "SIGKILL", "redis")
    project.compose("up", "-d", "--no-build", "redis")


@pytest.mark.parametrize(
    ("check", "done", "fault"),
    [
        pytest.param(
            "5", "restart redis mid-run", _restart_redis,
            id="5-restart-redis",
        ),
        pytest.param(
            "19", "kill -s SIGKILL redis mid-run (AOF everysec), then up -d", _kill_redis,
            id="19-sigkill-redis",
        ),
        pytest.param(
            "4", "kill -s SIGKILL worker-articles mid-run, then up -d", _kill_articles_worker,
            id="4-sigkill-articles-worker",
        ),
    ],
)  # fmt: skip
def test_fault_mid_run_publishes_every_article_exactly_once(
    deployment: Project, table: Table, check: str, done: str, fault: Callable[[Project], None]
) -> None:
    count, recovery, waited = run_with_fault(deployment, fault)

    note = "" if recovery is not None else f"incomplete {waited:.0f} s after the fault"
    table.add(check, done, count, recovery_s=recovery, note=note)
    assert_exactly_once(deployment, count, waited)


# --- 8, 9: stopping and replacing the workers while articles flow ----------------------------


def test_08_stop_hands_running_tasks_back_and_loses_nothing(
    deployment: Project, table: Table
) -> None:
    def stop_and_start(project: Project) -> None:
        stopped = project.compose("stop", "worker-articles", timeout=120)
        assert stopped.returncode == 0
        project.compose("up", "-d", "--no-build", "worker-articles")

    count, recovery, waited = run_with_fault(deployment, stop_and_start)

    table.add(
        "8", "stop worker-articles mid-run (soft shutdown), then up -d", count, recovery_s=recovery
    )
    assert_exactly_once(deployment, count, waited)


def test_09_upgrade_in_place_while_articles_flow(deployment: Project, table: Table) -> None:
    def upgrade(project: Project) -> None:
        before = image_field(IMAGE, "{{.Id}}")
        project.compose(
            "build", "--build-arg", f"REVISION=upgrade-{time.time_ns()}", "worker-feeds",
            timeout=600,
        )  # fmt: skip
        assert image_field(IMAGE, "{{.Id}}") != before
        project.up(*LONG_RUNNING)

    count, recovery, waited = run_with_fault(deployment, upgrade)

    table.add(
        "9", "new image (revision label), up -d mid-run: deployment recreated, web kept", count,
        recovery_s=recovery,
    )  # fmt: skip
    assert_exactly_once(deployment, count, waited)
