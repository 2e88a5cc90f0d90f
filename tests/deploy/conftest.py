"""The deploy suite's fixtures: a Docker engine (or a skip saying why there is none), the image
built once per session from the real Dockerfile, compose projects removed after each test,
and the table of what each check did to the deployment and what the stream counted."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
from compose_project import IMAGE, ROWS, WEB_IMAGE, Projects, Row, Table, docker_engine_problem


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


@pytest.fixture
def projects(image: str) -> Iterator[Projects]:
    made = Projects()
    try:
        yield made
    finally:
        made.remove_all()


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
