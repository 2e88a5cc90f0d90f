"""Shared fixtures: a real Redis (a namespace per test), the corpus path, the repo root."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from worker.keys import Keys

REPO_ROOT = Path(__file__).resolve().parent.parent


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
