"""Per-host line statistics in Redis: which short lines recur across a host's pages.

The extract stage compares; this adapter remembers. For every article first published, the
keys of its short body lines are counted per host (a HASH); a line seen on
``min_pages`` of the host's pages joins the host's boilerplate SET, which the next extraction
on that host gets. Both keys expire ``ttl_seconds`` after the host's last article, so a
redesigned site's old furniture is forgotten. The pages of one feed poll are compared too,
as they are processed: a line that another page of the same poll had is boilerplate at once.
"""

from __future__ import annotations

from collections.abc import Sequence

from worker.adapters.redis_client import RedisClient, redis_errors
from worker.keys import Keys

STAGE = "extract"
# A poll's entries are processed within minutes; its lines are kept a while longer.
POLL_LINES_TTL_SECONDS = 6 * 3600


class HostLines:
    def __init__(
        self, client: RedisClient, keys: Keys, *, min_pages: int, ttl_seconds: int
    ) -> None:
        self._redis = client
        self._keys = keys
        self._min_pages = min_pages
        self._ttl = ttl_seconds

    def recurring(self, host: str) -> frozenset[str]:
        """The keys of the lines that count as the host's boilerplate."""
        with redis_errors(STAGE, host):
            members = self._redis.smembers(self._keys.host_boilerplate(host))
        return frozenset(str(member) for member in members)

    def record(self, host: str, line_keys: Sequence[str]) -> None:
        """Count one more page of ``host`` for each of ``line_keys`` (one page's, unique)."""
        if not line_keys:
            return
        counts_key = self._keys.host_lines(host)
        recurring_key = self._keys.host_boilerplate(host)
        with redis_errors(STAGE, host):
            pipe = self._redis.pipeline(transaction=False)
            for key in line_keys:
                pipe.hincrby(counts_key, key, 1)
            pipe.expire(counts_key, self._ttl)
            counts = pipe.execute()[: len(line_keys)]
            frequent = [
                key
                for key, count in zip(line_keys, counts, strict=True)
                if count >= self._min_pages
            ]
            pipe = self._redis.pipeline(transaction=False)
            if frequent:
                pipe.sadd(recurring_key, *frequent)
            pipe.expire(recurring_key, self._ttl)
            pipe.execute()

    def shared_in_poll(self, poll: str, page_url: str, line_keys: Sequence[str]) -> frozenset[str]:
        """The ``line_keys`` of the page at ``page_url`` that another page of the same feed
        poll (``poll``, a :meth:`Keys.poll_lines` key) had first. Each line remembers the
        first page that had it, so a page processed twice never matches itself."""
        if not line_keys:
            return frozenset()
        with redis_errors(STAGE, page_url):
            pipe = self._redis.pipeline(transaction=False)
            for key in line_keys:
                pipe.hsetnx(poll, key, page_url)
            pipe.hmget(poll, list(line_keys))
            pipe.expire(poll, POLL_LINES_TTL_SECONDS)
            first_pages = pipe.execute()[len(line_keys)]
        return frozenset(
            key
            for key, first in zip(line_keys, first_pages, strict=True)
            if first is not None and _text(first) != page_url
        )


def _text(value: str | bytes) -> str:
    return value.decode() if isinstance(value, bytes) else value
