"""Reading the article stream as a consumer group: ack after handling, reclaim, gaps, replay.

::

    from worker.consumer import Consumer, StreamEntry

    def handle(entry: StreamEntry) -> None:
        print(entry.stream_id, entry.event, entry.data["title"])

    with Consumer.connect("my-app") as consumer:  # settings as every command resolves them
        consumer.run(handle)

Guarantees (docs/consume.md has the whole story):

- at least once: an entry is acknowledged only after its handler returned; a handler that
  raises leaves it pending, and it is delivered again after a backoff; after
  ``max_deliveries`` it goes to the group's dead-letter stream with the error and is acked;
- on start, a consumer first takes its own pending entries, then the pending entries of
  consumers idle for ``min_idle`` seconds (XAUTOCLAIM), then new ones;
- a consumer that stops deletes itself from the group only when it holds no pending entry;
- SIGTERM or SIGINT finishes the batch in hand, acknowledges it, then stops;
- entries a group had not read that were trimmed away are reported once (a log line and
  ``on_gap``) with the exact number lost and between which ids.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from worker.adapters.redis_client import RedisClient
from worker.keys import Keys
from worker.settings import Settings

SCHEMA = "wirestream.article/1"
"""The one entry schema this consumer understands; another raises :class:`EntryError`."""


@dataclass(frozen=True)
class StreamEntry:
    """One delivered entry of the article stream.

    ``fields`` are the entry's flat fields as published (``schema``, ``event``, ``id``,
    ``url``, ``feed``, ``lang``, ``cluster``, maybe ``duplicate_of``, ``data`` as JSON text).
    ``data`` is parsed on first use, so a handler that filters on the flat fields pays
    nothing for the article body."""

    stream_id: str
    fields: Mapping[str, str]
    deliveries: int = 1
    """How many times the group delivered this entry, this delivery included."""

    @property
    def event(self) -> str:
        return self.fields.get("event", "")

    @property
    def article_id(self) -> str:
        return self.fields.get("id", "")

    @property
    def cluster(self) -> str:
        return self.fields.get("cluster", "")

    @property
    def schema(self) -> str:
        return self.fields.get("schema", "")

    @property
    def idempotency_key(self) -> str:
        """What a sink keys on so a redelivery changes nothing: the article, the event and the
        stream id (an ``article.updated`` of the same article is a new entry, a new id)."""
        return f"{self.article_id}:{self.event}:{self.stream_id}"

    @cached_property
    def data(self) -> dict[str, Any]:
        """The article (the entry's ``data`` field decoded)."""
        parsed = json.loads(self.fields.get("data") or "{}")
        if not isinstance(parsed, dict):
            raise EntryError(self.stream_id, "data is not a JSON object")
        return parsed

    def to_dict(self) -> dict[str, Any]:
        """The entry as every command prints or pipes it: ``stream_id``, the flat fields, and
        ``data`` decoded. Validates against :func:`entry_schema`."""
        return {"stream_id": self.stream_id, **self.fields, "data": self.data}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)


class EntryError(ValueError):
    """An entry that is not a wirestream article: dead-lettered at once, never retried."""

    def __init__(self, stream_id: str, reason: str) -> None:
        self.stream_id = stream_id
        self.reason = reason
        super().__init__(f"consume: entry {stream_id}: {reason}")


class PartialFailure(Exception):
    """Raised by a batch handler that handled some entries of its batch and not others:
    ``failed`` maps the stream id of each failed entry to its error. The others are acked."""

    def __init__(self, failed: Mapping[str, str]) -> None:
        self.failed = dict(failed)
        super().__init__(f"{len(self.failed)} entries failed")


Handler = Callable[[StreamEntry], None]
"""Handles one entry; returning acks it, raising leaves it pending for a later delivery."""

BatchHandler = Callable[[Sequence[StreamEntry]], None]
"""Handles a batch (one transaction, one request); returning acks all of it, raising
:class:`PartialFailure` acks all but the failed ones, raising anything else acks none."""


@dataclass(frozen=True)
class Gap:
    """Entries the group had not read that were trimmed away before it could."""

    group: str
    lost: int
    after_id: str  # the last entry the group had been delivered
    before_id: str  # the first entry still in the stream


