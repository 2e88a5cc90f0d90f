"""Shared fixtures: a real Redis (a namespace per test), the corpus path, the repo root, the
simulated web, and the `wirestream` command as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
from partition import PartitionableForwarder

from worker.keys import Keys
from worker.simweb import SimWeb

REPO_ROOT = Path(__file__).resolve().parent.parent

Wirestream = Callable[..., subprocess.CompletedProcess[str]]
SIMWEB_HOST_RATE = 2000.0


@pytest.fixture(scope="session")
def redis_url() -> str:
    url = os.environ.get("WIRESTREAM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.ConnectionError as error:
        pytest.fail(f"tests need a Redis at {url} (WIRESTREAM_TEST_REDIS_URL): {error}")
    finally:
        client.close()
    return url


@pytest.fixture
def redis_forwarder(redis_url: str) -> Iterator[PartitionableForwarder]:
    """A TCP forwarder to the shared Redis that the test can silence (``partition``)."""
    forwarder = PartitionableForwarder()
    forwarder.forward_to(urlsplit(redis_url).port or 6379)
    yield forwarder
    forwarder.close()


@pytest.fixture
def namespace(redis_url: str) -> Iterator[str]:
    """A namespace no other test uses; its keys are deleted afterwards."""
    name = f"wstest-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"{name}:*", count=1000):
        client.delete(key)
    client.close()


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    yield client
    client.close()


@pytest.fixture
def keys(namespace: str) -> Keys:
    return Keys(namespace)


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = Path(os.environ.get("WIRESTREAM_CORPUS") or REPO_ROOT.parent / "shared" / "data")
    if not (path / "corpus").is_dir():
        pytest.skip(f"real corpus not found at {path} (set WIRESTREAM_CORPUS)")
    return path


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
        # The commands run in a temporary directory: the repository's tag data and rules.
        WIRESTREAM_TAGS_FILE=str(REPO_ROOT / "config" / "tags.toml"),
        WIRESTREAM_RULES_FILE=str(REPO_ROOT / "config" / "rules.toml"),
        # The simulated web serves every outlet from this one host: at the default budget of
        # one request per second the tests would crawl. Budget and breaker tests set their own.
        WIRESTREAM_HOST_RATE_OVERRIDES=json.dumps({"127.0.0.1": SIMWEB_HOST_RATE}),
        WIRESTREAM_HOST_FAILURE_THRESHOLD="1000",
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


def run_together(
    calls: dict[str, Callable[[], subprocess.CompletedProcess[str]]],
) -> dict[str, subprocess.CompletedProcess[str]]:
    """Run independent commands side by side: each one pays the interpreter's start-up."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {name: pool.submit(call) for name, call in calls.items()}
        return {name: future.result() for name, future in futures.items()}


@pytest.fixture(scope="session")
def postgres_server_dsn() -> str:
    """The shared PostgreSQL (WIRESTREAM_TEST_POSTGRES_DSN); .ci/run starts one if none answers."""
    import psycopg

    dsn = os.environ.get(
        "WIRESTREAM_TEST_POSTGRES_DSN", "postgresql://postgres@127.0.0.1:5432/test"
    )
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as error:
        pytest.fail(f"tests need a PostgreSQL at {dsn} (WIRESTREAM_TEST_POSTGRES_DSN): {error}")
    return dsn


@pytest.fixture
def postgres_dsn(postgres_server_dsn: str) -> Iterator[str]:
    """A database no other test uses, dropped afterwards (with anything still connected)."""
    import psycopg
    from psycopg import conninfo, sql

    name = f"wstest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield conninfo.make_conninfo(postgres_server_dsn, dbname=name)
    with psycopg.connect(postgres_server_dsn, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
