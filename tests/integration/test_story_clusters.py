"""Near-duplicate clustering inside the atomic publish script, against a real Redis."""

from __future__ import annotations

import json
import multiprocessing
from datetime import UTC, datetime, timedelta

import redis

from worker.adapters.redis_client import connect
from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.keys import Keys
from worker.models import PublishResult, utc_iso
from worker.simweb import catalog
from worker.stages.dedupe import BAND_ROWS, BANDS, fingerprint
from worker.stages.publish import OutgoingMessage, content_hash
from worker.stages.urls import short_digest

WEEK = 7 * 86_400
EMIT = DedupeSettings(threshold=0.75, window_seconds=WEEK, mode="emit")
# Dated from today, not a fixed day: the publish script sets absolute expiries (EXPIREAT),
# so a fixed date slides out of every window as the calendar moves on.
NOW = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=12)
SEOUL = next(a for a in catalog.ARTICLES if a.story_id.startswith("afp-") and not a.edits)
TORNADOES = next(a for a in catalog.ARTICLES if a.story_id.startswith("ap-") and not a.edits)
ORIGINAL_TEXT = "\n\n".join(SEOUL.paragraphs)
EDITED_TEXT = "\n\n".join(
    [
        "SEOUL (AFP) - " + SEOUL.paragraphs[0],
        *SEOUL.paragraphs[1:4],
        "In Canberra, the government said it shared the concern of its ally.",
        *SEOUL.paragraphs[4:-3],
    ]
)
OTHER_TEXT = "\n\n".join(TORNADOES.paragraphs)


def article_id(name: str) -> str:
    return short_digest(f"https://{name}.example/story")


def message(name: str, text: str) -> OutgoingMessage:
    identifier = article_id(name)
    data = json.dumps({"id": identifier, "text": text}, ensure_ascii=False)
    return OutgoingMessage(
        article_id=identifier,
        content_hash=content_hash(text),
        flat_fields={
            "schema": "wirestream.article/1",
            "id": identifier,
            "url": f"https://{name}.example/story",
            "feed": f"feed-{name}",
            "lang": "en",
        },
        data_without_dedupe=data[:-1],
    )


def publish(stream: ArticleStream, name: str, text: str, at: datetime = NOW) -> PublishResult:
    return stream.publish(message(name, text), fingerprint(text), at=at)


def stream_for(client: redis.Redis, keys: Keys, dedupe: DedupeSettings = EMIT) -> ArticleStream:
    return ArticleStream(client, keys, maxlen=1000, ttl_seconds=90 * 86_400, dedupe=dedupe)


def entries(client: redis.Redis, keys: Keys) -> list[dict[str, str]]:
    return [fields for _, fields in client.xrange(keys.articles_stream)]


