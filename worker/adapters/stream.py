"""The output streams: articles (published atomically, exactly once) and dead letters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import redis

from worker.adapters.redis_client import RedisClient, redis_errors
from worker.keys import Keys
from worker.models import PublishResult, utc_iso
from worker.stages.publish import OutgoingMessage

# Claim and append in one step, so a redelivered task never publishes twice and a crash
# between the two never loses an article.
#   KEYS: article hash, content key, articles stream, stats hash, then the route streams
#         that get a copy of the entry
#   ARGV: article id, content hash, maxlen, ttl, data without its final "}", then the
#         flat fields as name/value pairs
# The article hash remembers its content hash, cluster and stream entry; the content key
# names the first article (and its cluster) that had this exact body. The dedupe object is
# spliced into the JSON text here: cjson would re-encode the whole document and turn empty
# lists into objects.
_PUBLISH = """
local article_id, content_hash = ARGV[1], ARGV[2]
local maxlen, ttl = ARGV[3], tonumber(ARGV[4])
local known = redis.call('HMGET', KEYS[1], 'content_hash', 'cluster', 'stream_id')
local event, cluster, duplicate_of = nil, article_id, nil
if known[1] then
  if known[1] == content_hash then
    return {'', known[3] or '', known[2] or article_id, ''}
  end
  event, cluster = 'article.updated', known[2] or article_id
  redis.call('SET', KEYS[2], article_id .. ' ' .. cluster, 'NX', 'EX', ttl)
else
  local first = redis.call('GET', KEYS[2])
  if first then
    local sep = string.find(first, ' ', 1, true)
    duplicate_of, cluster = string.sub(first, 1, sep - 1), string.sub(first, sep + 1)
    event = 'article.duplicate'
  else
    event = 'article.created'
    redis.call('SET', KEYS[2], article_id .. ' ' .. cluster, 'EX', ttl)
  end
end
local dedupe = ',"dedupe":{"content_hash":"' .. content_hash .. '","cluster_id":"' .. cluster
  .. '","duplicate_of":' .. (duplicate_of and ('"' .. duplicate_of .. '"') or 'null')
  .. ',"similarity":' .. (duplicate_of and '1.0' or 'null') .. '}}'
local fields = {'event', event, 'cluster', cluster}
if duplicate_of then
  table.insert(fields, 'duplicate_of')
  table.insert(fields, duplicate_of)
end
for i = 6, #ARGV do table.insert(fields, ARGV[i]) end
table.insert(fields, 'data')
table.insert(fields, ARGV[5] .. dedupe)
local stream_id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxlen, '*', unpack(fields))
redis.call('HSET', KEYS[1], 'content_hash', content_hash, 'cluster', cluster,
  'stream_id', stream_id)
redis.call('EXPIRE', KEYS[1], ttl)
for i = 5, #KEYS do
  redis.call('XADD', KEYS[i], 'MAXLEN', '~', maxlen, '*', unpack(fields))
