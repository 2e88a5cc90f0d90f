"""Every service of docker-compose.yml (demo profile) run as a local process, with the command
and environment the compose file gives it, against Redis started with the compose file's
command line: a typo in a compose command fails here, not at a user's first `compose up`.

What a container would see is translated once: the image's entrypoint `wirestream` is this
checkout's CLI, the service names `redis` and `simweb` are loopback ports, `/app` is a
directory per service with the compose file's bind mounts linked in, and a container's
`0.0.0.0` is 127.0.0.1 (no test listens beyond loopback).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import redis
from deploy import compose_redis, free_port, http_get, resolved_services, write_env_file

from worker.keys import Keys

REDIS_PASSWORD = "compose-test-redis-password"
FLOWER_PASSWORD = "compose-test-flower-password"
NAMESPACE = "wirestream"  # the compose default: this Redis is the test's own
STARTUP_TIMEOUT = 60.0


@dataclass
class Service:
    name: str
    command: list[str]
    env: dict[str, str]
    cwd: Path
    healthcheck: list[str] | None
    log: Path
    process: subprocess.Popen[bytes] | None = None
    healthy: bool = False  # its health check has passed once

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Deployment:
    redis_port: int
    ports: dict[str, str]
    services: dict[str, Service] = field(default_factory=dict)

    def url(self, variable: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[variable]}{path}"

    def redis(self) -> redis.Redis:
        return redis.Redis(
            host="127.0.0.1", port=self.redis_port, password=REDIS_PASSWORD, decode_responses=True
        )


def translate(value: str, redis_port: int) -> str:
    value = value.replace("@redis:6379", f"@127.0.0.1:{redis_port}")
    value = value.replace("//simweb:", "//127.0.0.1:")
    return "127.0.0.1" if value == "0.0.0.0" else value


def local_service(
    name: str, spec: dict[str, Any], root: Path, redis_port: int, logs: Path
) -> Service:
    assert spec.get("entrypoint") is None, f"{name}: the image's entrypoint is `wirestream`"
    app_dir = root / name / "app"
    app_dir.mkdir(parents=True)
    for volume in spec.get("volumes", []):
        target = app_dir / Path(volume["target"]).relative_to("/app")
        if volume["type"] == "bind":
            target.symlink_to(volume["source"])
        else:
            target.mkdir(parents=True, exist_ok=True)

    def local(value: str) -> str:
        return translate(value, redis_port).replace("/app/", f"{app_dir}/")

    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIRESTREAM_", "FLOWER_"))}
    env.update({k: local(v) for k, v in (spec.get("environment") or {}).items()})
    env["WIRESTREAM_CORPUS"] = str(root / "no-corpus")  # the demo's own web, no real corpus
    check = (spec.get("healthcheck") or {}).get("test")
    healthcheck = None
    if check and check[:2] == ["CMD", "wirestream"]:
        healthcheck = [sys.executable, "-m", "worker.cli", *map(local, check[2:])]
    return Service(
        name=name,
        command=[sys.executable, "-m", "worker.cli", *map(local, spec["command"])],
        env=env,
        cwd=app_dir,
        healthcheck=healthcheck,
        log=logs / f"{name}.log",
    )


def start_order(specs: dict[str, dict[str, Any]]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name not in ordered:
            for dependency, condition in (specs[name].get("depends_on") or {}).items():
                # A dependency compose may leave out (a service of another profile, as the
                # ha profile's sentinels are) is started only when it is among the specs.
                if dependency in specs:
                    visit(dependency)
                else:
                    assert condition.get("required") is False, f"{name} needs {dependency}"
            ordered.append(name)

    # Fewest dependencies first: Flower is up before the first poll, as it would be in a
    # deployment that has been running for a while.
    for name in sorted(specs, key=lambda name: (len(specs[name].get("depends_on") or {}), name)):
        visit(name)
    return ordered


def wait_until_healthy(service: Service, timeout: float) -> None:
    assert service.healthcheck, f"{service.name} has no wirestream health check"
    if service.healthy:
        return
    deadline = time.monotonic() + timeout
    # Each check is a Python start-up: run none before the service has said anything.
    while not service.output().strip() and time.monotonic() < deadline:
        time.sleep(0.2)
    while True:
        assert service.process and service.process.poll() is None, (
            f"{service.name} exited:\n{service.output()[-3000:]}"
        )
        check = subprocess.run(
            service.healthcheck, env=service.env, cwd=service.cwd, capture_output=True, timeout=60
        )
        if check.returncode == 0:
            service.healthy = True
            return
        assert time.monotonic() < deadline, (
            f"{service.name} not healthy: {check.stderr.decode()[-500:]}\n"
            f"{service.output()[-3000:]}"
        )
        time.sleep(2)


def start(deployment: Deployment, specs: dict[str, dict[str, Any]]) -> None:
    for name in start_order(specs):
        if name == "redis":
            continue
        service = deployment.services[name]
        for dependency, rule in (specs[name].get("depends_on") or {}).items():
            if (
                dependency in deployment.services
                and dependency != "redis"
                and (rule["condition"] == "service_healthy")
            ):
                wait_until_healthy(deployment.services[dependency], STARTUP_TIMEOUT)
        with open(service.log, "wb") as log:
            service.process = subprocess.Popen(
                service.command, env=service.env, cwd=service.cwd,
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
            )  # fmt: skip
        if specs[name].get("restart") == "no":  # a one-shot job: it must succeed
            assert service.process.wait(timeout=STARTUP_TIMEOUT) == 0, service.output()
        if name == "flower":
            # Flower sees only the task events sent after it connects: on a loaded machine
            # it was still starting when the first polls ran, and never saw one.
            wait_until_healthy(service, STARTUP_TIMEOUT)


def stop(deployment: Deployment) -> None:
    running = [s.process for s in deployment.services.values() if s.process]
    for process in running:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in running:
        try:
            process.wait(timeout=45)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def deployment() -> Iterator[Deployment]:
    root = Path(tempfile.mkdtemp(prefix="wirestream-compose-"))
    ports = {
        "FLOWER_PORT": str(free_port()),
        "METRICS_PORT": str(free_port()),
        "SIMWEB_PORT": str(free_port()),
    }
    env_file = write_env_file(
        root / ".env",
        REDIS_PASSWORD=REDIS_PASSWORD,
        FLOWER_PASSWORD=FLOWER_PASSWORD,
        WIRESTREAM_ALLOWED_NETWORKS="127.0.0.0/8",  # the demo web is on loopback here
        **ports,
    )
    specs = resolved_services(env_file, "demo")
    logs = root / "logs"
    logs.mkdir()
    with compose_redis(specs["redis"], root / "redis") as redis_port:
        running = Deployment(redis_port, ports)
        for name, spec in specs.items():
            if name != "redis":
                running.services[name] = local_service(name, spec, root, redis_port, logs)
        try:
            start(running, specs)
            long_running = [
                service
                for name, service in running.services.items()
                if service.healthcheck and specs[name].get("restart") != "no"
            ]
            with ThreadPoolExecutor(len(long_running)) as pool:
                for waited in [
                    pool.submit(wait_until_healthy, s, STARTUP_TIMEOUT) for s in long_running
                ]:
                    waited.result()
            yield running
        finally:
            stop(running)
    shutil.rmtree(root, ignore_errors=True)


def wait_for(what: str, check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


FLOWER_AUTH = ("admin", FLOWER_PASSWORD)


def test_compose_services_poll_feeds_and_put_articles_on_the_stream(
    deployment: Deployment,
) -> None:
    client = deployment.redis()
    keys = Keys(NAMESPACE)

    wait_for("articles on the stream", lambda: client.xlen(keys.articles_stream) >= 5)

    stats = client.hgetall(keys.stats)
    assert int(stats["feeds.polled"]) >= 1
    assert int(stats["entries.new"]) >= 5
    _, fields = client.xrange(keys.articles_stream, count=1)[0]
    assert fields["url"].startswith(deployment.url("SIMWEB_PORT", "/"))
    client.close()


def flower_worker_names(deployment: Deployment) -> list[str]:
    """Both workers (one per queue) as Flower's API lists them, once it does."""
    url = deployment.url("FLOWER_PORT", "/api/workers?refresh=1")

    def both_workers() -> list[str] | None:
        status, body = http_get(url, auth=FLOWER_AUTH)
        assert status == 200, body[:500]
        names = list(json.loads(body))
        queues = {name.split("-")[0] for name in names}
        return names if {"feeds", "articles"} <= queues else None

    names: list[str] = wait_for("both workers in Flower's API", both_workers)
    return names