def test_an_edited_copy_is_a_duplicate_in_the_originals_cluster(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = stream_for(redis_client, keys)
    original = publish(stream, "wire", ORIGINAL_TEXT)
    copy = publish(stream, "outlet", EDITED_TEXT, NOW + timedelta(hours=2))
    other = publish(stream, "elsewhere", OTHER_TEXT, NOW + timedelta(hours=3))

    assert original.event == "article.created"
    assert copy.event == "article.duplicate"
    assert copy.duplicate_of == original.cluster_id == article_id("wire")
    assert copy.cluster_id == article_id("wire")
    assert copy.similarity is not None and 0.75 <= copy.similarity < 1.0
    assert other.event == "article.created"
    assert other.cluster_id == article_id("elsewhere")

    created, duplicate, _ = entries(redis_client, keys)
    assert duplicate["event"] == "article.duplicate"
    assert duplicate["cluster"] == duplicate["duplicate_of"] == article_id("wire")
    dedupe = json.loads(duplicate["data"])["dedupe"]
    assert dedupe["cluster_id"] == article_id("wire")
    assert dedupe["similarity"] == copy.similarity
    assert json.loads(created["data"])["dedupe"]["similarity"] is None


def test_the_cluster_lists_its_members_with_feed_time_and_similarity(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = stream_for(redis_client, keys)
    publish(stream, "wire", ORIGINAL_TEXT)
    publish(stream, "outlet", EDITED_TEXT, NOW + timedelta(hours=2))
    publish(stream, "syndicator", ORIGINAL_TEXT, NOW + timedelta(hours=4))  # exact copy

    members = [json.loads(m) for m in redis_client.lrange(keys.cluster(article_id("wire")), 0, -1)]
    assert [(m["id"], m["event"]) for m in members] == [
        (article_id("wire"), "article.created"),
        (article_id("outlet"), "article.duplicate"),
        (article_id("syndicator"), "article.duplicate"),
    ]
    assert members[0]["similarity"] is None
    assert 0.75 <= members[1]["similarity"] < 1
    assert members[2]["similarity"] == 1.0
    assert members[1]["feed"] == "feed-outlet"
    assert members[1]["at"] == utc_iso(NOW + timedelta(hours=2))
    assert 0 < redis_client.ttl(keys.cluster(article_id("wire"))) <= WEEK


def test_with_mode_drop_a_copy_is_counted_but_not_published(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = stream_for(redis_client, keys, DedupeSettings(0.75, WEEK, "drop"))
    publish(stream, "wire", ORIGINAL_TEXT)
    copy = publish(stream, "outlet", EDITED_TEXT)
    again = publish(stream, "outlet", EDITED_TEXT)  # a redelivery

    assert copy.event == "article.duplicate"
    assert copy.stream_id is None
    assert again.event is None
    assert [e["event"] for e in entries(redis_client, keys)] == ["article.created"]
    stats = redis_client.hgetall(keys.stats)
    assert stats["dropped.duplicate"] == "1"
    assert stats["article.duplicate"] == "1"


def test_a_copy_after_the_window_starts_a_new_story(redis_client: redis.Redis, keys: Keys) -> None:
    stream = stream_for(redis_client, keys, DedupeSettings(0.75, 86_400, "emit"))
    publish(stream, "wire", ORIGINAL_TEXT)
    late = publish(stream, "outlet", EDITED_TEXT, NOW + timedelta(days=1, minutes=1))
    assert late.event == "article.created"
    assert late.cluster_id == article_id("outlet")


def test_index_buckets_expire_a_window_after_they_end(
    redis_client: redis.Redis, keys: Keys
) -> None:
    publish(stream_for(redis_client, keys), "wire", ORIGINAL_TEXT, datetime.now(UTC))
    [bucket] = redis_client.keys(f"{keys.namespace}:lsh:*")
    assert WEEK < redis_client.ttl(bucket) <= WEEK + WEEK // 8


def test_new_content_at_the_same_url_is_an_update_in_the_same_cluster(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = stream_for(redis_client, keys)
    publish(stream, "wire", ORIGINAL_TEXT)
    update = publish(stream, "wire", EDITED_TEXT, NOW + timedelta(hours=1))
    assert update.event == "article.updated"
    assert update.cluster_id == article_id("wire")
    assert update.duplicate_of is None


def _publish_when_released(
    redis_url: str, namespace: str, name: str, text: str, barrier: multiprocessing.Barrier
) -> None:
    client = connect(redis_url)
    stream = stream_for(client, Keys(namespace))
    barrier.wait()
    publish(stream, name, text)
    client.close()


def test_copies_published_at_once_by_several_processes_have_one_original(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    paragraphs = SEOUL.paragraphs
    copies = {
        "wire": ORIGINAL_TEXT,
        "outlet-a": EDITED_TEXT,
        "outlet-b": "\n\n".join(paragraphs[:-2]),
        "outlet-c": "\n\n".join([*paragraphs, "© 2026 AFP. All rights reserved."]),
        "outlet-d": "\n\n".join(paragraphs[1:]),
        "outlet-e": ORIGINAL_TEXT,
    }
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(len(copies))
    workers = [
        context.Process(
            target=_publish_when_released,
            args=(redis_url, keys.namespace, name, text, barrier),
        )
        for name, text in copies.items()
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0

    published = entries(redis_client, keys)
    assert len(published) == len(copies)
    events = sorted(entry["event"] for entry in published)
    assert events == ["article.created"] + ["article.duplicate"] * (len(copies) - 1)
    original = next(e for e in published if e["event"] == "article.created")
    assert {entry["cluster"] for entry in published} == {original["id"]}


def test_a_band_shared_by_many_articles_keeps_only_the_newest_refs(
    redis_url: str, redis_client: redis.Redis, keys: Keys
) -> None:
    dedupe = DedupeSettings(0.75, WEEK, "emit", max_refs_per_band=8)
    stream = stream_for(redis_client, keys, dedupe)
    shared = fingerprint(ORIGINAL_TEXT)
    for number in range(20):
        text = f"{ORIGINAL_TEXT} {number}"
        stream.publish(message(f"outlet-{number}", text), shared, at=NOW)
    raw = redis.Redis.from_url(redis_url)  # band fields are binary
    [bucket] = raw.keys(f"{keys.namespace}:lsh:*")
    bands = {f: v for f, v in raw.hgetall(bucket).items() if not f.startswith(b"s")}
    raw.close()
    # Each band's field: its number, then its rows' two-byte values from the signature.
    width = 2 * BAND_ROWS
    assert set(bands) == {
        bytes([band]) + shared.signature[band * width : (band + 1) * width] for band in range(BANDS)
    }
    assert all(len(refs) == 8 * 12 for refs in bands.values())
    newest = article_id("outlet-19")[:12].encode()
    assert all(refs.endswith(newest) for refs in bands.values())


def test_cluster_size_counts_the_story_as_publishing_would_without_writing(
    redis_client: redis.Redis, keys: Keys
) -> None:
    stream = stream_for(redis_client, keys)
    original, exact, edited = (
        message("wire", ORIGINAL_TEXT),
        message("mirror", ORIGINAL_TEXT),
        (message("outlet", EDITED_TEXT)),
    )

    def size(subject: OutgoingMessage, text: str) -> int:
        return stream.cluster_size(
            subject.article_id, subject.content_hash, fingerprint(text), at=NOW
        )

    assert size(original, ORIGINAL_TEXT) == 1
    assert size(original, ORIGINAL_TEXT) == 1  # asking writes nothing
    assert entries(redis_client, keys) == []
    stream.publish(original, fingerprint(ORIGINAL_TEXT), at=NOW)

    assert size(original, ORIGINAL_TEXT) == 1  # a republication is already counted
    assert size(exact, ORIGINAL_TEXT) == 2
    assert size(edited, EDITED_TEXT) == 2
    assert size(message("elsewhere", OTHER_TEXT), OTHER_TEXT) == 1
    stream.publish(exact, fingerprint(ORIGINAL_TEXT), at=NOW)

    assert size(edited, EDITED_TEXT) == 3
