"""The output streams: articles (published atomically, exactly once) and dead letters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from worker.adapters.durability import NO_WAIT, Durability, run_script
from worker.adapters.redis_client import RedisClient, redis_errors
from worker.keys import Keys
from worker.models import PublishResult, utc_iso
from worker.stages.dedupe import BAND_ROWS, BANDS, Fingerprint
from worker.stages.publish import OutgoingMessage

# _PUBLISH: claim, dedupe and append in one step, so a redelivered task never publishes
# twice, a crash between the steps never loses an article, and two copies of one story
# processed at the same moment never both become its original. _NEAREST is its prelude
# (inputs, the near-duplicate search), shared with _CLUSTER_SIZE.
#   KEYS: article hash, content key, articles stream, stats hash, then the near-duplicate
#         index buckets (the current one first, then older ones back to the window's start),
#         then the route streams that get a copy of the entry
#   ARGV: article id, content hash, maxlen, ttl, data without its final "}", the number of
#         index buckets, signature ('' when the body is too short to index), shingle count,
#         now (epoch s), window (s), expiry of the current bucket (epoch s), threshold, mode,
#         cluster key prefix, member JSON without its final "}", bands, rows per band, most
#         candidates verified, most refs kept per band, the MINID below which entries are
#         trimmed (0: no age limit), then the flat fields as name/value pairs
# The article hash remembers its content hash, cluster, stream entry and revision (how many
# events it has had); the content key names the first article (and its cluster) that had
# this exact body. An index bucket maps each LSH band (band number + its signature bytes)
# to the 12-character refs of the articles that have it, and "s" .. ref to the article's
# record: indexed-at (10 digits), id (32), cluster (32), shingle count (8 digits),
# signature. The dedupe object is spliced into the JSON text here: cjson would re-encode
# the whole document and turn empty lists into objects.
_NEAREST = """
local article_id, content_hash = ARGV[1], ARGV[2]
local maxlen, ttl = ARGV[3], tonumber(ARGV[4])
local buckets, signature, shingles = tonumber(ARGV[6]), ARGV[7], tonumber(ARGV[8])
local now, window, expire_at = tonumber(ARGV[9]), tonumber(ARGV[10]), tonumber(ARGV[11])
local threshold, mode, cluster_prefix, member = tonumber(ARGV[12]), ARGV[13], ARGV[14], ARGV[15]
local bands, rows, max_candidates = tonumber(ARGV[16]), tonumber(ARGV[17]), tonumber(ARGV[18])
local max_refs = tonumber(ARGV[19])
local current, width, ref = KEYS[5], 2 * rows, string.sub(article_id, 1, 12)

local function band_field(band)
  return string.char(band) .. string.sub(signature, band * width + 1, (band + 1) * width)
end

