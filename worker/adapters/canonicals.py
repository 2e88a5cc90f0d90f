"""The canonical URLs each host's pages claim, in Redis, and the hosts whose claims are not
trusted.

The publish stage decides whether two claims of one canonical are different stories; this
adapter remembers the first claim of each canonical URL per host (a HASH) and whether the
host is distrusted (a key). Both expire ``ttl_seconds`` after they were last written, as a
host's learnt boilerplate does, so a site whose template was repaired is trusted again.
"""

from __future__ import annotations

from worker.adapters.redis_client import RedisClient, redis_errors
from worker.keys import Keys

STAGE = "publish"


class CanonicalClaims:
    def __init__(self, client: RedisClient, keys: Keys, *, ttl_seconds: int) -> None:
        self._redis = client
        self._keys = keys
        self._ttl = ttl_seconds

    def distrusted(self, host: str) -> bool:
        with redis_errors(STAGE, host):
            return bool(self._redis.exists(self._keys.host_canonicals_distrusted(host)))

    def first_claim(self, host: str, canonical: str, claim: str) -> str:
        """Record ``claim`` of ``canonical`` unless the host's pages claimed it before; the
        first claim either way."""
        key = self._keys.host_canonicals(host)
        with redis_errors(STAGE, host):
            pipe = self._redis.pipeline(transaction=True)
            pipe.hsetnx(key, canonical, claim)
            pipe.hget(key, canonical)
            pipe.expire(key, self._ttl)
            first = pipe.execute()[1]
        return first.decode() if isinstance(first, bytes) else str(first)

    def distrust(self, host: str) -> None:
        with redis_errors(STAGE, host):
            self._redis.set(self._keys.host_canonicals_distrusted(host), 1, ex=self._ttl)
