"""The atomic claim-and-append against a real Redis."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import redis

from worker.adapters.durability import Durability
from worker.adapters.redis_client import connect
from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.consumer import StreamEntry
from worker.keys import Keys
from worker.stages.dedupe import Fingerprint
from worker.stages.publish import OutgoingMessage

ORIGINAL = "a" * 32
COPY = "b" * 32
BODY = "1" * 32
NEW_BODY = "2" * 32
DEDUPE = DedupeSettings(threshold=0.8, window_seconds=7 * 86_400, mode="emit")
UNINDEXED = Fingerprint(b"", 0)  # these tests are about exact bodies: no near-duplicate index
# Dated from today, not a fixed day: the publish script sets absolute expiries (EXPIREAT),
# so a fixed date slides out of every window as the calendar moves on.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)


def message(article_id: str, content_hash: str) -> OutgoingMessage:
    data = json.dumps({"id": article_id, "authors": [], "tags": {"places": []}})
    return OutgoingMessage(
        article_id=article_id,
        content_hash=content_hash,
        flat_fields={
            "schema": "wirestream.article/1",
            "id": article_id,
            "url": f"https://example.org/{article_id}",
            "feed": "f1",
            "lang": "en",
        },
        data_without_dedupe=data[:-1],
    )


def stream_events(client: redis.Redis, keys: Keys) -> list[dict[str, str]]:
    return [fields for _, fields in client.xrange(keys.articles_stream)]


def test_first_publish_is_created_and_a_redelivery_publishes_nothing(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    first = stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    again = stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    assert first.event == "article.created"
    assert first.cluster_id == ORIGINAL
    assert again.event is None
    assert again.stream_id == first.stream_id
    assert len(stream_events(redis_client, keys)) == 1


def test_same_body_under_another_id_is_a_duplicate_of_the_first(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    copy = stream.publish(message(COPY, BODY), UNINDEXED, at=NOW)
    assert copy.event == "article.duplicate"
    assert copy.duplicate_of == ORIGINAL
    assert copy.cluster_id == ORIGINAL
    fields = stream_events(redis_client, keys)[1]
    assert fields["duplicate_of"] == ORIGINAL
    dedupe = json.loads(fields["data"])["dedupe"]
    assert dedupe == {
        "content_hash": BODY,
        "cluster_id": ORIGINAL,
        "duplicate_of": ORIGINAL,
        "similarity": 1.0,
    }


def test_new_body_at_a_known_url_is_an_update_in_the_same_cluster(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    update = stream.publish(message(ORIGINAL, NEW_BODY), UNINDEXED, at=NOW)
    assert update.event == "article.updated"
    assert update.cluster_id == ORIGINAL
    assert [f["event"] for f in stream_events(redis_client, keys)] == [
        "article.created",
        "article.updated",
    ]


def test_an_event_a_failover_took_back_is_published_again_under_the_same_revision(
    redis_client: redis.Redis, redis_url: str, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    raw = redis.Redis.from_url(redis_url)  # DUMP values are bytes
    replica = {key: raw.dump(key) for key in raw.scan_iter(f"{keys.namespace}:*")}
    taken_back = stream.publish(message(ORIGINAL, NEW_BODY), UNINDEXED, at=NOW)
    [(_, taken_back_fields)] = redis_client.xrange(keys.articles_stream, taken_back.stream_id)
    taken_back_entry = StreamEntry(taken_back.stream_id or "", taken_back_fields)

    # The promoted replica had everything up to the update, and nothing of it.
    raw.delete(*raw.scan_iter(f"{keys.namespace}:*"))
    for key, value in replica.items():
        raw.restore(key, 0, value)
    raw.close()
    published_again = stream.publish(message(ORIGINAL, NEW_BODY), UNINDEXED, at=NOW)
    later = stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)

    assert published_again.stream_id != taken_back.stream_id
    created, updated, updated_again = (
        StreamEntry(entry_id, fields)
        for entry_id, fields in redis_client.xrange(keys.articles_stream)
    )
    assert [entry.revision for entry in (created, updated, updated_again)] == [1, 2, 3]
    assert updated.stream_id == published_again.stream_id
    assert updated.idempotency_key == taken_back_entry.idempotency_key
    assert later.event == "article.updated"
    assert updated_again.idempotency_key != updated.idempotency_key


def test_spliced_data_keeps_empty_lists_and_is_valid_json(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    data = json.loads(stream_events(redis_client, keys)[0]["data"])
    assert data["authors"] == []
    assert data["tags"] == {"places": []}


def test_claims_expire_with_the_configured_ttl(redis_client: redis.Redis, keys: Keys) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    stream.publish(message(ORIGINAL, BODY), UNINDEXED, at=NOW)
    assert 0 < redis_client.ttl(keys.article(ORIGINAL)) <= 60
    assert 0 < redis_client.ttl(keys.content(BODY)) <= 60


def test_concurrent_publishes_of_one_body_yield_exactly_one_original(
    redis_url: str, keys: Keys, redis_client: redis.Redis
) -> None:
    ids = [f"{n:032x}" for n in range(1, 17)]
    barrier = threading.Barrier(len(ids))

    def publish(article_id: str) -> None:
        client = redis.Redis.from_url(redis_url, decode_responses=True)
        stream = ArticleStream(client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
        barrier.wait()
        stream.publish(message(article_id, BODY), UNINDEXED, at=NOW)
        stream.publish(message(article_id, BODY), UNINDEXED, at=NOW)  # a redelivery on top
        client.close()

    threads = [threading.Thread(target=publish, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    events = stream_events(redis_client, keys)
    created = [f for f in events if f["event"] == "article.created"]
    assert len(events) == len(ids)
    assert len(created) == 1
    assert {f["duplicate_of"] for f in events if f["event"] == "article.duplicate"} == {
        created[0]["id"]
    }


def test_stream_is_trimmed_near_maxlen(redis_client: redis.Redis, keys: Keys) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=10, ttl_seconds=60, dedupe=DEDUPE)
    for n in range(300):
        stream.publish(message(f"{n:032x}", f"{n:032x}"), UNINDEXED, at=NOW)
    assert redis_client.xlen(keys.articles_stream) < 300


def test_routes_receive_the_same_entry_only_when_something_is_published(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)
    routed = replace(message(ORIGINAL, BODY), routes=("korea", "afp"))
    stream.publish(routed, UNINDEXED, at=NOW)
    stream.publish(routed, UNINDEXED, at=NOW)  # a redelivery: nothing new anywhere
    [(_, main)] = redis_client.xrange(keys.articles_stream)
    for route in ("korea", "afp"):
        [(_, copy)] = redis_client.xrange(keys.route_stream(route))
        assert copy == main


def test_a_publish_waiting_for_absent_replicas_is_counted_unreplicated_and_kept(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    # The shared test Redis has no replica: WAIT 1 can only time out.
    client = connect(redis_url)
    stream = ArticleStream(
        client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE,
        durability=Durability(replicas=1, timeout_ms=20),
    )  # fmt: skip

    first = stream.publish(message("a" * 32, BODY), UNINDEXED, at=NOW)
    stream.publish(message("b" * 32, NEW_BODY), UNINDEXED, at=NOW)
    client.close()

    assert first.event == "article.created"
    assert redis_client.xlen(keys.articles_stream) == 2
    assert redis_client.hget(keys.stats, "publish.unreplicated") == "2"


def test_without_the_durability_setting_a_publish_does_not_wait(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = ArticleStream(redis_client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE)

    stream.publish(message("c" * 32, BODY), UNINDEXED, at=NOW)

    assert redis_client.xlen(keys.articles_stream) == 1
    assert redis_client.hget(keys.stats, "publish.unreplicated") is None


def wait_calls(client: redis.Redis) -> int:
    return int(client.info("commandstats").get("cmdstat_wait", {}).get("calls", 0))


def test_after_a_wait_that_timed_out_the_next_writes_do_not_wait_until_the_recheck(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    # The shared test Redis has no replica, as a promoted primary has none after a failover.
    client = connect(redis_url)
    durability = Durability(replicas=1, timeout_ms=20)
    stream = ArticleStream(
        client, keys, maxlen=1000, ttl_seconds=60, dedupe=DEDUPE, durability=durability
    )
    before = wait_calls(redis_client)
    for index in range(3):
        stream.publish(message(f"{index}" * 32, BODY), UNINDEXED, at=NOW)
    assert wait_calls(redis_client) - before == 1  # the first waited; the others did not
    durability.watch.missing_until = 0.0  # the recheck is due
    stream.publish(message("d" * 32, BODY), UNINDEXED, at=NOW)
    client.close()

    assert wait_calls(redis_client) - before == 2
    assert redis_client.xlen(keys.articles_stream) == 4
    assert redis_client.hget(keys.stats, "publish.unreplicated") == "4"