local function similarity(record)
  local other_signature = string.sub(record, 83)
  local same = 0
  for i = 1, #signature, 2 do
    if string.sub(other_signature, i, i + 1) == string.sub(signature, i, i + 1) then
      same = same + 1
    end
  end
  local jaccard = same / (#signature / 2)
  local other = tonumber(string.sub(record, 75, 82))
  local common = jaccard * (shingles + other) / (1 + jaccard)
  return math.min(1, math.max(jaccard, common / math.min(shingles, other)))
end

-- The closest earlier article at or above the threshold: candidates share a band; the
-- ones sharing the most are verified against their stored signatures.
local function nearest()
  local hits, candidates = {}, {}
  for k = 5, 4 + buckets do
    for band = 0, bands - 1 do
      local refs = redis.call('HGET', KEYS[k], band_field(band))
      if refs then
        for i = 1, #refs, 12 do
          local other = string.sub(refs, i, i + 11)
          if other ~= ref then
            local candidate = k .. ' ' .. other
            if not hits[candidate] then
              hits[candidate] = 0
              table.insert(candidates, {k, other, candidate})
            end
            hits[candidate] = hits[candidate] + 1
          end
        end
      end
    end
  end
  table.sort(candidates, function(a, b) return hits[a[3]] > hits[b[3]] end)
  local best, best_similarity = nil, threshold
  for i = 1, math.min(#candidates, max_candidates) do
    local record = redis.call('HGET', KEYS[candidates[i][1]], 's' .. candidates[i][2])
    if record and now - tonumber(string.sub(record, 1, 10)) <= window then
      local value = similarity(record)
      if value >= best_similarity then
        best, best_similarity = record, value
      end
    end
  end
  if best then
    return string.sub(best, 11, 42), string.sub(best, 43, 74), best_similarity
  end
  return nil
end
"""

_PUBLISH = (
    _NEAREST
    + """
local function index(cluster)
  for band = 0, bands - 1 do
    local field = band_field(band)
    local refs = redis.call('HGET', current, field) or ''
    if not string.find(refs, ref, 1, true) then
      -- Newest refs kept, so a band that boilerplate shares stays short to read and store.
      redis.call('HSET', current, field, string.sub(refs .. ref, -max_refs * 12))
    end
  end
  redis.call('HSET', current, 's' .. ref, string.format('%010d', now) .. article_id .. cluster
    .. string.format('%08d', shingles) .. signature)
  redis.call('EXPIREAT', current, expire_at)
end

local known = redis.call('HMGET', KEYS[1], 'content_hash', 'cluster', 'stream_id')
local event, cluster, duplicate_of, similar = nil, article_id, nil, nil
if known[1] then
  if known[1] == content_hash then
    return {'', known[3] or '', known[2] or article_id, '', ''}
  end
  event, cluster = 'article.updated', known[2] or article_id
  redis.call('SET', KEYS[2], article_id .. ' ' .. cluster, 'NX', 'EX', ttl)
  if signature ~= '' then index(cluster) end
else
  local first = redis.call('GET', KEYS[2])
  if first then
    local sep = string.find(first, ' ', 1, true)
    duplicate_of, cluster = string.sub(first, 1, sep - 1), string.sub(first, sep + 1)
    event, similar = 'article.duplicate', 1
  else
    if signature ~= '' then duplicate_of, cluster, similar = nearest() end
    if duplicate_of then
      event = 'article.duplicate'
    else
      event, cluster, similar = 'article.created', article_id, nil
    end
    redis.call('SET', KEYS[2], article_id .. ' ' .. cluster, 'EX', ttl)
    if signature ~= '' then index(cluster) end
  end
  local similarity_json = similar and string.format('%.3f', similar) or 'null'
  local cluster_key = cluster_prefix .. cluster
  redis.call('RPUSH', cluster_key, member .. ',"event":"' .. event .. '","similarity":'
    .. similarity_json .. '}')
  redis.call('EXPIRE', cluster_key, window)
end
local similarity_text = similar and string.format('%.3f', similar) or ''
local dedupe = ',"dedupe":{"content_hash":"' .. content_hash .. '","cluster_id":"' .. cluster
  .. '","duplicate_of":' .. (duplicate_of and ('"' .. duplicate_of .. '"') or 'null')
  .. ',"similarity":' .. (similar and similarity_text or 'null') .. '}}'
-- The article's revision counts its events, so an entry a failover took back is published
-- again under the same number: consumers key on it, not on the stream id.
local revision = redis.call('HINCRBY', KEYS[1], 'revision', 1)
local fields = {'event', event, 'revision', tostring(revision), 'cluster', cluster}
if duplicate_of then
  table.insert(fields, 'duplicate_of')
  table.insert(fields, duplicate_of)
end
for i = 21, #ARGV do table.insert(fields, ARGV[i]) end
table.insert(fields, 'data')
table.insert(fields, ARGV[5] .. dedupe)
local stream_id = ''
if event ~= 'article.duplicate' or mode ~= 'drop' then
  -- Retention by length (MAXLEN) and, when stream_max_age is set, by age (MINID): both
  -- approximate, so Redis trims whole nodes only.
  local minid = ARGV[20]
  stream_id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', maxlen, '*', unpack(fields))
  if minid ~= '0' then redis.call('XTRIM', KEYS[3], 'MINID', '~', minid) end
  for i = 5 + buckets, #KEYS do
    redis.call('XADD', KEYS[i], 'MAXLEN', '~', maxlen, '*', unpack(fields))
    if minid ~= '0' then redis.call('XTRIM', KEYS[i], 'MINID', '~', minid) end
  end
else
  redis.call('HINCRBY', KEYS[4], 'dropped.duplicate', 1)
end
redis.call('HSET', KEYS[1], 'content_hash', content_hash, 'cluster', cluster,
  'stream_id', stream_id)
redis.call('EXPIRE', KEYS[1], ttl)
redis.call('HINCRBY', KEYS[4], event, 1)
return {event, stream_id, cluster, duplicate_of or '', similarity_text}
"""
)

# The size of the story the article would join if it were published now, itself included:
# the same decision as the publishing script's, read-only. Rules that read cluster_size run
# before the article is published, so two copies handled at the same moment may each count
# without the other.
_CLUSTER_SIZE = (
    _NEAREST
    + """
local known = redis.call('HMGET', KEYS[1], 'content_hash', 'cluster')
if known[2] then
  return math.max(1, redis.call('LLEN', cluster_prefix .. known[2]))
end
local cluster = nil
local first = redis.call('GET', KEYS[2])
if first then
  cluster = string.sub(first, string.find(first, ' ', 1, true) + 1)
elseif signature ~= '' then
  local _
  _, cluster = nearest()
end
if not cluster then return 1 end
return redis.call('LLEN', cluster_prefix .. cluster) + 1
"""
)


INDEX_BUCKETS = 8
"""A window is cut into this many buckets: an entry lives between one window and 9/8 of it."""


@dataclass(frozen=True)
class DedupeSettings:
    threshold: float
    window_seconds: int
    mode: str  # emit or drop
    max_candidates: int = 16
    """Candidates verified against their signatures, those sharing the most bands first."""
    max_refs_per_band: int = 64
    """Articles remembered per band value in a bucket: bounds the cost of a common band."""


class ArticleStream:
    def __init__(
        self,
        client: RedisClient,
        keys: Keys,
        *,
        maxlen: int,
        ttl_seconds: int,
        dedupe: DedupeSettings,
        max_age_seconds: int = 0,
        durability: Durability = NO_WAIT,
    ) -> None:
        self._redis = client
        self._keys = keys
        self._maxlen = maxlen
        self._max_age = max_age_seconds
        self._ttl = ttl_seconds
        self._dedupe = dedupe
        self._durability = durability
        self._publish = client.register_script(_PUBLISH)
        self._cluster_size = client.register_script(_CLUSTER_SIZE)

    def publish(
        self, message: OutgoingMessage, fingerprint: Fingerprint, *, at: datetime
    ) -> PublishResult:
        """Append the article's event, deciding in the same atomic step whether it is new,
        an update, or a copy of an article already in the window (exact or near)."""
        member = json.dumps(
            {
                "id": message.article_id,
                "url": message.flat_fields.get("url", ""),
                "feed": message.flat_fields.get("feed", ""),
                "at": utc_iso(at),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        keys, args = self._script_inputs(
            message.article_id,
            message.content_hash,
            fingerprint,
            at,
            routes=message.routes,
            data=message.data_without_dedupe,
            member=member[:-1],
            flat=[part for pair in message.flat_fields.items() for part in pair],
        )
        with redis_errors("publish", message.flat_fields.get("url", message.article_id)):
            reply = run_script(
                self._redis,
                self._keys,
                self._durability,
                self._publish,
                what="publish",
                script_keys=keys,
                args=args,
            )
        event, stream_id, cluster, duplicate_of, similarity = reply
        return PublishResult(
            event=event or None,
            stream_id=stream_id or None,
            cluster_id=cluster,
            duplicate_of=duplicate_of or None,
            similarity=float(similarity) if similarity else None,
        )

    def cluster_size(
        self, article_id: str, content_hash: str, fingerprint: Fingerprint, *, at: datetime
    ) -> int:
        """How many articles the story would have with this one published now (1 when it is
        the first of its story), decided as :meth:`publish` decides, without writing."""
        keys, args = self._script_inputs(article_id, content_hash, fingerprint, at)
        with redis_errors("cluster", article_id):
            return int(self._cluster_size(keys=keys, args=args))

    def _script_inputs(
        self,
        article_id: str,
        content_hash: str,
        fingerprint: Fingerprint,
        at: datetime,
        *,
        routes: Sequence[str] = (),
        data: str = "",
        member: str = "",
        flat: Sequence[str] = (),
    ) -> tuple[list[str], list[Any]]:
        """KEYS and ARGV in the order the scripts' shared prelude reads them."""
        now = int(at.timestamp())
        window = self._dedupe.window_seconds
        bucket_seconds = max(1, window // INDEX_BUCKETS)
        current = now // bucket_seconds
        buckets = [self._keys.lsh_bucket(current - age) for age in range(INDEX_BUCKETS + 1)]
        keys = [
            self._keys.article(article_id),
            self._keys.content(content_hash),
            self._keys.articles_stream,
            self._keys.stats,
            *buckets,
            *(self._keys.route_stream(route) for route in routes),
        ]
        args = [
            article_id,
            content_hash,
            self._maxlen,
            self._ttl,
            data,
            len(buckets),
            fingerprint.signature if fingerprint.indexable else b"",
            fingerprint.shingles,
            now,
            window,
            (current + 1) * bucket_seconds + window,
            self._dedupe.threshold,
            self._dedupe.mode,
            self._keys.cluster_prefix,
            member,
            BANDS,
            BAND_ROWS,
            self._dedupe.max_candidates,
            self._dedupe.max_refs_per_band,
            (now - self._max_age) * 1000 if self._max_age else 0,
            *flat,
        ]
        return keys, args

    def length(self) -> int:
        with redis_errors("stream", self._keys.articles_stream):
            return int(self._redis.xlen(self._keys.articles_stream))


class Clusters:
    """The members of a story, as the publishing script recorded them within the window."""

    def __init__(self, client: RedisClient, keys: Keys) -> None:
        self._redis = client
        self._keys = keys

    def members(self, cluster_id: str) -> list[dict[str, Any]]:
        """Oldest first: id, url, feed (id), at, event, similarity."""
        key = self._keys.cluster(cluster_id)
        with redis_errors("cluster", cluster_id):
            return [json.loads(member) for member in self._redis.lrange(key, 0, -1)]

    def cluster_of(self, article_id: str) -> str | None:
        with redis_errors("cluster", article_id):
            cluster = self._redis.hget(self._keys.article(article_id), "cluster")
        return str(cluster) if cluster else None


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

    def entries(self, ids: Sequence[str] | None = None) -> list[RawEntry]:
        """Every dead letter, oldest first, or those of ``ids`` that exist."""
        with redis_errors("dead-letter", self._keys.dead_stream):
            if ids is None:
                return raw_entries(
                    [(self._keys.dead_stream, self._redis.xrange(self._keys.dead_stream))]
                )
            pipe = self._redis.pipeline(transaction=False)
            for entry_id in ids:
                pipe.xrange(self._keys.dead_stream, entry_id, entry_id)
            found = [entry for reply in pipe.execute() for entry in reply]
        return raw_entries([(self._keys.dead_stream, found)])

    def remove(self, entry_id: str) -> bool:
        with redis_errors("dead-letter", self._keys.dead_stream):
            return bool(self._redis.xdel(self._keys.dead_stream, entry_id))


RawEntry = tuple[str, dict[str, str]]


class StreamReader:
    """Reading a stream without a group, after an id (groups: ``worker.adapters.groups``)."""

    def __init__(self, client: RedisClient, stream: str) -> None:
        self._redis = client
        self._stream = stream

    def newest_id(self) -> str:
        with redis_errors("tail", self._stream):
            newest = cast(list[Any], self._redis.xrevrange(self._stream, count=1))
        return str(newest[0][0]) if newest else "0"

    def read_after(self, last_id: str, *, count: int, block_ms: int | None) -> list[RawEntry]:
        with redis_errors("tail", self._stream):
            reply = self._redis.xread({self._stream: last_id}, count=count, block=block_ms)
        return raw_entries(reply)


def raw_entries(reply: Any) -> list[RawEntry]:
    """XREAD's reply for one stream, as (id, fields) pairs (RESP2 list or RESP3 map)."""
    batches = reply.items() if isinstance(reply, dict) else (reply or [])
    return [
        (str(entry_id), entry_fields(fields))
        for _, entries in batches
        for entry_id, fields in entries
    ]


def entry_fields(fields: Any) -> dict[str, str]:
    """An entry's fields: a dict, or the flat name, value, ... list that redis-py 8.2's
    cluster transactions return unparsed."""
    if isinstance(fields, dict):
        return fields
    return dict(zip(fields[::2], fields[1::2], strict=True))
