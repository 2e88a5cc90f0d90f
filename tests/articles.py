"""A stream of article events written by the real publishing script (created, duplicate and
updated events, clusters of several members), for the tests and benchmarks of consumers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import redis

from worker.adapters.stream import ArticleStream, DedupeSettings
from worker.consumer import StreamEntry
from worker.keys import Keys
from worker.stages.dedupe import Fingerprint
from worker.stages.publish import OutgoingMessage

DEDUPE = DedupeSettings(threshold=0.8, window_seconds=7 * 86_400, mode="emit")
UNINDEXED = Fingerprint(b"", 0)  # exact copies only: no near-duplicate index needed


def article_id(number: int) -> str:
    return hashlib.md5(f"article-{number}".encode()).hexdigest()


def message(number: int, version: int, *, copy_of: int | None = None) -> OutgoingMessage:
    """Article ``number`` in its ``version``; a copy carries the body of article ``copy_of``."""
    identifier = article_id(number)
    body_of = copy_of if copy_of is not None else number
    body = hashlib.sha256(f"body-{body_of}-{version}".encode()).hexdigest()[:32]
    published = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=number)
    data: dict[str, Any] = {
        "id": identifier,
        "url": f"https://news.example/{number}",
        "title": f"Story {number}, version {version}",
        "published_at": published.isoformat().replace("+00:00", "Z"),
        "authors": ["A. Writer"],
        "text": f"Body of story {body_of}, version {version}. " * 5,
        "tags": {"places": [], "keywords": []},
    }
    text = json.dumps(data, ensure_ascii=False)
    return OutgoingMessage(
        article_id=identifier,
        content_hash=body,
        flat_fields={
            "schema": "wirestream.article/1",
            "id": identifier,
            "url": data["url"],
            "feed": f"feed-{number % 3}",
            "lang": "en",
        },
        data_without_dedupe=text[:-1],
    )


def story_messages(count: int) -> Iterator[OutgoingMessage]:
    """``count`` messages: mostly new articles, every fifth an exact copy of the article
    before it (a duplicate joining its story), every seventh a new version of an earlier one
    (an update)."""
    versions: dict[int, int] = {}
    number = 0
    for position in range(count):
        if position % 7 == 6 and versions:
            earlier = (position * 3) % number
            versions[earlier] = versions.get(earlier, 1) + 1
            yield message(earlier, versions[earlier])
            continue
        copy_of = number - 1 if position % 5 == 4 and number else None
        versions[number] = 1
        yield message(number, 1, copy_of=copy_of)
        number += 1


def publish_stories(client: redis.Redis, keys: Keys, count: int) -> int:
    """Publish ``count`` messages through the publishing script; the entries it appended."""
    stream = ArticleStream(client, keys, maxlen=1_000_000, ttl_seconds=3600, dedupe=DEDUPE)
    at = datetime.now(UTC) - timedelta(minutes=5)
    for outgoing in story_messages(count):
        stream.publish(outgoing, UNINDEXED, at=at)
    return int(client.xlen(keys.articles_stream))


def idempotency_keys(client: redis.Redis, keys: Keys) -> list[str]:
    """The idempotency key of every entry of the article stream, oldest first."""
    return [
        StreamEntry(str(entry_id), fields).idempotency_key
        for entry_id, fields in client.xrange(keys.articles_stream)
    ]


def decoded_entries(client: redis.Redis, keys: Keys) -> list[dict[str, Any]]:
    """Every entry of the article stream as the package prints it, oldest first."""
    return [
        {"stream_id": str(entry_id), **fields, "data": json.loads(fields["data"])}
        for entry_id, fields in client.xrange(keys.articles_stream)
    ]
