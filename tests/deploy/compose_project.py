"""The real docker-compose.yml run by the Docker engine, as one compose project per test.

What these machines require is said once, in a test-only override file written per project
(:func:`write_override`): every service on the host's network (the engine has no bridge, and
nothing may reach a private-range address), the service names ``redis`` and ``simweb`` mapped
to 127.0.0.1, free ports for Redis, Flower, metrics and the simulated web (the shared Redis
on 6379 is never touched), every listener on loopback, and the build on the host's network.
Everything else, commands, environment, volumes, health checks, restart policies, comes from
docker-compose.yml as resolved by Compose itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import redis
from deploy import (
    COMPOSE_FILE,
    REPO_ROOT,
    free_port,
    resolved_services,
    write_env_file,
)
from psycopg.conninfo import conninfo_to_dict

from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.simweb import catalog
from worker.stages.urls import article_id, canonical_url

IMAGE = "wirestream:deploy-test"
# The simulated web stands for the internet, not for the deployment: an upgrade of the
# deployment's image (check 9) must not restart it. Same build, its own tag.
WEB_IMAGE = "wirestream:deploy-test-web"
REDIS_PASSWORD = "deploy-test-redis-password"
FLOWER_PASSWORD = "deploy-test-flower-password"
NAMESPACE = "wirestream"  # the compose default: the project's Redis is its own
# The simulated web is one host ("simweb") to the politeness budget. At the default of one
# request per second the 67 demo articles take 80 s; at this rate most of them still wait
# for the budget (deferred), which is what the fault checks need, in a fifth of the time.
SIMWEB_RATE = 5.0
# Health checks more often than the file's 30 s: Docker 20.10 runs the first check one
# interval after the start, and beat waits for worker-feeds to be healthy, so the interval
# is most of `up --wait`'s time. A check is a `wirestream health` start-up (0.5 s of CPU):
# six containers every 4 s take a sixth of the two cores. Redis's own check (redis-cli) is
# cheap: every second. Loaded machines took up to 20 s per check, hence the long timeout.
HEALTH_INTERVAL = "4s"
REDIS_HEALTH_INTERVAL = "1s"
HEALTH_TIMEOUT = "60s"
# Test-only: what the fault checks wait for (docs/deploy.md); the file's defaults are 120/125.
TASK_TIME_LIMIT = 12
VISIBILITY_TIMEOUT = 17
COMPOSE_TIMEOUT = 240.0
# How long no task may be pending before a new demo run clears the last one's keys.
QUIET_SECONDS = 3.0
# Bounded wait for a whole demo run (20-110 s measured on a loaded 2-core machine).
RUN_TIMEOUT = 180.0
# Seconds from the demo's feed import to its last article, without faults (the demo checks
# measure it; the fault checks allow that much plus issue 19's 60 s).
NO_FAULT_RUNS: list[float] = []
LONG_RUNNING = ("redis", "simweb", "beat", "worker-feeds", "worker-articles", "flower", "metrics")
ONE_SHOT = "demo-feeds"  # subscribes to the simulated web's feeds, then exits
# One article answers 410 Gone in the first demo run (checks 2 and 6): a dead letter to keep
# across `down` and to send back with `dead retry`. Every later run is served all of them.
GONE = next(
    a for a in catalog.ARTICLES
    if not a.exact_copy_of and sum(b.story_id == a.story_id for b in catalog.ARTICLES) == 1
)  # fmt: skip

T = TypeVar("T")


def docker_engine_problem() -> str | None:
    """Why no Docker engine with Compose v2 can be used here, or None when one can."""
    if shutil.which("docker") is None:
        return "no docker client (.ci/run starts one with ../shared/tools/docker-offline.sh)"
    info = subprocess.run(["docker", "info"], capture_output=True, text=True, timeout=60)
    if info.returncode != 0:
        return f"no Docker engine answers: {info.stderr.strip().splitlines()[-1:]}"
    version = subprocess.run(
        ["docker", "compose", "version"], capture_output=True, text=True, timeout=60
    )
    if version.returncode != 0:
        return "the Docker engine has no Compose v2 plugin"
    return None


def compose_env() -> dict[str, str]:
    """Only what the docker client needs: the project's values come from its env file."""
    keep = ("PATH", "HOME", "DOCKER_HOST", "DOCKER_CONFIG", "DOCKER_CONTEXT")
    return {name: os.environ[name] for name in keep if name in os.environ}