def test_flower_lists_both_workers_with_the_password_and_refuses_without_it(
    deployment: Deployment,
) -> None:
    assert len(flower_worker_names(deployment)) == 2
    status, body = http_get(deployment.url("FLOWER_PORT", "/api/queues/length"), auth=FLOWER_AUTH)
    assert status == 200
    assert {q["name"] for q in json.loads(body)["active_queues"]} == {"feeds", "articles"}
    for path in ("/api/workers", "/api/tasks", "/", "/tasks"):
        status, _ = http_get(deployment.url("FLOWER_PORT", path))
        assert status == 401, path
    status, _ = http_get(deployment.url("FLOWER_PORT", "/api/workers"), auth=("admin", "wrong"))
    assert status == 401


def test_flower_shows_tasks_with_their_urls_not_their_payloads(deployment: Deployment) -> None:
    url = deployment.url("FLOWER_PORT", "/api/tasks?limit=500")

    def tasks_by_name() -> dict[str, list[dict[str, Any]]] | None:
        status, body = http_get(url, auth=FLOWER_AUTH)
        assert status == 200
        found: dict[str, list[dict[str, Any]]] = {}
        for task in json.loads(body).values():
            found.setdefault(task["name"], []).append(task)
        wanted = ("wirestream.poll_feeds", "wirestream.process_entry")
        return found if all(name in found for name in wanted) else None

    found = wait_for("poll and process tasks in Flower", tasks_by_name)
    simweb = deployment.url("SIMWEB_PORT", "/")
    for task in found["wirestream.process_entry"]:
        assert task["args"].strip("'").startswith(simweb), task["args"]
        assert len(task["args"]) < 300, task["args"]
    for task in found["wirestream.poll_feeds"]:
        # A batch of due feeds shows as the list of their URLs.
        feed_urls = ast.literal_eval(task["args"])
        assert feed_urls, task["args"]
        assert all(url.startswith(simweb) and len(url) < 300 for url in feed_urls), task["args"]