@dataclass(frozen=True)
class Start:
    """Where a group that does not exist yet begins (an existing group keeps its place)."""

    id: str
    """A stream id: the group is delivered the entries after it ('$': newest, '0': all)."""

    @classmethod
    def newest(cls) -> Start:
        return cls("$")

    @classmethod
    def beginning(cls) -> Start:
        return cls("0")

    @classmethod
    def after(cls, stream_id: str) -> Start:
        return cls(stream_id)

    @classmethod
    def since(cls, moment: datetime) -> Start:
        """The first entry at or after ``moment``: stream ids are milliseconds of the XADD."""
        milliseconds = int(moment.timestamp() * 1000)
        return cls(f"{milliseconds - 1}-{MAX_SEQUENCE}" if milliseconds > 0 else "0")


MAX_SEQUENCE = 2**64 - 1


@dataclass(frozen=True)
class Backoff:
    """Delay before an entry whose handler failed is delivered again: ``base`` seconds after
    the first failure, doubling per delivery, at most ``maximum``."""

    base: float = 1.0
    maximum: float = 60.0

    def delay(self, deliveries: int) -> float:
        return float(min(self.base * 2 ** max(deliveries - 1, 0), self.maximum))


def default_consumer_name() -> str:
    """Host and process id: unique among the consumers of a group on several hosts."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Consumer:
    """A member of a consumer group of one stream (default: ``<namespace>:articles``).

    Parameters:
        client: a redis-py client with ``decode_responses=True`` (``Consumer.connect`` makes
            one from the settings).
        group: the consumer group; created at ``start`` when it does not exist.
        keys: the namespace's key names (default: namespace ``wirestream``).
        consumer: this consumer's name in the group (default: host and process id).
        stream: the stream read (default: the articles stream; a routed stream also works).
        start: where a new group begins (default: the newest entry; see :class:`Start`).
        max_deliveries: deliveries of one entry before it goes to the group's dead-letter
            stream (default 5).
        min_idle: seconds an entry stays pending with another consumer before this one
            claims it (default 60: longer than any handler should take).
        batch_size: entries read per round trip (default 100).
        block: seconds one read waits for new entries (default 5).
        backoff: delay before a failed entry is delivered again (default 1 s doubling to 60 s).
        on_gap: called once per gap with its :class:`Gap` (a log line is written anyway).
        validate: check each entry against :func:`entry_schema` before its handler sees it;
            an invalid one is dead-lettered (default off: the publisher validates).
        dead_maxlen: approximate cap on the group's dead-letter stream.
    """

    def __init__(
        self,
        client: RedisClient,
        group: str,
        *,
        keys: Keys | None = None,
        consumer: str | None = None,
        stream: str | None = None,
        start: Start | None = None,
        max_deliveries: int = 5,
        min_idle: float = 60.0,
        batch_size: int = 100,
        block: float = 5.0,
        backoff: Backoff | None = None,
        on_gap: Callable[[Gap], None] | None = None,
        validate: bool = False,
        dead_maxlen: int = 100_000,
    ) -> None:
        self.redis = client
        self.group = group
        self.keys = keys or Keys("wirestream")
        self.name = consumer or default_consumer_name()
        self.stream = stream or self.keys.articles_stream
        self.start = start or Start.newest()
        self.max_deliveries = max_deliveries
        self.min_idle = min_idle
        self.batch_size = batch_size
        self.block = block
        self.backoff = backoff or Backoff()
        self.on_gap = on_gap
        self.validate = validate
        self.dead_maxlen = dead_maxlen

    @classmethod
    @contextmanager
    def connect(
        cls, group: str, *, settings: Settings | None = None, **options: Any
    ) -> Iterator[Consumer]:
        """A consumer on the Redis every ``wirestream`` command uses: ``WIRESTREAM_REDIS_URL``,
        or the embedded server (started for the block when no command runs it)."""
        raise NotImplementedError

    def run(
        self,
        handler: Handler | None = None,
        *,
        batch_handler: BatchHandler | None = None,
        limit: int | None = None,
        until_idle: bool = False,
    ) -> int:
        """Deliver entries until SIGTERM/SIGINT, ``stop()``, ``limit`` entries settled (acked
        or dead-lettered), or with ``until_idle`` nothing left to read; returns how many were
        settled."""
        raise NotImplementedError

    def stop(self) -> None:
        """Finish the batch in hand, ack it, and return from :meth:`run`."""
        raise NotImplementedError


def entry_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of an entry as printed, piped and returned by
    :meth:`StreamEntry.to_dict`."""
    raise NotImplementedError
