"""`wirestream dead list` and `dead retry`: failures are listed as JSON lines and sent back to
the task that failed, from what the dead letter holds."""

from __future__ import annotations

import base64
import json
import subprocess
from collections.abc import Callable
from typing import Any

import redis

from worker.keys import ARTICLES_QUEUE, FEEDS_QUEUE, Keys
from worker.simweb import SimWeb, catalog

Wirestream = Callable[..., subprocess.CompletedProcess[str]]
ARTICLE = next(a for a in catalog.ARTICLES if a.outlet == catalog.FEEDS[0].outlet)


def queued_arguments(client: redis.Redis, keys: Keys, queue: str) -> list[Any]:
    """The first argument of every task message waiting in a broker queue."""
    arguments = []
    for raw in client.lrange(keys.broker_queue(queue), 0, -1):
        message = json.loads(raw)
        args, _, _ = json.loads(base64.b64decode(message["body"]))
        arguments.append(args[0])
    return arguments


def dead_letters(wirestream: Wirestream) -> list[dict[str, Any]]:
    listed = wirestream("dead", "list")
    assert listed.returncode == 0, listed.stderr
    return [json.loads(line) for line in listed.stdout.splitlines()]


def test_dead_letters_are_listed_and_retried_by_id_and_all(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, keys: Keys
) -> None:
    feed_url = simweb.feed_urls()[0]
    article_path = simweb.url_for(ARTICLE).split("/", 3)[3]
    simweb.set_behaviour(article_path, status=404)
    broken_feed = f"{simweb.base_url}/faults.example/status/404"
    assert wirestream("feeds", "add", feed_url).returncode == 0
    assert wirestream("feeds", "add", broken_feed, "--no-check").returncode == 0
    run = wirestream("run", "--until-idle", "--timeout", "120")
    assert run.returncode == 0, run.stderr[-2000:]

    letters = {letter["task"]: letter for letter in dead_letters(wirestream)}
    assert set(letters) == {"process_entry", "poll_feed"}
    entry, poll = letters["process_entry"], letters["poll_feed"]
    assert entry["reason"] == "404 Not Found" and entry["attempts"] == 1
    assert entry["input"]["url"] == simweb.url_for(ARTICLE)
    assert poll["input"]["feed_url"] == broken_feed

    simweb.set_behaviour(article_path)
    retried = wirestream("dead", "retry", entry["id"])
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout) == {
        "id": entry["id"],
        "task": "process_entry",
        "retried": True,
    }
    assert queued_arguments(redis_client, keys, ARTICLES_QUEUE) == [entry["input"]]
    assert [letter["id"] for letter in dead_letters(wirestream)] == [poll["id"]]

    assert wirestream("dead", "retry", "--all").returncode == 0
    assert queued_arguments(redis_client, keys, FEEDS_QUEUE) == [poll["input"]["feed_id"]]
    assert dead_letters(wirestream) == []

    rerun = wirestream("run", "--until-idle", "--timeout", "120")
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    published = [
        json.loads(fields["data"])["url"] for _, fields in redis_client.xrange(keys.articles_stream)
    ]
    assert simweb.url_for(ARTICLE) in published


def test_dead_retry_of_an_unknown_id_exits_1_naming_it(wirestream: Wirestream) -> None:
    result = wirestream("dead", "retry", "1-0")

    assert result.returncode == 1
    assert "no dead letter 1-0" in result.stderr


def test_dead_retry_needs_ids_or_all_and_a_valid_id(wirestream: Wirestream) -> None:
    assert wirestream("dead", "retry").returncode == 2
    bad = wirestream("dead", "retry", "latest")
    assert bad.returncode == 2
    assert "'latest' is not a stream entry id" in bad.stderr


def test_dead_letter_of_a_malformed_payload_is_kept_and_named(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    entry_id = redis_client.xadd(
        keys.dead_stream,
        {"stage": "input", "reason": "malformed", "input": '{"payload": "42"}', "attempts": "1",
         "task": "process_entry", "error": "ValueError", "failed_at": ""},
    )  # fmt: skip

    result = wirestream("dead", "retry", "--all")

    assert result.returncode == 1
    assert f"{entry_id} cannot be retried: its input is no feed entry" in result.stderr
    assert redis_client.xlen(keys.dead_stream) == 1
