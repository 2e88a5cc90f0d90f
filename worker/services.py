"""The resources one process uses, built once (after the fork) and closed on shutdown."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from worker.adapters.boilerplate import HostLines
from worker.adapters.canonicals import CanonicalClaims
from worker.adapters.cpu import CpuRunner, Inline
from worker.adapters.durability import Durability
from worker.adapters.http import HttpClient
from worker.adapters.metrics import Histograms
from worker.adapters.politeness import Politeness
from worker.adapters.redis_client import RedisClient, RedisOptions, connect
from worker.adapters.store import FeedStore, SeenStore, Stats
from worker.adapters.stream import ArticleStream, DeadLetters, DedupeSettings
from worker.adapters.task_schedule import TaskSchedule
from worker.keys import Keys
from worker.logs import configure_logging, get_logger
from worker.models import FeedEntry
from worker.settings import Settings, read_config_file
from worker.stages.entities import load_spacy_model
from worker.stages.rules import RuleSet, parse_rules
from worker.stages.tag import Tagger

EntrySink = Callable[[Sequence[FeedEntry]], None]


def utc_now() -> datetime:
    return datetime.now(UTC)


log = get_logger(__name__)

# A worker's latency observations reach Redis in one trip a second (worker.adapters.metrics).
HISTOGRAM_FLUSH_SECONDS = 1.0


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
    histograms: Histograms
    host_lines: HostLines
    canonicals: CanonicalClaims
    enqueue_entries: EntrySink
    rules: RuleSet
    schedule: TaskSchedule
    clock: Callable[[], datetime] = utc_now
    random_fraction: Callable[[], float] = field(default=random.random)
    politeness: Politeness | None = None
    cpu: CpuRunner = field(default_factory=Inline)
    """Where an article's CPU steps run: in this process, or in the articles worker's
    processes (``worker.adapters.cpu``)."""

    def close(self) -> None:
        self.histograms.close()
        self.http.close()
        if self.politeness is not None:
            self.politeness.close()
        self.redis.close()


def build_services(settings: Settings, redis_url: str, enqueue_entries: EntrySink) -> Services:
    keys = Keys.for_settings(settings)
    client = connect(redis_url, RedisOptions.from_settings(settings))
    durability = Durability(
        replicas=settings.publish_wait_replicas, timeout_ms=settings.publish_wait_timeout_ms
    )
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
            client,
            keys,
            maxlen=settings.stream_maxlen,
            max_age_seconds=settings.stream_max_age,
            ttl_seconds=settings.article_ttl_seconds,
            dedupe=DedupeSettings(
                threshold=settings.dedupe_threshold,
                window_seconds=settings.dedupe_window_seconds,
                mode=settings.dedupe_mode,
            ),
            durability=durability,
        ),
        dead=DeadLetters(client, keys, maxlen=settings.dead_maxlen),
        stats=Stats(client, keys),
        histograms=Histograms(client, keys, flush_seconds=HISTOGRAM_FLUSH_SECONDS),
        host_lines=HostLines(
            client,
            keys,
            min_pages=settings.boilerplate_min_pages,
            ttl_seconds=settings.boilerplate_ttl_seconds,
        ),
        # What a host's pages claim as canonical is learnt about its template, as its
        # boilerplate is, and forgotten as fast.
        canonicals=CanonicalClaims(client, keys, ttl_seconds=settings.boilerplate_ttl_seconds),
        enqueue_entries=enqueue_entries,
        rules=load_rules(settings),
        schedule=TaskSchedule(client, keys, durability=durability),
    )


def prepare_cpu_process(settings: Settings) -> None:
    """What a CPU process of the articles worker (``worker.adapters.cpu``) does before its
    first step: its log lines in the worker's format (a fork server's child inherits no
    logging set-up), and its tagger built, spaCy's import included."""
    configure_logging(settings.log_level, settings.log_format)
    build_tagger(settings)


def build_tagger(settings: Settings) -> Tagger:
    """One per process, with the spaCy pipeline when it is installed. Threads wait for the
    first to build it: concurrent first imports of spaCy deadlocked a threads pool."""
    with _TAGGER_LOCK:
        return _tagger(settings.tags_file, settings.ner_model)


_TAGGER_LOCK = threading.Lock()


def warm_up_tagger(settings: Settings) -> None:
    """Build the gazetteers (about a second) before the worker forks, so its processes share
    them. spaCy is not imported here: its thread pools do not survive a fork (prefork
    children hung on their first task)."""
    _tagger_without_model(settings.tags_file)


@cache
def _tagger(tags_file: Path, ner_model: str) -> Tagger:
    model = load_spacy_model(ner_model)
    if ner_model and model is None:
        # An image built with SPACY_MODEL= has neither spaCy nor the pipeline: say so once
        # per process, and tag people and organisations by the rules.
        log.warning("ner_model_unavailable", ner_model=ner_model, fallback="rules")
    return _tagger_without_model(tags_file).with_model(model)


@cache
def _tagger_without_model(tags_file: Path) -> Tagger:
    return Tagger.from_toml(read_config_file(tags_file, "tags"), source=str(tags_file))


def load_rules(settings: Settings) -> RuleSet:
    """The user rules; a broken file is a ConfigError with its line and the reason."""
    return parse_rules(
        read_config_file(settings.rules_file, "rules"), source=str(settings.rules_file)
    )
