"""The ha profile on a Docker engine (check 20): `redis`, `redis-replica` and three sentinels
from docker-compose.yml, the demo flowing, then the primary SIGKILLed mid-run. The
sentinels must promote the replica, every wirestream service must follow them without a
restart, every article must reach the stream exactly once, and the killed server, started
again, must rejoin as the new primary's replica. Its own project: the suite's deployment
has no ha profile."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator

import pytest
import redis
from compose_project import (
    HA_SERVICES,
    REDIS_PASSWORD,
    RUN_TIMEOUT,
    SENTINELS,
    Project,
    Projects,
    Table,
    compose_env,
    sentinel_port_name,
    wait_for,
)
from test_compose_faults import RECOVERY_ALLOWANCE, no_fault_run_s

MASTER = "wirestream"  # the name docker-compose.yml's sentinels monitor
# What must follow the sentinels to the new primary on its own.
FOLLOWERS = ("worker-articles", "worker-feeds", "beat", "flower", "metrics")


@pytest.fixture
def ha_project(image: str) -> Iterator[Project]:
    projects = Projects()
    try:
        yield projects.new(profiles=("demo", "ha"))
    finally:
        projects.remove_all()


def primary_port(project: Project) -> int | None:
    """The primary's port as the first sentinel names it."""
    sentinel = redis.Redis(
        host="127.0.0.1", port=project.ports[sentinel_port_name(SENTINELS[0])], socket_timeout=5
    )
    try:
        address = sentinel.sentinel_get_master_addr_by_name(MASTER)
    except redis.RedisError:
        return None
    finally:
        sentinel.close()
    return int(address[1]) if address else None


def restart_count(container: str) -> int:
    """How many times Docker restarted the container (its restart policy)."""
    inspected = subprocess.run(
        ["docker", "container", "inspect", container, "--format", "{{.RestartCount}}"],
        env=compose_env(), capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return int(inspected.stdout.strip())


def role(port: int) -> str | None:
    client = redis.Redis(
        host="127.0.0.1", port=port, password=REDIS_PASSWORD,
        decode_responses=True, socket_timeout=5,
    )  # fmt: skip
    try:
        return str(client.info("replication")["role"])
    except redis.RedisError:
        return None
    finally:
        client.close()


def test_20_ha_profile_promotes_the_replica_when_the_primary_is_killed_and_loses_nothing(
    ha_project: Project, table: Table
) -> None:
    project = ha_project
    healthy_after = project.up()
    old_primary, replica = project.ports["REDIS_PORT"], project.ports["REPLICA_PORT"]
    assert primary_port(project) == old_primary
    assert role(replica) == "slave"

    project.wait_for_published(5, RUN_TIMEOUT)
    project.compose("kill", "-s", "SIGKILL", "redis")
    killed_at = time.time()
    wait_for(
        "the sentinels to promote redis-replica",
        lambda: primary_port(project) == replica,
        90,
    )
    promoted_after = time.time() - killed_at
    project.follow_primary("REPLICA_PORT")
    complete = project.wait_until_complete(no_fault_run_s() + RECOVERY_ALLOWANCE)
    count = complete or project.count()
    recovery = (
        max(count.last_entry_at - killed_at, 0.0)
        if complete and count.last_entry_at is not None
        else None
    )

    # The killed primary, started again, follows the promoted one.
    project.compose("up", "-d", "--no-build", "redis")
    wait_for("the old primary to rejoin as a replica", lambda: role(old_primary) == "slave", 90)
    rejoined_after = time.time() - killed_at
    containers = project.containers()
    running = {c["Service"] for c in containers if c["State"] == "running"}
    restarted = {
        c["Service"]: restarts
        for c in containers
        if c["Service"] in FOLLOWERS and (restarts := restart_count(c["ID"]))
    }
    table.add(
        "20",
        "--profile ha: kill -s SIGKILL redis (the primary) mid-run",
        count,
        recovery_s=recovery,
        note=(
            f"healthy in {healthy_after:.0f} s; replica promoted {promoted_after:.1f} s after"
            f" the kill; old primary a replica again {rejoined_after:.1f} s after it"
        ),
    )
    assert complete is not None, f"missing after the failover: {project.missing()}"
    assert count.duplicated == 0, count
    assert count.dead == 0, project.dead_reasons()
    assert set(HA_SERVICES) | set(FOLLOWERS) <= running
    assert restarted == {}, f"restarted instead of following the sentinels: {restarted}"
