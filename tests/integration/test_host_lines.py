"""Per-host line statistics for boilerplate learning, against a real Redis."""

from __future__ import annotations

import redis

from worker.adapters.boilerplate import HostLines
from worker.keys import Keys

HOST = "24newsdesk.example"


def test_a_line_becomes_boilerplate_on_its_third_page(
    redis_client: redis.Redis, keys: Keys
) -> None:
    lines = HostLines(redis_client, keys, min_pages=3, ttl_seconds=3600)

    lines.record(HOST, ["click", "story-1"])
    lines.record(HOST, ["click", "story-2"])
    assert lines.recurring(HOST) == frozenset()

    lines.record(HOST, ["click", "story-3"])
    assert lines.recurring(HOST) == frozenset({"click"})


def test_hosts_learn_apart(redis_client: redis.Redis, keys: Keys) -> None:
    lines = HostLines(redis_client, keys, min_pages=2, ttl_seconds=3600)
    lines.record(HOST, ["view-more"])
    lines.record("other.example", ["view-more"])

    assert lines.recurring(HOST) == frozenset()
    assert lines.recurring("other.example") == frozenset()


def test_both_keys_expire_after_the_ttl(redis_client: redis.Redis, keys: Keys) -> None:
    lines = HostLines(redis_client, keys, min_pages=1, ttl_seconds=600)
    lines.record(HOST, ["view-more"])

    assert 0 < redis_client.ttl(keys.host_lines(HOST)) <= 600
    assert 0 < redis_client.ttl(keys.host_boilerplate(HOST)) <= 600


def test_a_page_without_short_lines_writes_nothing(redis_client: redis.Redis, keys: Keys) -> None:
    lines = HostLines(redis_client, keys, min_pages=1, ttl_seconds=600)
    lines.record(HOST, [])

    assert redis_client.exists(keys.host_lines(HOST), keys.host_boilerplate(HOST)) == 0
