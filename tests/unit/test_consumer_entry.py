"""The consumer's pure parts: start positions, backoff, the entry JSON and its schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import redis
from jsonschema import Draft202012Validator

from worker.consumer import Backoff, Consumer, EntryError, Start, StreamEntry, entry_schema

FIELDS = {
    "schema": "wirestream.article/1", "event": "article.updated", "id": "a" * 32,
    "url": "https://news.example/a", "feed": "f1", "lang": "en", "cluster": "b" * 32,
    "data": '{"title": "T\\u00e9"}',
}  # fmt: skip


def test_since_starts_just_before_the_first_millisecond_at_or_after_the_time() -> None:
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    assert Start.since(moment).id == f"1796083199999-{2**64 - 1}"
    assert Start.since(moment.replace(tzinfo=None)) == Start.since(moment)  # naive is UTC
    assert Start.since(moment + timedelta(milliseconds=1)).id.startswith("1796083200000-")


def test_named_start_positions() -> None:
    assert (Start.newest().id, Start.beginning().id) == ("$", "0")
    assert Start.after("1796083200000-3").id == "1796083200000-3"


def test_backoff_doubles_per_delivery_up_to_its_maximum() -> None:
    backoff = Backoff(base=0.5, maximum=3.0)
    assert [backoff.delay(n) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_the_entry_json_is_the_stream_id_the_fields_and_data_decoded() -> None:
    entry = StreamEntry("1796083200000-0", FIELDS, deliveries=2)
    assert json.loads(entry.to_json()) == {
        "stream_id": "1796083200000-0", **FIELDS, "data": {"title": "Té"},
    }  # fmt: skip
    assert (entry.event, entry.article_id, entry.cluster) == ("article.updated", "a" * 32, "b" * 32)
    assert entry.idempotency_key == f"{'a' * 32}:article.updated:1796083200000-0"


def test_the_key_of_an_entry_with_a_revision_does_not_depend_on_its_stream_id() -> None:
    fields = {**FIELDS, "revision": "3", "data": json.dumps({"dedupe": {"content_hash": "c" * 32}})}
    published = StreamEntry("1796083200000-0", fields)
    published_again = StreamEntry("1796083204000-0", fields)  # after a failover took it back
    assert published.revision == 3
    assert published.idempotency_key == f"{'a' * 32}:article.updated:3:{'c' * 32}"
    assert published_again.idempotency_key == published.idempotency_key
    next_revision = StreamEntry("1796083205000-0", {**fields, "revision": "4"})
    other_body = {**fields, "data": json.dumps({"dedupe": {"content_hash": "d" * 32}})}
    assert next_revision.idempotency_key != published.idempotency_key
    assert StreamEntry("1796083200000-0", other_body).idempotency_key != published.idempotency_key


def test_data_that_is_not_a_json_object_is_an_entry_error() -> None:
    with pytest.raises(EntryError, match="entry 1-0: data is not JSON"):
        StreamEntry("1-0", {**FIELDS, "data": "{broken"}).to_dict()
    with pytest.raises(EntryError, match="data is not a JSON object"):
        StreamEntry("1-0", {**FIELDS, "data": "[1]"}).to_dict()


def test_the_shipped_schema_is_valid_and_checks_the_stream_id_format() -> None:
    schema = entry_schema()
    Draft202012Validator.check_schema(schema)
    stream_id = schema["properties"]["stream_id"]
    validator = Draft202012Validator(stream_id)
    assert validator.is_valid("1796083200000-0")
    assert not validator.is_valid("1796083200000")


def test_a_redis_outage_is_retried_within_seconds_however_long_it_lasted() -> None:
    """Not after the entries' backoff (up to a minute) once Redis is back or writes again."""
    unused = redis.Redis(decode_responses=True)  # never connected: no call is made
    consumer = Consumer(unused, "g")

    waits = [consumer.outage_wait(outages) for outages in range(1, 8)]

    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    assert Consumer(unused, "g", backoff=Backoff(0.1, 0.2)).outage_wait(9) == 0.2