def wait_for(what: str, check: Callable[[], T | None], timeout: float, every: float = 0.5) -> T:
    """``check()``'s first true result; AssertionError naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout:g} s waiting for {what}"
        time.sleep(every)


@dataclass(frozen=True)
class Count:
    """What the stream holds, against the articles the simulated web serves."""

    expected: int
    published: int  # stream entries
    unique: int  # distinct article ids among them
    dead: int
    last_entry_at: float | None  # Unix time of the newest entry (its id, Redis's clock)

    @property
    def duplicated(self) -> int:
        return self.published - self.unique

    @property
    def complete(self) -> bool:
        return self.unique + self.dead >= self.expected


@dataclass
class Project:
    """One compose project: its own name, ports, volumes, env file and override."""

    name: str
    root: Path
    ports: dict[str, int]
    profiles: tuple[str, ...] = ("demo",)
    scale: dict[str, int] = field(default_factory=dict)
    _client: redis.Redis | None = None

    @property
    def long_running(self) -> tuple[str, ...]:
        return (
            *LONG_RUNNING,
            *(HA_SERVICES if "ha" in self.profiles else ()),
            *(ARCHIVE_SERVICES if "archive" in self.profiles else ()),
        )

    # --- compose ------------------------------------------------------------------------

    def compose(
        self, *args: str, timeout: float = COMPOSE_TIMEOUT, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        profiles = [arg for profile in self.profiles for arg in ("--profile", profile)]
        command = [
            "docker", "compose", "--project-name", self.name,
            "--project-directory", str(REPO_ROOT), "--env-file", str(self.root / ".env"),
            "-f", str(COMPOSE_FILE), "-f", str(self.root / "override.yml"), *profiles, *args,
        ]  # fmt: skip
        result = subprocess.run(
            command, env=compose_env(), capture_output=True, text=True, timeout=timeout
        )
        if check:
            assert result.returncode == 0, (
                f"docker compose {' '.join(args)} exited {result.returncode}:\n"
                f"{result.stderr[-3000:]}\n{self.logs_tail()}"
            )
        return result

    def up(self, *services: str, timeout: float = COMPOSE_TIMEOUT) -> float:
        """``up -d --wait`` (with the project's scale) for ``services``, by default every
        long-running one, then the demo's one-shot feed import; the seconds until healthy."""
        scale = [f"--scale={name}={count}" for name, count in self.scale.items()]
        started = time.monotonic()
        self.compose(
            "up", "-d", "--no-build", "--wait", *scale, *(services or self.long_running),
            timeout=timeout,
        )  # fmt: skip
        healthy_after = time.monotonic() - started
        if not services:
            # `--wait` fails on any container that exits, a job that succeeded too.
            self.compose("up", "-d", "--no-build", ONE_SHOT)
            wait_for(f"{ONE_SHOT} to finish", self._one_shot_done, 120)
        return healthy_after

    def new_demo_run(self) -> float:
        """The same deployment, a new demo run: once the pipeline is idle, every key of the
        namespace goes but the broker's (its queues and bindings) and the workers'
        heartbeats, and the simulated web's feeds are imported again; the Unix time then.
        The simulated web serves every article, the first run's 410 one too."""
        every_article = {"path_prefix": GONE.key}  # a prefix alone clears its behaviour
        assert http_post(self.url("SIMWEB_PORT", "/_control/behaviour"), every_article) == 204
        client = self.redis()
        kept = (self.keys.broker_prefix, self.keys.worker_heartbeat(""))
        # Until a quiet spell finds nothing to delete: a task of the last run still under way
        # when the keys went (a feed poll writing its feed's state back) would hide that
        # feed's articles from the new run.
        for _ in range(5):
            wait_for("an idle pipeline", self._quiet_for(QUIET_SECONDS), RUN_TIMEOUT, every=0.2)
            stale = [key for key in client.scan_iter(f"{NAMESPACE}:*") if not key.startswith(kept)]
            if not stale:
                break
            client.unlink(*stale)
        self.compose("up", "-d", "--no-build", ONE_SHOT)
        wait_for(f"{ONE_SHOT} to finish", self._one_shot_done, 120)
        return time.time()

    def _quiet_for(self, seconds: float) -> Callable[[], bool]:
        """A check that is true once no task has been pending for ``seconds``: a task on its
        way from the schedule to a queue, or in a worker's socket, escapes one look."""
        quiet_since: list[float] = []

        def quiet() -> bool:
            if self.pending_tasks():
                quiet_since.clear()
                return False
            quiet_since[:] = quiet_since or [time.monotonic()]
            return time.monotonic() - quiet_since[0] >= seconds

        return quiet

    def _one_shot_done(self) -> bool:
        [job] = [c for c in self.containers() if c["Service"] == ONE_SHOT]
        if job["State"] != "exited":
            return False
        assert job["ExitCode"] == 0, self.logs(ONE_SHOT)
        return True

    def containers(self) -> list[dict[str, Any]]:
        output = self.compose("ps", "--all", "--format", "json").stdout
        return [json.loads(line) for line in output.splitlines() if line.strip()]

    def logs_tail(self, lines: int = 40) -> str:
        try:
            result = subprocess.run(
                ["docker", "compose", "--project-name", self.name, "logs", "--no-color",
                 "--tail", str(lines)],
                env=compose_env(), capture_output=True, text=True, timeout=60,
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return "(docker compose logs timed out)"
        return result.stdout[-6000:]

    def logs(self, service: str) -> str:
        return self.compose("logs", "--no-color", service).stdout

    def remove(self) -> None:
        """Containers, volumes and the project's files: nothing outlives the test."""
        if self._client is not None:
            self._client.close()
            self._client = None
        # Nothing to hand back at the end: no stop grace period (SIGKILL at once).
        self.compose("down", "--volumes", "--remove-orphans", "--timeout", "0", check=False)
        shutil.rmtree(self.root, ignore_errors=True)

    # --- what the deployment serves ------------------------------------------------------

    def url(self, port: str, path: str) -> str:
        return f"http://127.0.0.1:{self.ports[port]}{path}"

    def follow_primary(self, port_name: str) -> None:
        """Count from the Redis on ``port_name`` from now on (a promoted replica)."""
        self.ports["REDIS_PORT"] = self.ports[port_name]
        if self._client is not None:
            self._client.close()
            self._client = None

    def redis(self) -> redis.Redis:
        if self._client is None:
            self._client = redis.Redis(
                host="127.0.0.1",
                port=self.ports["REDIS_PORT"],
                password=REDIS_PASSWORD,
                decode_responses=True,
                socket_timeout=10,
            )
        return self._client

    @property
    def keys(self) -> Keys:
        return Keys(NAMESPACE)

    @property
    def simweb_url(self) -> str:
        """The simulated web's base URL as the containers reach it."""
        return f"http://simweb:{self.ports['SIMWEB_PORT']}"

    def expected_ids(self) -> set[str]:
        return {
            article_id(canonical_url(f"{self.simweb_url}/{article.key}"))
            for article in catalog.ARTICLES
        }

    def missing(self) -> list[str]:
        """The simulated web's articles not on the stream, by their paths."""
        published = {fields["id"] for _, fields in self.redis().xrange(self.keys.articles_stream)}
        return [
            article.key
            for article in catalog.ARTICLES
            if article_id(canonical_url(f"{self.simweb_url}/{article.key}")) not in published
        ]

    def log_lines_about(self, words: list[str], services: tuple[str, ...]) -> list[str]:
        """Every log line of ``services`` that names one of ``words``."""
        logs = self.compose("logs", "--no-color", *services, check=False).stdout
        return [line for line in logs.splitlines() if any(word in line for word in words)]

    def count(self) -> Count:
        client = self.redis()
        entries = client.xrange(self.keys.articles_stream)
        ids = Counter(fields["id"] for _, fields in entries)
        last = int(entries[-1][0].split("-")[0]) / 1000 if entries else None
        return Count(
            expected=len(catalog.ARTICLES),
            published=len(entries),
            unique=len(ids),
            dead=client.xlen(self.keys.dead_stream),
            last_entry_at=last,
        )

    def dead_reasons(self) -> list[str]:
        dead = self.redis().xrange(self.keys.dead_stream)
        return [f"{fields['stage']}: {fields['reason']}" for _, fields in dead]

    def pending_tasks(self) -> int:
        """Tasks queued, delivered and not yet acknowledged, or waiting in the task schedule,
        read in one transaction: a task moving from one to the next is counted once."""
        pipe = self.redis().pipeline(transaction=True)
        pipe.llen(self.keys.broker_queue(FEEDS_QUEUE))
        pipe.llen(self.keys.broker_queue(ARTICLES_QUEUE))
        pipe.hlen(self.keys.broker_unacked)
        pipe.zcard(self.keys.task_schedule)
        return sum(int(value) for value in pipe.execute())

    def wait_for_published(self, at_least: int, timeout: float) -> Count:
        return wait_for(
            f"{at_least} articles on the stream",
            lambda: (c := self.count()).unique >= at_least and c,
            timeout,
            every=0.2,
        )

    def wait_until_complete(self, timeout: float) -> Count | None:
        """The count once every expected article is published or dead-lettered; None when
        ``timeout`` passes first (the caller reports what was counted)."""
        try:
            return wait_for("every article", lambda: (c := self.count()).complete and c, timeout)
        except AssertionError:
            return None


@dataclass
class Demo:
    """The suite's one deployment: the demo checks, then the faults, then scaled workers."""

    project: Project
    healthy_after_s: float
    flow_started_at: float  # the first feed import has finished


@dataclass(frozen=True)
class Row:
    check: str
    done: str
    expected: int
    published: int
    duplicated: int
    recovery_s: float | None = None
    note: str = ""


ROWS: list[Row] = []


class Table:
    """Rows of the closing table, printed at the end of the run (and written to
    $WIRESTREAM_DEPLOY_REPORT as JSON lines when set)."""

    def add(
        self,
        check: str,
        done: str,
        count: Count,
        *,
        recovery_s: float | None = None,
        note: str = "",
    ) -> None:
        ROWS.append(
            Row(check, done, count.expected, count.published, count.duplicated, recovery_s, note)
        )


def image_field(image: str, template: str) -> str:
    """``docker image inspect`` with a Go template, e.g. ``{{.Size}}``."""
    inspected = subprocess.run(
        ["docker", "image", "inspect", image, "--format", template],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return inspected.stdout.strip()


def http_post(url: str, body: dict[str, Any]) -> int:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=20) as response:
        return int(response.status)


def loopback(value: str) -> str:
    return "127.0.0.1" if value == "0.0.0.0" else value


SENTINELS = ("sentinel-1", "sentinel-2", "sentinel-3")
HA_SERVICES = ("redis-replica", *SENTINELS)
ARCHIVE_SERVICES = ("postgres", "sink-postgres")


def sentinel_port_name(sentinel: str) -> str:
    return f"{sentinel.upper().replace('-', '_')}_PORT"


def write_override(
    root: Path,
    env_file: Path,
    ports: dict[str, int],
    profiles: tuple[str, ...],
    archive_dsn: str | None = None,
) -> Path:
    """The test-only override, derived from the compose file as Compose resolves it.
    ``archive_dsn``: the database of the archive profile's sink (on the host's PostgreSQL)."""
    services = resolved_services(env_file, *profiles)
    redis_port = str(ports["REDIS_PORT"])
    # Every name a container may be given by another (the ha profile's sentinels hand out
    # service names) is this host.
    hosts = [
        f"{name}:127.0.0.1"
        for name in ("redis", "simweb", *(HA_SERVICES if "ha" in profiles else ()))
    ]
    lines = [
        "# Written by tests/deploy: what these test machines need. Not for users.",
        "services:",
    ]
    for name, service in services.items():
        spec: dict[str, Any] = {"network_mode": "host"}
        healthcheck = {
            "interval": HEALTH_INTERVAL,
            "timeout": HEALTH_TIMEOUT,
            "start_period": "120s",
        }
        if name == "redis":
            # The file's command, on a free loopback port (later arguments win).
            spec["command"] = [*service["command"], "--port", redis_port, "--bind", "127.0.0.1"]
            healthcheck["test"] = ["CMD-SHELL", f"redis-cli -p {redis_port} ping | grep -q PONG"]
            healthcheck["interval"] = REDIS_HEALTH_INTERVAL
            # The stand-in base image starts in /data like the official one; from / an append
            # only file written to the working directory would be lost with the container.
            spec["working_dir"] = "/"
        elif name == "redis-replica":
            port = str(ports["REPLICA_PORT"])
            spec["command"] = [
                *service["command"], "--port", port, "--bind", "127.0.0.1",
                "--replicaof", "redis", redis_port,
            ]  # fmt: skip
            spec["extra_hosts"] = hosts
            healthcheck["test"] = ["CMD-SHELL", f"redis-cli -p {port} ping | grep -q PONG"]
            healthcheck["interval"] = REDIS_HEALTH_INTERVAL
        elif name in SENTINELS:
            # The file's script, each sentinel on a port of its own (one host network here),
            # watching the primary on its test port.
            port = str(ports[sentinel_port_name(name)])
            [script] = service["command"]
            for old, new in (
                ("port 26379\n", f"port {port}\nbind 127.0.0.1\n"),
                ("wirestream redis 6379 2", f"wirestream redis {redis_port} 2"),
            ):
                assert old in script, f"{name}: the compose file's script changed ({old!r})"
                script = script.replace(old, new)
            spec["command"] = [script]  # `compose config` keeps the file's $$ escapes
            spec["extra_hosts"] = hosts
            healthcheck["test"] = [
                "CMD-SHELL", f"redis-cli -p {port} sentinel ckquorum wirestream | grep -q OK"
            ]  # fmt: skip
            healthcheck["interval"] = REDIS_HEALTH_INTERVAL
        elif name == "postgres":
            # The stand-in base images have no PostgreSQL: this one only waits, healthy while
            # the host's PostgreSQL (where the sink's database is) answers.
            assert archive_dsn, "the archive profile needs the test's database"
            spec["image"] = IMAGE
            spec["entrypoint"] = ["sleep"]
            spec["command"] = ["infinity"]
            address = conninfo_to_dict(archive_dsn)
            probe = (
                "import socket; socket.create_connection("
                f"({address.get('host', '127.0.0.1')!r}, {int(address.get('port', 5432))}), 2)"
            )
            healthcheck["test"] = ["CMD", "python3", "-c", probe]
        else:
            spec["image"] = WEB_IMAGE if name == "simweb" else IMAGE
            spec["build"] = {"context": str(REPO_ROOT), "network": "host"}
            spec["extra_hosts"] = hosts
            env = service.get("environment") or {}
            spec["environment"] = {
                "WIRESTREAM_REDIS_URL": env["WIRESTREAM_REDIS_URL"].replace(
                    "@redis:6379/", f"@redis:{redis_port}/"
                ),
                "WIRESTREAM_HOST_RATE_OVERRIDES": json.dumps({"simweb": SIMWEB_RATE}),
                # Two processes per articles worker: several workers on two shared cores.
                "WIRESTREAM_ARTICLES_CONCURRENCY": "2",
                "WIRESTREAM_FEEDS_CONCURRENCY": "8",
                # The tasks a killed worker or a lost connection held come back after the
                # visibility timeout: 125 s by default, which would be most of every fault
                # check. The simulated web's pages take a second or two each on a loaded machine.
                "WIRESTREAM_TASK_TIME_LIMIT": str(TASK_TIME_LIMIT),
                "WIRESTREAM_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            }
            if "FLOWER_ADDRESS" in env:
                spec["environment"]["FLOWER_ADDRESS"] = "127.0.0.1"
            if "WIRESTREAM_POSTGRES_DSN" in env:
                spec["environment"]["WIRESTREAM_POSTGRES_DSN"] = archive_dsn
            spec["command"] = [loopback(word) for word in service["command"]]
        if service.get("healthcheck"):
            spec["healthcheck"] = healthcheck
        lines.append(f"  {name}:")
        lines.extend(f"    {key}: {json.dumps(value)}" for key, value in spec.items())
        if service.get("ports"):
            lines.append("    ports: !reset []")  # host networking publishes nothing
    override = root / "override.yml"
    override.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return override


@dataclass
class Projects:
    """Makes projects; removes every one it made, and the anonymous volumes their containers
    left (the image declares ``VOLUME /app/data``: each container gets one, which outlives
    it when the container is recreated or removed without ``--volumes``)."""

    made: list[Project] = field(default_factory=list)
    dangling_before: set[str] | None = None

    def new(
        self,
        *,
        scale: dict[str, int] | None = None,
        profiles: tuple[str, ...] = ("demo",),
        archive_dsn: str | None = None,
    ) -> Project:
        if self.dangling_before is None:
            self.dangling_before = dangling_volumes()
        root = Path(tempfile.mkdtemp(prefix="wirestream-deploy-"))
        names = ["REDIS_PORT", "FLOWER_PORT", "METRICS_PORT", "SIMWEB_PORT"]
        ha = {}
        if "ha" in profiles:
            names += ["REPLICA_PORT", *map(sentinel_port_name, SENTINELS)]
        ports = {name: free_port() for name in names}
        if "ha" in profiles:
            # As a user's .env names them (docs/high-availability.md), on this host's ports.
            ha["WIRESTREAM_REDIS_SENTINELS"] = ",".join(
                f"{sentinel}:{ports[sentinel_port_name(sentinel)]}" for sentinel in SENTINELS
            )
        env_file = write_env_file(
            root / ".env",
            REDIS_PASSWORD=REDIS_PASSWORD,
            FLOWER_PASSWORD=FLOWER_PASSWORD,
            # The simulated web is on loopback here (host networking).
            WIRESTREAM_ALLOWED_NETWORKS="127.0.0.0/8",
            SPACY_MODEL="",
            **{
                name: str(port)
                for name, port in ports.items()
                if name in ("FLOWER_PORT", "METRICS_PORT", "SIMWEB_PORT")
            },
            **ha,
        )
        write_override(root, env_file, ports, profiles, archive_dsn)
        project = Project(
            f"wsdeploy-{uuid.uuid4().hex[:8]}", root, ports, profiles=profiles, scale=scale or {}
        )
        self.made.append(project)
        return project

    def remove_all(self) -> None:
        for project in self.made:
            project.remove()
        self.made.clear()
        if self.dangling_before is not None:
            left = sorted(dangling_volumes() - self.dangling_before)
            if left:
                subprocess.run(["docker", "volume", "rm", *left], capture_output=True, timeout=120)


def dangling_volumes() -> set[str]:
    listed = subprocess.run(
        ["docker", "volume", "ls", "--quiet", "--filter", "dangling=true"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    return set(listed.stdout.split())
