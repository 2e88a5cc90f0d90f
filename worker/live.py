"""What a person watching a terminal reads while the pipeline runs (``demo``, and ``run`` on a
terminal): one line per article published and per failure as they happen, and a status line
(feeds, queue, published, duplicates, dead letters) redrawn in place, so that a quiet moment
reads as waiting, not as hung. Every detail stays in the JSON logs.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from worker.adapters.metrics import read_live_counts
from worker.adapters.redis_client import RedisClient
from worker.adapters.store import Stats
from worker.adapters.stream import StreamReader
from worker.keys import Keys
from worker.runtime import pending_work

# Without a terminal (a log file, a pipe), the status goes out as a line of its own this often.
STATUS_LINE_EVERY_SECONDS = 30.0


class LiveView:
    def __init__(
        self,
        client: RedisClient,
        keys: Keys,
        *,
        on_terminal: bool,
        broker: RedisClient | None = None,
    ) -> None:
        self._client = client
        self._broker = broker
        self._keys = keys
        self._articles = StreamReader(client, keys.articles_stream)
        self._dead = StreamReader(client, keys.dead_stream)
        # Only what happens from now on: a namespace may hold a long history.
        self._last_article = self._articles.newest_id()
        self._last_dead = self._dead.newest_id()
        self._on_terminal = on_terminal
        self._status_drawn = False
        self._next_status_line = time.monotonic() + STATUS_LINE_EVERY_SECONDS
        self.shown = 0

    def refresh(self, wait_ms: int) -> None:
        """Print what came out in the last ``wait_ms`` (waiting for it), then the status."""
        for stream_id, fields in self._articles.read_after(
            self._last_article, count=50, block_ms=wait_ms
        ):
            self._last_article = stream_id
            self.shown += 1
            self._print(describe_article(fields))
        for stream_id, fields in self._dead.read_after(self._last_dead, count=50, block_ms=None):
            self._last_dead = stream_id
            self._print(describe_failure(fields))
        if self._on_terminal:
            sys.stdout.write(f"\r\033[K{self.summary()}")
            sys.stdout.flush()
            self._status_drawn = True
        elif time.monotonic() >= self._next_status_line:
            print(f"status: {self.summary()}", flush=True)
            self._next_status_line += STATUS_LINE_EVERY_SECONDS

    def close(self) -> None:
        self._clear_status()

    def summary(self) -> str:
        counts = read_live_counts(self._client, self._keys, datetime.now(UTC))
        queued = pending_work(self._client, self._keys, self._broker)
        stats = Stats(self._client, self._keys).snapshot()
        polls = stats.get("feeds.polled", 0) + stats.get("feeds.not_modified", 0)
        return (
            f"feeds {counts.feeds} ({counts.feeds_due} due, {polls} polls) | queue {queued} |"
            f" published {counts.stream_length}: created {stats.get('article.created', 0)},"
            f" updated {stats.get('article.updated', 0)},"
            f" duplicates {stats.get('article.duplicate', 0)} | dead letters {counts.dead_length}"
        )

    def _print(self, line: str) -> None:
        self._clear_status()
        print(line, flush=True)

    def _clear_status(self) -> None:
        if self._status_drawn:
            sys.stdout.write("\r\033[K")
            self._status_drawn = False


def describe_article(fields: dict[str, str]) -> str:
    data = json.loads(fields["data"])
    event = fields["event"].removeprefix("article.")
    site = data.get("site_name") or data["feed"].get("title") or ""
    line = f"{event:9} {fields.get('lang') or '--':2}  {site[:22]:22}  {data.get('title') or ''}"
    if fields.get("duplicate_of"):
        line += f"   (copy of {fields['duplicate_of'][:8]})"
    return line


def describe_failure(fields: dict[str, str]) -> str:
    return f"failed    {fields.get('stage', '?')}: {fields.get('reason', '')}"