end
redis.call('HINCRBY', KEYS[4], event, 1)
return {event, stream_id, cluster, duplicate_of or ''}
"""


class ArticleStream:
    def __init__(self, client: RedisClient, keys: Keys, *, maxlen: int, ttl_seconds: int) -> None:
        self._redis = client
        self._keys = keys
        self._maxlen = maxlen
        self._ttl = ttl_seconds
        self._publish = client.register_script(_PUBLISH)

    def publish(self, message: OutgoingMessage) -> PublishResult:
        flat = [part for pair in message.flat_fields.items() for part in pair]
        with redis_errors("publish", message.flat_fields.get("url", message.article_id)):
            event, stream_id, cluster, duplicate_of = self._publish(
                keys=[
                    self._keys.article(message.article_id),
                    self._keys.content(message.content_hash),
                    self._keys.articles_stream,
                    self._keys.stats,
                    *(self._keys.route_stream(route) for route in message.routes),
                ],
                args=[
                    message.article_id,
                    message.content_hash,
                    self._maxlen,
                    self._ttl,
                    message.data_without_dedupe,
                    *flat,
                ],
            )
        return PublishResult(
            event=event or None,
            stream_id=stream_id or None,
            cluster_id=cluster,
            duplicate_of=duplicate_of or None,
        )

    def length(self) -> int:
        with redis_errors("stream", self._keys.articles_stream):
            return int(self._redis.xlen(self._keys.articles_stream))


@dataclass(frozen=True)
class DeadLetter:
    stage: str
    reason: str
    input: dict[str, Any]
    attempts: int
    task: str
    error: str
    failed_at: datetime


class DeadLetters:
    def __init__(self, client: RedisClient, keys: Keys, *, maxlen: int) -> None:
        self._redis = client
        self._keys = keys
        self._maxlen = maxlen

    def add(self, letter: DeadLetter) -> str:
        fields = {
            "stage": letter.stage,
            "reason": letter.reason,
            "input": json.dumps(letter.input, ensure_ascii=False),
            "attempts": str(letter.attempts),
            "task": letter.task,
            "error": letter.error,
            "failed_at": utc_iso(letter.failed_at) or "",
        }
        with redis_errors("dead-letter", letter.task):
            pipe = self._redis.pipeline()
            pipe.xadd(self._keys.dead_stream, fields, maxlen=self._maxlen, approximate=True)  # type: ignore[arg-type]
            pipe.hincrby(self._keys.stats, f"failed.{letter.stage}", 1)
            entry_id, _ = pipe.execute()
        return str(entry_id)

    def length(self) -> int:
        with redis_errors("dead-letter", self._keys.dead_stream):
            return int(self._redis.xlen(self._keys.dead_stream))

    def entries(self, ids: Sequence[str] | None = None) -> list[StreamEntry]:
        """Every dead letter, oldest first, or those of ``ids`` that exist."""
        with redis_errors("dead-letter", self._keys.dead_stream):
            if ids is None:
                return _entries(
                    [(self._keys.dead_stream, self._redis.xrange(self._keys.dead_stream))]
                )
            pipe = self._redis.pipeline(transaction=False)
            for entry_id in ids:
                pipe.xrange(self._keys.dead_stream, entry_id, entry_id)
            found = [entry for reply in pipe.execute() for entry in reply]
        return _entries([(self._keys.dead_stream, found)])

    def remove(self, entry_id: str) -> bool:
        with redis_errors("dead-letter", self._keys.dead_stream):
            return bool(self._redis.xdel(self._keys.dead_stream, entry_id))


StreamEntry = tuple[str, dict[str, str]]


class StreamReader:
    """Reading a stream as a consumer does: after an id, or as a member of a group."""

    def __init__(self, client: RedisClient, stream: str) -> None:
        self._redis = client
        self._stream = stream

    def newest_id(self) -> str:
        with redis_errors("tail", self._stream):
            newest = cast(list[Any], self._redis.xrevrange(self._stream, count=1))
        return str(newest[0][0]) if newest else "0"

    def read_after(self, last_id: str, *, count: int, block_ms: int | None) -> list[StreamEntry]:
        with redis_errors("tail", self._stream):
            reply = self._redis.xread({self._stream: last_id}, count=count, block=block_ms)
        return _entries(reply)

    def ensure_group(self, group: str, *, from_start: bool) -> None:
        with redis_errors("tail", self._stream):
            try:
                self._redis.xgroup_create(
                    self._stream, group, id="0" if from_start else "$", mkstream=True
                )
            except redis.ResponseError as error:
                if "BUSYGROUP" not in str(error):
                    raise

    def read_group(
        self, group: str, consumer: str, *, count: int, block_ms: int | None
    ) -> list[StreamEntry]:
        with redis_errors("tail", self._stream):
            reply = self._redis.xreadgroup(
                group, consumer, {self._stream: ">"}, count=count, block=block_ms
            )
        return _entries(reply)

    def ack(self, group: str, entry_id: str) -> None:
        with redis_errors("tail", self._stream):
            self._redis.xack(self._stream, group, entry_id)


def _entries(reply: Any) -> list[StreamEntry]:
    """XREAD's reply for one stream, as (id, fields) pairs (RESP2 list or RESP3 map)."""
    batches = reply.items() if isinstance(reply, dict) else (reply or [])
    return [(str(entry_id), dict(fields)) for _, entries in batches for entry_id, fields in entries]
