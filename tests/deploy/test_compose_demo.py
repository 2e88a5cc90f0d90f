"""docker compose up, for real, with the demo profile: the image built from the Dockerfile,
the services of docker-compose.yml in containers, the suite's deployment (conftest.py) taken
through checks 1, 3, 10, 2 and 6 of issue 14 in that order, each counted from the stream.

Run with `bash .ci/run` or, with an engine up (../shared/tools/docker-offline.sh up ...),
`.venv/bin/python -m pytest -q tests/deploy` (docs/deploy.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import redis
from compose_project import (
    FLOWER_PASSWORD,
    GONE,
    HEALTH_INTERVAL,
    IMAGE,
    NO_FAULT_RUNS,
    RUN_TIMEOUT,
    Demo,
    Project,
    Table,
    image_field,
    wait_for,
)
from deploy import http_get
from jsonschema import Draft202012Validator

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "worker/schema/article-v1.json").read_text()
)
WIRESTREAM_SERVICES = ("beat", "worker-feeds", "worker-articles", "flower", "metrics", "simweb")
# --- 1, 2, 3, 6, 10: one demo deployment, in order ------------------------------------------


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
    size = int(image_field(IMAGE, "{{.Size}}"))
    table.add(
        "10",
        f"uid 10001, read_only root (tmpfs /tmp, data volumes); image {size / 1e6:.0f} MB"
        " without spaCy",
        project.count(),
    )


def test_02_demo_publishes_every_article_once_valid_against_the_schema(
    demo: Demo, table: Table
) -> None:
    project = demo.project
    count = project.wait_until_complete(RUN_TIMEOUT)
    assert count is not None, f"not every article after {RUN_TIMEOUT:g} s: {project.count()}"
    assert count.last_entry_at is not None
    NO_FAULT_RUNS.append(count.last_entry_at - demo.flow_started_at)

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
        f" `run --rm beat feeds import` ok; last one {NO_FAULT_RUNS[-1]:.0f} s after import",
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
