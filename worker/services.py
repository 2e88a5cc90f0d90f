"""The resources one process uses, built once (after the fork) and closed on shutdown."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from worker.adapters.http import HttpClient
from worker.adapters.politeness import Politeness
from worker.adapters.redis_client import RedisClient, connect
from worker.adapters.store import FeedStore, SeenStore, Stats
from worker.adapters.stream import ArticleStream, DeadLetters
from worker.keys import Keys
from worker.models import FeedEntry
from worker.settings import Settings

EntrySink = Callable[[Sequence[FeedEntry]], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    keys: Keys
    redis: RedisClient
    http: HttpClient
    feeds: FeedStore
    seen: SeenStore
    stream: ArticleStream
    dead: DeadLetters
    stats: Stats
    enqueue_entries: EntrySink
    clock: Callable[[], datetime] = utc_now
    random_fraction: Callable[[], float] = field(default=random.random)
    politeness: Politeness | None = None

    def close(self) -> None:
        self.http.close()
        if self.politeness is not None:
            self.politeness.close()
        self.redis.close()


def build_services(settings: Settings, redis_url: str, enqueue_entries: EntrySink) -> Services:
    keys = Keys(settings.namespace)
    client = connect(redis_url)
    politeness = Politeness(client, keys, settings)
    return Services(
        settings=settings,
        keys=keys,
        redis=client,
        http=HttpClient.from_settings(settings, gate=politeness),
        politeness=politeness,
        feeds=FeedStore(client, keys),
        seen=SeenStore(client, keys, ttl_seconds=settings.seen_ttl_seconds),
        stream=ArticleStream(
            client, keys, maxlen=settings.stream_maxlen, ttl_seconds=settings.article_ttl_seconds
        ),
        dead=DeadLetters(client, keys, maxlen=settings.dead_maxlen),
        stats=Stats(client, keys),
        enqueue_entries=enqueue_entries,
    )
