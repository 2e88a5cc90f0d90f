"""The deploy suite's fixtures: a Docker engine (or a skip saying why there is none), the image
built once per session from the real Dockerfile, the one demo deployment that every check
works on (started once: most of a check's time would otherwise be `up --wait`), and the table
of what each check did to the deployment and what the stream counted."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from compose_project import (
    GONE,
    IMAGE,
    ROWS,
    WEB_IMAGE,
    Demo,
    Project,
    Projects,
    Row,
    Table,
    docker_engine_problem,
    http_post,
)


@pytest.fixture(scope="session")
def table() -> Table:
    return Table()


@pytest.fixture(scope="session")
def image() -> Iterator[str]:
    """The image from the real Dockerfile, built once, without the spaCy model (its host is
    out of reach here), through Compose with the override's host-network build."""
    problem = docker_engine_problem()
    if problem:
        pytest.skip(f"deploy suite needs a Docker engine: {problem}")
    builder = Projects()
    project = builder.new()
    started = time.monotonic()
    project.compose("build", "worker-feeds", timeout=900)
    subprocess.run(["docker", "tag", IMAGE, WEB_IMAGE], check=True, timeout=60)
    ROWS.append(
        Row("build", f"docker compose build, SPACY_MODEL='' ({time.monotonic() - started:.0f} s)",
            0, 0, 0)
    )  # fmt: skip
    builder.remove_all()
    yield IMAGE


@pytest.fixture(scope="session")
def demo(image: str) -> Iterator[Demo]:
    """The demo profile up, one article served 410 in its first run (checks 2 and 6)."""
    projects = Projects()
    try:
        project = projects.new()
        project.up("redis", "simweb")  # its health check asks Redis too
        status = http_post(
            project.url("SIMWEB_PORT", "/_control/behaviour"),
            {"path_prefix": GONE.key, "status": 410},
        )
        assert status == 204
        healthy_after = project.up()
        yield Demo(project, healthy_after, flow_started_at=time.time())
    finally:
        projects.remove_all()


@pytest.fixture
def deployment(demo: Demo) -> Project:
    return demo.project


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ROWS:
        return
    write = terminalreporter.write_line
    write("")
    write("deploy checks: what was done / expected / published / duplicated / recovery")
    for row in ROWS:
        recovery = "-" if row.recovery_s is None else f"{row.recovery_s:.1f} s"
        write(
            f"  {row.check:<4} {row.done:<72} {row.expected:>3} {row.published:>4}"
            f" {row.duplicated:>3}  {recovery:>8}  {row.note}"
        )
    report = os.environ.get("WIRESTREAM_DEPLOY_REPORT")
    if report:
        with Path(report).open("a", encoding="utf-8") as out:
            for row in ROWS:
                out.write(json.dumps(asdict(row)) + "\n")
