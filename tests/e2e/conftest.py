"""End-to-end fixtures: the simulated web, and the `wirestream` command as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from worker.simweb import SimWeb

Wirestream = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def simweb() -> Iterator[SimWeb]:
    with SimWeb() as web:
        yield web


@pytest.fixture
def pipeline_env(redis_url: str, namespace: str, tmp_path: Path) -> dict[str, str]:
    """Settings for the command and its workers: the test Redis, a fresh namespace."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("WIRESTREAM_") or key == "WIRESTREAM_CORPUS"
    }
    env.update(
        WIRESTREAM_REDIS_URL=redis_url,
        WIRESTREAM_NAMESPACE=namespace,
        WIRESTREAM_ALLOWED_NETWORKS="127.0.0.0/8",
        WIRESTREAM_DATA_DIR=str(tmp_path / "data"),
        WIRESTREAM_LOG_FORMAT="json",
        WIRESTREAM_ARTICLES_CONCURRENCY="2",
        WIRESTREAM_FEEDS_CONCURRENCY="8",
    )
    return env


@pytest.fixture
def wirestream(pipeline_env: dict[str, str], tmp_path: Path) -> Wirestream:
    def run(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        merged = {**pipeline_env, **env}
        for name, value in env.items():
            if value == "":
                merged.pop(name)
        return subprocess.run(
            [sys.executable, "-m", "worker.cli", *args],
            env=merged,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run
