"""The resources one process uses, built once (after the fork) and closed on shutdown."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from worker.adapters.http import HttpClient
from worker.adapters.redis_client import RedisClient, connect
from worker.adapters.store import FeedStore, SeenStore, Stats
from worker.adapters.stream import ArticleStream, DeadLetters
from worker.keys import Keys
from worker.models import FeedEntry
from worker.settings import Settings, read_config_file
from worker.stages.entities import load_spacy_model
from worker.stages.rules import RuleSet, parse_rules
from worker.stages.tag import Tagger

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
    tagger: Tagger
    rules: RuleSet
    clock: Callable[[], datetime] = utc_now
    random_fraction: Callable[[], float] = field(default=random.random)

    def close(self) -> None:
        self.http.close()
        self.redis.close()


def build_services(settings: Settings, redis_url: str, enqueue_entries: EntrySink) -> Services:
    keys = Keys(settings.namespace)
    client = connect(redis_url)
    return Services(
        settings=settings,
        keys=keys,
        redis=client,
        http=HttpClient.from_settings(settings),
        feeds=FeedStore(client, keys),
        seen=SeenStore(client, keys, ttl_seconds=settings.seen_ttl_seconds),
        stream=ArticleStream(
            client, keys, maxlen=settings.stream_maxlen, ttl_seconds=settings.article_ttl_seconds
        ),
        dead=DeadLetters(client, keys, maxlen=settings.dead_maxlen),
        stats=Stats(client, keys),
        enqueue_entries=enqueue_entries,
        tagger=build_tagger(settings),
        rules=load_rules(settings),
    )


def build_tagger(settings: Settings) -> Tagger:
    """One per process (the gazetteer takes about a second to build)."""
    return _tagger(settings.tags_file, settings.ner_model)


@cache
def _tagger(tags_file: Path, ner_model: str) -> Tagger:
    text = read_config_file(tags_file, "tags")
    return Tagger.from_toml(text, source=str(tags_file), model=load_spacy_model(ner_model))


def load_rules(settings: Settings) -> RuleSet:
    """The user rules; a broken file is a ConfigError with its line and the reason."""
    return parse_rules(
        read_config_file(settings.rules_file, "rules"), source=str(settings.rules_file)
    )