def test_flower_and_pipeline_metrics_answer_in_prometheus_format(deployment: Deployment) -> None:
    status, body = http_get(deployment.url("FLOWER_PORT", "/metrics"), auth=FLOWER_AUTH)
    assert status == 200
    assert b"flower_events_total" in body

    def pipeline_metrics() -> str | None:
        status, body = http_get(deployment.url("METRICS_PORT", "/metrics"))
        assert status == 200
        text = body.decode()
        # Stage timings are flushed once a second, after the counters: both are waited for.
        fetches = 'wirestream_stage_duration_seconds_count{stage="fetch",task="process_entry"} '
        published = 'wirestream_articles_total{event="created"}' in text
        timed = any(
            line.startswith(fetches) and float(line.rsplit(" ", 1)[1]) >= 1
            for line in text.splitlines()
        )
        return text if published and timed else None

    text = wait_for("pipeline metrics", pipeline_metrics)
    samples = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    assert samples['wirestream_feed_polls_total{result="polled"}'] >= 1
    assert samples["wirestream_stream_length"] >= 1
    assert (
        samples['wirestream_stage_duration_seconds_count{stage="fetch",task="process_entry"}'] >= 1
    )
    assert samples["wirestream_discovery_to_stream_seconds_count"] >= 1
    assert "wirestream_last_publish_timestamp_seconds" in samples
    assert "wirestream_dead_letters" in samples


def test_status_shows_workers_queues_feeds_and_the_stream(deployment: Deployment) -> None:
    beat = deployment.services["beat"]

    result = subprocess.run(
        [sys.executable, "-m", "worker.cli", "status"],
        env=beat.env, cwd=beat.cwd, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "feeds-" in lines["workers"] and "articles-" in lines["workers"]
    assert "waiting: feeds" in lines["queues"]
    assert "subscribed" in lines["feeds"]
    assert f"{NAMESPACE}:articles" in lines["stream"] and "last publish" in lines["stream"]
    assert f"{NAMESPACE}:dead" in lines["dead"]


def log_lines(service: Service) -> list[str]:
    """The service's output lines, without the warning Celery prints, before any logging is
    set up, when a worker runs as root: as on this test machine, never in the image."""
    lines = service.output().splitlines()
    if os.geteuid() == 0 and any("SecurityWarning" in line for line in lines):
        first = next(i for i, line in enumerate(lines) if "SecurityWarning" in line)
        last = next(i for i, line in enumerate(lines) if "_warn_or_raise_security_error" in line)
        del lines[first : last + 1]
    return lines


def test_worker_logs_are_json_lines_with_task_id_and_url_and_no_secret(
    deployment: Deployment,
) -> None:
    client = deployment.redis()
    wait_for("articles", lambda: client.xlen(Keys(NAMESPACE).articles_stream) >= 5)
    client.close()
    for name in ("worker-feeds", "worker-articles", "beat", "flower", "metrics"):
        for line in log_lines(deployment.services[name]):
            assert isinstance(json.loads(line), dict), (name, line)
    records = [json.loads(line) for line in log_lines(deployment.services["worker-articles"])]
    summaries = [r for r in records if r["event"] == "entry_processed"]

    assert summaries, deployment.services["worker-articles"].output()[-3000:]
    for summary in summaries:
        assert summary["task_name"] == "wirestream.process_entry"
        assert summary["task_id"]
        assert summary["url"].startswith("http://127.0.0.1:")
        assert summary["outcome"] in ("published", "updated", "duplicate", "unchanged")
        assert {"fetch", "extract", "tag", "publish"} <= set(summary["timings_ms"])
    celery_records = [r for r in records if str(r["event"]).startswith("Task wirestream.")]
    assert celery_records and all(r["task_id"] and r["task_name"] for r in celery_records)
    received = [r for r in celery_records if str(r["event"]).endswith(" received")]
    assert received and all(r["url"].startswith("http://127.0.0.1:") for r in received)
    for service in deployment.services.values():
        assert REDIS_PASSWORD not in service.output(), service.name
        assert FLOWER_PASSWORD not in service.output(), service.name


def test_headless_chromium_shows_both_workers_on_the_flower_dashboard(
    deployment: Deployment, tmp_path: Path
) -> None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (.ci/run installs Debian's package)")
    url = deployment.url("FLOWER_PORT", "/workers").replace(
        "http://", f"http://admin:{FLOWER_PASSWORD}@"
    )
    workers = flower_worker_names(deployment)

    page = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000", "--dump-dom", url,
        ],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert page.returncode == 0, page.stderr[-2000:]
    for name in workers:
        assert name in page.stdout, (name, page.stdout[:2000])
