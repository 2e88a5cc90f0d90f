"""The whole pipeline against the simulated web: real Redis, real workers, real HTTP."""

from __future__ import annotations

import json
import subprocess
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis
from jsonschema import Draft202012Validator

from worker.keys import Keys
from worker.simweb import SimWeb, catalog
from worker.stages.urls import article_id, canonical_url

Wirestream = Callable[..., subprocess.CompletedProcess[str]]
SCHEMA = json.loads(
    (Path(__file__).resolve().parents[2] / "worker/schema/article-v1.json").read_text()
)


def stream_messages(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    messages = []
    for _, fields in client.xrange(keys.articles_stream):
        message: dict[str, Any] = dict(fields)
        message["data"] = json.loads(fields["data"])
        messages.append(message)
    return messages


def dead_letters(client: redis.Redis, keys: Keys) -> list[dict[str, str]]:
    return [fields for _, fields in client.xrange(keys.dead_stream)]


def test_until_idle_publishes_every_simulated_article_exactly_once(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, keys: Keys
) -> None:
    imported = wirestream("feeds", "import", simweb.opml_url)
    assert imported.returncode == 0, imported.stderr

    first = wirestream("run", "--until-idle", "--timeout", "240")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "articles published:" in first.stdout

    messages = stream_messages(redis_client, keys)
    validator = Draft202012Validator(SCHEMA, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for message in messages:
        validator.validate(message)
    assert dead_letters(redis_client, keys) == []

    by_id = {}
    for message in messages:
        assert message["id"] not in by_id, f"published twice: {message['url']}"
        by_id[message["id"]] = message
    expected_ids = {article_id(canonical_url(simweb.url_for(a))): a for a in catalog.ARTICLES}
    assert set(by_id) == set(expected_ids)

    copies = [a for a in catalog.ARTICLES if a.exact_copy_of]
    assert copies, "the simulated web should serve byte-identical copies"
    for copy in copies:
        twin = next(a for a in catalog.ARTICLES if f"{a.outlet}{a.path}" == copy.exact_copy_of)
        pair = [by_id[article_id(canonical_url(simweb.url_for(a)))] for a in (copy, twin)]
        assert {m["data"]["dedupe"]["cluster_id"] for m in pair} == {pair[1]["cluster"]}

    # One story, one original: a wire story republished by several outlets, each with its
    # own edits, and the byte copies of any article, are duplicates in the first one's cluster.
    stories: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for article in catalog.ARTICLES:
        stories[article.story_id].append(by_id[article_id(canonical_url(simweb.url_for(article)))])
    republished = [
        s for s in stories if any(a.story_id == s and a.agency for a in catalog.ARTICLES)
    ]
    assert len(republished) == 4
    for story_id, members in stories.items():
        [original] = [m for m in members if m["event"] == "article.created"]
        ids = {m["id"] for m in members}
        for member in members:
            assert member["data"]["dedupe"]["cluster_id"] == original["id"], story_id
            assert member["cluster"] == original["id"]
            if member is not original:
                assert member["event"] == "article.duplicate", (story_id, member["url"])
                assert member["duplicate_of"] in ids - {member["id"]}
                assert 0.75 <= member["data"]["dedupe"]["similarity"] <= 1
    created = [m for m in messages if m["event"] == "article.created"]
    assert len(created) == len(stories)

    second = wirestream("run", "--until-idle", "--timeout", "240")
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(stream_messages(redis_client, keys)) == len(messages)
    assert "articles published: 0" in second.stdout


def test_without_allowed_networks_loopback_is_refused_into_the_dead_letter_stream(
    wirestream: Wirestream, simweb: SimWeb, redis_client: redis.Redis, keys: Keys
) -> None:
    feed_url = simweb.feed_urls()[0]
    assert wirestream("feeds", "add", "--no-check", feed_url).returncode == 0

    run = wirestream("run", "--until-idle", "--timeout", "120", WIRESTREAM_ALLOWED_NETWORKS="")
    # A run in which no feed answered achieved nothing: it says so, and exits 1.
    assert run.returncode == 1, run.stderr[-3000:]
    assert "wirestream: run: every feed poll failed (1)" in run.stderr

    assert redis_client.xlen(keys.articles_stream) == 0
    assert sum(simweb.hits().values()) == 0, "the guard must refuse before connecting"
    [letter] = dead_letters(redis_client, keys)
    assert letter["stage"] == "fetch"
    assert "refused address 127.0.0.1" in letter["reason"]
    assert json.loads(letter["input"])["feed_url"] == feed_url
    listed = [json.loads(line) for line in wirestream("feeds", "list").stdout.splitlines()]
    assert "refused address" in listed[0]["last_error"]
