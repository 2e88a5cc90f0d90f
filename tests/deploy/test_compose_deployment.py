"""docker compose up, for real: the image built from the Dockerfile, the services of
docker-compose.yml in containers, and what production does to them, each counted from the
stream: articles expected, published, duplicated, and for faults the recovery time (from the
end of the fault to the last article on the stream).

The checks are numbered as in issue 14; the Redis SIGKILL is issue 19's. Run with
`bash .ci/run` or, with an engine up (../shared/tools/docker-offline.sh up ...),
`.venv/bin/python -m pytest -q tests/deploy`.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
from compose_project import (
    FLOWER_PASSWORD,
    HEALTH_INTERVAL,
    IMAGE,
    SIMWEB_RATE,
    Count,
    Project,
    Projects,
    Table,
    http_get,
    http_post,
    wait_for,
)
from jsonschema import Draft202012Validator

from worker.simweb import catalog

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "worker/schema/article-v1.json").read_text()
)
WIRESTREAM_SERVICES = ("beat", "worker-feeds", "worker-articles", "flower", "metrics", "simweb")
# Bounded waits. A whole demo run takes 20-40 s on a loaded 2-core machine.
RUN_TIMEOUT = 180.0
# Issue 19: after a fault, the last article within 60 s beyond what the run would take.
RECOVERY_ALLOWANCE = 60.0
_no_fault_run_s: list[float] = []

# One article answers 410 Gone in the first demo run: a dead letter to keep across `down`
# and to send back with `dead retry`.
GONE = next(
    a for a in catalog.ARTICLES
    if not a.exact_copy_of and sum(b.story_id == a.story_id for b in catalog.ARTICLES) == 1
)  # fmt: skip

ISSUE_19 = (
    "issue 19: deferred entries wait as countdown tasks in worker memory, unacknowledged in "
    "Redis, and come back only after visibility_timeout (900 s)"
)


def no_fault_run_s() -> float:
    return max(_no_fault_run_s, default=45.0)


# --- 1, 2, 3, 6, 10: one demo deployment, in order ------------------------------------------


@dataclass
class Demo:
    project: Project
    healthy_after_s: float
    started_at: float


@pytest.fixture(scope="module")
def demo(image: str) -> Iterator[Demo]:
    projects = Projects()
    try:
        project = projects.new()
        project.up("redis", "simweb")  # its health check asks Redis too
        status = http_post(
            project.url("SIMWEB_PORT", "/_control/behaviour"),
            {"path_prefix": GONE.key, "status": 410},
        )
        assert status == 204
        started_at = time.time()
        healthy_after = project.up()
        yield Demo(project, healthy_after, started_at)
    finally:
        list(projects.remove_all())


def test_01_up_wait_brings_every_service_to_healthy(demo: Demo, table: Table) -> None:
    containers = {c["Service"]: c for c in demo.project.containers()}

    for name in ("redis", *WIRESTREAM_SERVICES):
        assert containers[name]["State"] == "running", containers[name]
        assert containers[name]["Health"] == "healthy", containers[name]
    assert containers["demo-feeds"]["ExitCode"] == 0, demo.project.logs("demo-feeds")
    table.add(
        "1",
        f"--profile demo up -d --wait: every service healthy in {demo.healthy_after_s:.0f} s"
        f" (health checks every {HEALTH_INTERVAL})",
        demo.project.count(),
    )


def test_03_flower_metrics_and_redis_refuse_anonymous_clients(demo: Demo, table: Table) -> None:
    project = demo.project
    for path in ("/api/workers", "/api/tasks", "/"):
        assert http_get(project.url("FLOWER_PORT", path))[0] == 401, path
    assert http_get(project.url("FLOWER_PORT", "/api/workers"), auth=("admin", "wrong"))[0] == 401

    def both_workers() -> list[str] | None:
        status, body = http_get(
            project.url("FLOWER_PORT", "/api/workers?refresh=1"), auth=("admin", FLOWER_PASSWORD)
        )
        assert status == 200, body[:300]
        names = list(json.loads(body))
        return names if {n.split("-")[0] for n in names} >= {"feeds", "articles"} else None

    workers = wait_for("both workers in Flower", both_workers, 60)
    status, body = http_get(project.url("METRICS_PORT", "/metrics"))
    assert status == 200 and b"wirestream_stream_length" in body
    anonymous = redis.Redis(host="127.0.0.1", port=project.ports["REDIS_PORT"], socket_timeout=5)
    with pytest.raises(redis.AuthenticationError):
        anonymous.ping()
    anonymous.close()
    table.add(
        "3",
        f"Flower 401 anonymous, {len(workers)} workers with login; /metrics 200; Redis NOAUTH",
        project.count(),
    )


def test_10_image_runs_as_non_root_on_a_read_only_root_filesystem(demo: Demo, table: Table) -> None:
    project = demo.project
    for service in WIRESTREAM_SERVICES:
        uid = project.compose("exec", "-T", service, "id", "-u").stdout.strip()
        assert uid == "10001", service
        write = project.compose("exec", "-T", service, "touch", "/app/probe", check=False)
        assert write.returncode != 0 and "Read-only file system" in write.stderr, service
        scratch = project.compose("exec", "-T", service, "touch", "/tmp/probe", check=False)
        assert scratch.returncode == 0, (service, scratch.stderr)
    size = _image_size(IMAGE)
    table.add(
        "10",
        f"uid 10001, read_only root (tmpfs /tmp, data volumes); image {size / 1e6:.0f} MB"
        " without spaCy",
        project.count(),
    )


def _image_size(image: str) -> int:
    inspected = subprocess.run(
        ["docker", "image", "inspect", image, "--format", "{{.Size}}"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return int(inspected.stdout.strip())


def test_02_demo_publishes_every_article_once_valid_against_the_schema(
    demo: Demo, table: Table
) -> None:
    project = demo.project
    count = project.wait_until_complete(RUN_TIMEOUT)
    assert count is not None, f"not every article after {RUN_TIMEOUT:g} s: {project.count()}"
    assert count.last_entry_at is not None
    _no_fault_run_s.append(count.last_entry_at - demo.started_at)

    entries = project.redis().xrange(project.keys.articles_stream)
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    messages = []
    for _, fields in entries:
        message: dict[str, Any] = {**fields, "data": json.loads(fields["data"])}
        validator.validate(message)
        messages.append(message)
    assert {m["id"] for m in messages} <= project.expected_ids()
    assert count.duplicated == 0
    assert count.unique == count.expected - 1
    [(_, letter)] = project.redis().xrange(project.keys.dead_stream)
    assert "410 Gone" in letter["reason"] and GONE.key in letter["input"]
    # No spaCy in this image: people and organisations come from the rules.
    people = [p for m in messages for p in m["data"]["tags"]["people"]]
    assert people and not any(p["by"].startswith("spacy:") for p in people)

    imported = project.compose(
        "run", "--rm", "--no-deps", "beat", "feeds", "import", f"{project.simweb_url}/opml.xml"
    )
    assert "12" in imported.stdout + imported.stderr, imported.stdout + imported.stderr
    table.add(
        "2",
        f"--profile demo: 67 simulated articles (one served 410: dead letter);"
        f" `run --rm beat feeds import` ok; last article {_no_fault_run_s[-1]:.0f} s after up",
        count,
        note="1 dead (410)",
    )


def _state(project: Project) -> dict[str, Any]:
    client = project.redis()
    keys = project.keys
    return {
        "stream": [entry_id for entry_id, _ in client.xrange(keys.articles_stream)],
        "feeds": client.hgetall(keys.feeds),
        "due": client.zrange(keys.due, 0, -1, withscores=True),
        "dead": client.xrange(keys.dead_stream),
        "groups": [
            (g["name"], g["last-delivered-id"], g["pending"])
            for g in client.xinfo_groups(keys.articles_stream)
        ],
    }


def test_06_down_and_up_keeps_stream_feeds_poll_state_dead_letters_and_groups(
    demo: Demo, table: Table
) -> None:
    project = demo.project
    client = project.redis()
    keys = project.keys
    wait_for("an idle pipeline", lambda: project.pending_tasks() == 0, 60)
    client.xgroup_create(keys.articles_stream, "deploy-test", id="0")
    client.xreadgroup("deploy-test", "reader", {keys.articles_stream: ">"}, count=5)
    before = _state(project)
    project._client = None
    client.close()

    project.compose("down", "--timeout", "60")
    project.up()

    after = _state(project)
    assert after == before
    assert after["groups"] == [("deploy-test", before["stream"][4], 5)]
    # Every feed polled again at once: what they list is known, nothing is published again.
    client = project.redis()
    polls_before = _polls(client, project)
    client.zadd(keys.due, dict.fromkeys(after["feeds"], 0), xx=True)
    wait_for("every feed polled", lambda: _polls(client, project) >= polls_before + 12, 90)
    wait_for("an idle pipeline", lambda: project.pending_tasks() == 0, 60)
    again = project.count()
    assert again.published == len(before["stream"])

    # The dead letter goes back to its task (the web serves it now): the 67th article.
    listed = project.compose("run", "--rm", "--no-deps", "beat", "dead", "list").stdout
    assert GONE.key in listed
    project.compose("run", "--rm", "--no-deps", "beat", "dead", "retry", "--all")
    final = wait_for("the retried article", lambda: (c := project.count()).unique == 67 and c, 60)
    assert final.dead == 0 and final.duplicated == 0
    table.add(
        "6",
        "down (volumes kept), up -d: stream, feeds, poll state, dead letter, group kept;"
        " every feed re-polled: 0 new; `dead retry --all`: 67th published",
        final,
    )


def _polls(client: redis.Redis, project: Project) -> int:
    stats = client.hgetall(project.keys.stats)
    return int(stats.get("feeds.polled", 0)) + int(stats.get("feeds.not_modified", 0))


# --- 4, 5, issue 19: faults in the middle of a run -------------------------------------------


def run_with_fault(
    projects: Projects, fault: Callable[[Project], None], *, when_published: int = 5
) -> tuple[Count, float | None, float]:
    """A fresh demo deployment; ``fault`` once ``when_published`` articles are out; then the
    count once every article is out (or the allowance passed), the recovery time, and the
    seconds waited."""
    project = projects.new()
    project.up()
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


def assert_exactly_once(count: Count, waited: float) -> None:
    assert count.duplicated == 0, count
    assert count.dead == 0, count
    assert count.unique == count.expected, (
        f"{count.expected - count.unique} articles missing {waited:.0f} s after the fault: {count}"
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
            "4", "kill -s SIGKILL worker-articles mid-run, then up -d", _kill_articles_worker,
            id="4-sigkill-articles-worker",
        ),
        pytest.param(
            "5", "restart redis mid-run", _restart_redis, id="5-restart-redis",
        ),
        pytest.param(
            "19", "kill -s SIGKILL redis mid-run (AOF everysec), then up -d", _kill_redis,
            id="19-sigkill-redis",
        ),
    ],
)  # fmt: skip
def test_fault_mid_run_publishes_every_article_exactly_once(
    projects: Projects, table: Table, check: str, done: str, fault: Callable[[Project], None]
) -> None:
    count, recovery, waited = run_with_fault(projects, fault)

    note = "" if recovery is not None else f"incomplete {waited:.0f} s after the fault"
    table.add(check, done, count, recovery_s=recovery, note=note)
    assert_exactly_once(count, waited)


# --- 7: several workers of each kind ---------------------------------------------------------


def test_07_scaled_workers_publish_once_and_keep_one_budget_per_host(
    projects: Projects, table: Table
) -> None:
    project = projects.new(scale={"worker-articles": 3, "worker-feeds": 2})
    project.up()
    count = project.wait_until_complete(RUN_TIMEOUT)
    assert count is not None, project.count()

    window = 5.0
    status, body = http_get(project.url("SIMWEB_PORT", f"/_stats/busiest?window={window:g}"))
    assert status == 200
    busiest = json.loads(body)["requests"]
    # The budget, plus the first request of the window and the simulated web's own health
    # checks (one every 4 s): one budget for all five workers, not one each.
    allowed = SIMWEB_RATE * window + 1 + 2
    table.add(
        "7",
        f"--scale worker-articles=3 --scale worker-feeds=2; busiest {window:g} s at simweb:"
        f" {busiest} requests (budget {SIMWEB_RATE:g}/s)",
        count,
    )
    assert count.duplicated == 0 and count.unique == count.expected, count
    assert busiest <= allowed, (busiest, allowed)


# --- 8, 9: stopping and replacing the workers while articles flow ----------------------------


def test_08_stop_hands_running_tasks_back_and_loses_nothing(
    projects: Projects, table: Table
) -> None:
    def stop_and_start(project: Project) -> None:
        stopped = project.compose("stop", "worker-articles", timeout=120)
        assert stopped.returncode == 0
        project.compose("up", "-d", "--no-build", "worker-articles")

    count, recovery, waited = run_with_fault(projects, stop_and_start)

    table.add(
        "8", "stop worker-articles mid-run (soft shutdown), then up -d", count, recovery_s=recovery
    )
    assert_exactly_once(count, waited)


def test_09_upgrade_in_place_while_articles_flow(projects: Projects, table: Table) -> None:
    def upgrade(project: Project) -> None:
        before = _image_id()
        project.compose(
            "build", "--build-arg", f"REVISION=upgrade-{time.time_ns()}", "worker-feeds",
            timeout=600,
        )  # fmt: skip
        assert _image_id() != before
        project.compose("up", "-d", "--no-build", "--wait", timeout=300)

    count, recovery, waited = run_with_fault(projects, upgrade)

    table.add(
        "9", "build a new image (revision label), up -d mid-run: every service recreated", count,
        recovery_s=recovery,
    )  # fmt: skip
    assert_exactly_once(count, waited)


def _image_id() -> str:
    inspected = subprocess.run(
        ["docker", "image", "inspect", IMAGE, "--format", "{{.Id}}"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return inspected.stdout.strip()
