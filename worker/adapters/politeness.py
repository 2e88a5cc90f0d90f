"""Politeness towards publishers: robots.txt, one request budget per host, parked hosts.

The guarded client asks :meth:`Politeness.admit` before every request (each redirect hop
too) and reports each outcome to :meth:`Politeness.observe`:

1. robots.txt of the hop's origin, fetched through the guarded client and cached in Redis
   (``robots_ttl``), and in each worker's memory for a minute at most (never past its expiry
   in Redis). A 4xx answer allows everything; a 5xx or no answer disallows
   everything for ``robots_error_ttl`` (RFC 9309), after which it is asked for again.
   A path the rules disallow is a permanent failure; an unreachable robots.txt a retryable one.
2. A parked host gets no request: ``host_failure_threshold`` failures in a row (connection
   errors, timeouts, 5xx) park it for ``host_park_seconds``; after that one more failure parks
   it again at once, one success clears the count. A 429 or 503 with Retry-After parks the
   host for that long (at most ``host_park_seconds``).
3. The host's request budget: GCRA with a burst of one in a Lua script on Redis's clock, so
   every worker on every machine shares one budget of ``host_rate`` requests per second (or
   the host's entry in ``host_rate_overrides``), spaced at least its Crawl-delay apart. The
   requests it refuses are given turns one interval apart (see ``_TAKE``).

A request that must wait raises :class:`Deferred` with the wait: the caller reschedules its
work. Nothing here sleeps. Hosts are names or IPs without port: a publisher's budget covers
all of its ports.
"""

from __future__ import annotations

import threading
import time
import zlib
from dataclasses import dataclass

from worker.adapters.http import HttpClient
from worker.adapters.redis_client import RedisClient, redis_errors
from worker.errors import Deferred, PermanentError, RetryableError
from worker.keys import Keys
from worker.logs import get_logger
from worker.settings import Settings
from worker.stages.robots import (
    ROBOTS_MAX_BYTES,
    UNREACHABLE,
    RobotsPolicy,
    agent_token,
    policy_from_answer,
)

STAGE = "fetch"
# How long a failure is remembered while no other request to its host succeeds or fails.
FAILURE_MEMORY_MS = 3_600_000
# Locks that let one thread of a worker fetch an origin's robots.txt while the others wait for
# it: a fixed set, shared by origins that hash alike, so a worker that meets thousands of hosts
# keeps no lock per host.
ROBOTS_FETCH_LOCKS = 64
# An origin's policy read from Redis is kept in the worker's memory this long at most, and
# never past its expiry in Redis: reading it was a round trip before every request (2.3 % of
# the articles worker's interpreter time in benchmarks/throughput.py). A cached policy only
# changes when it expires, so the one thing this delays is an operator deleting it by hand.
KNOWN_ROBOTS_SECONDS = 60.0
KNOWN_ROBOTS_ORIGINS = 10_000  # past this many, the memory starts again empty

log = get_logger(__name__)

# KEYS: parked flag, budget, turns. ARGV: seconds between two requests, the request's URL,
# seconds a turn is kept for a request that does not come back.
# Returns {verdict, seconds to wait}: 'ok' takes the slot, 'parked' takes nothing, 'busy'
# gives the request a turn: the requests the budget refuses are told to come back one
# interval apart, each at its own turn. Told the same free moment, they all came back
# together and all but one waited again: 67 articles of one host were deferred 1,290-1,558
# times (tests/e2e/test_host_budget.py). A request back before its turn, or before the
# budget lets it in (a few milliseconds early), waits that long and keeps its turn; the
# budget still spaces every request, so a turn never makes two requests closer.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local parked = redis.call('PTTL', KEYS[1])
if parked > 0 then return {'parked', tostring(parked / 1000)} end
local free_at = tonumber(redis.call('GET', KEYS[2]) or '0')
local interval = tonumber(ARGV[1])
local keep = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - keep)
local queued = redis.call('ZSCORE', KEYS[3], ARGV[2])
if not queued then
  local last = redis.call('ZRANGE', KEYS[3], -1, -1, 'WITHSCORES')[2]
  local turn = free_at
  if last then turn = math.max(turn, tonumber(last) + interval) end
  if turn > now then
    redis.call('ZADD', KEYS[3], string.format('%.6f', turn), ARGV[2])
    redis.call('PEXPIRE', KEYS[3], math.ceil((turn - now + keep) * 1000))
    return {'busy', tostring(turn - now)}
  end
else
  local ready = math.max(free_at, tonumber(queued))
  if ready > now then return {'busy', tostring(ready - now)} end
end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('SET', KEYS[2], string.format('%.6f', now + interval),
  'PX', math.ceil(interval * 1000) + 1000)
return {'ok', '0'}
"""
# A request that does not come back within this long of its turn (its task was lost, or
# waited behind a backlog) no longer holds its place.
TURN_KEPT_SECONDS = 300

# KEYS: failure count, parked flag. ARGV: threshold, park ms, failure memory ms.
# Returns 1 when this failure parks the host. The count stays one below the threshold while
# parked, so the first request after the park is a probe: one more failure parks again.
_FAILED = """
local threshold = tonumber(ARGV[1])
local failures = redis.call('INCR', KEYS[1])
if failures >= threshold then
  redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
  redis.call('SET', KEYS[1], threshold - 1, 'PX', tonumber(ARGV[2]) + tonumber(ARGV[3]))
  return 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 0
"""


@dataclass(frozen=True)
class KnownRobots:
    policy: RobotsPolicy
    expires_at: float  # time.monotonic() of its expiry in Redis
    known_until: float  # time.monotonic() until which this process trusts its copy


class Politeness:
    """The :class:`~worker.adapters.http.RequestGate` of the workers' HTTP client."""

    def __init__(self, client: RedisClient, keys: Keys, settings: Settings) -> None:
        self._redis = client
        self._keys = keys
        self._settings = settings
        self._agent = agent_token(settings.user_agent)
        # robots.txt is fetched by a client of its own: same guard and limits, no gate (this
        # object takes the budget for it).
        self._robots_http = HttpClient.from_settings(settings)
        self._take_script = client.register_script(_TAKE)
        self._failed_script = client.register_script(_FAILED)
        self._robots_locks = [threading.Lock() for _ in range(ROBOTS_FETCH_LOCKS)]
        self._known_robots: dict[str, KnownRobots] = {}

    def close(self) -> None:
        self._robots_http.close()

    def admit(self, url: str, *, host: str, origin: str, subject: str, via: str) -> None:
        policy, remaining = self._robots(origin, host)
        if not policy.allows(url, self._agent):
            if policy == UNREACHABLE:
                raise RetryableError(
                    STAGE,
                    subject,
                    f"robots.txt of {origin} unreachable, host counts as disallowed{via}",
                    retry_after=remaining,
                )
            raise PermanentError(STAGE, subject, f"disallowed by robots.txt of {origin}{via}")
        self._take(host, url, self._interval(host, policy.crawl_delay(self._agent)))

    def observe(self, host: str, *, failed: bool, retry_after: float | None) -> None:
        failures, parked = self._keys.host_failures(host), self._keys.host_parked(host)
        park_ms = round(self._settings.host_park_seconds * 1000)
        with redis_errors(STAGE, host):
            if failed:
                now_parked = self._failed_script(
                    keys=[failures, parked],
                    args=[self._settings.host_failure_threshold, park_ms, FAILURE_MEMORY_MS],
                )
                if now_parked:
                    log.warning("host_parked", host=host, seconds=park_ms / 1000)
            else:
                self._redis.delete(failures)
            if retry_after:
                pause_ms = min(round(retry_after * 1000), park_ms)
                self._redis.set(parked, 1, px=max(pause_ms, 1))

    def _interval(self, host: str, crawl_delay: float | None) -> float:
        return max(1 / self._settings.rate_for(host), crawl_delay or 0.0)

    def _take(self, host: str, url: str, interval: float) -> None:
        with redis_errors(STAGE, host):
            verdict, wait = self._take_script(
                keys=[
                    self._keys.host_parked(host),
                    self._keys.host_budget(host),
                    self._keys.host_turns(host),
                ],
                args=[f"{interval:.6f}", url, TURN_KEPT_SECONDS],
            )
        if verdict == "parked":
            raise Deferred(host, float(wait), "is parked")
        if verdict == "busy":
            raise Deferred(host, float(wait), "has no request budget left")

    def _robots(self, origin: str, host: str) -> tuple[RobotsPolicy, float]:
        """The origin's policy and the seconds it stays cached. The threads of a worker that
        find it missing fetch it once: without the lock each fetched its own copy (167
        requests for robots.txt to 15 origins in benchmarks/throughput.py)."""
        now = time.monotonic()
        known = self._known_robots.get(origin)
        if known is not None and now < known.known_until:
            return known.policy, known.expires_at - now
        cached = self._cached_robots(origin)
        if cached is not None:
            return self._remember(origin, *cached)
        with self._robots_locks[zlib.crc32(origin.encode()) % ROBOTS_FETCH_LOCKS]:
            cached = self._cached_robots(origin)  # fetched while this thread waited
            if cached is not None:
                return self._remember(origin, *cached)
            self._take(host, f"{origin}/robots.txt", self._interval(host, None))
            policy, ttl = self._fetch_robots(origin, host)
            with redis_errors(STAGE, origin):
                self._redis.set(self._keys.robots(origin), policy.to_json(), ex=ttl)
        log.info("robots_fetched", origin=origin, verdict=policy.verdict, ttl_s=ttl)
        return self._remember(origin, policy, float(ttl))

    def _remember(
        self, origin: str, policy: RobotsPolicy, remaining: float
    ) -> tuple[RobotsPolicy, float]:
        if len(self._known_robots) >= KNOWN_ROBOTS_ORIGINS:
            self._known_robots.clear()
        now = time.monotonic()
        self._known_robots[origin] = KnownRobots(
            policy, now + remaining, now + min(remaining, KNOWN_ROBOTS_SECONDS)
        )
        return policy, remaining

    def _cached_robots(self, origin: str) -> tuple[RobotsPolicy, float] | None:
        key = self._keys.robots(origin)
        with redis_errors(STAGE, key):
            pipe = self._redis.pipeline(transaction=False)
            pipe.get(key)
            pipe.pttl(key)
            cached, ttl_ms = pipe.execute()
        if cached is None:
            return None
        try:
            return RobotsPolicy.from_json(cached), max(int(ttl_ms), 0) / 1000
        except ValueError:
            return None  # written by another version: ask the host again

    def _fetch_robots(self, origin: str, host: str) -> tuple[RobotsPolicy, int]:
        url = f"{origin}/robots.txt"
        try:
            response = self._robots_http.fetch(url, kind="robots", max_bytes=ROBOTS_MAX_BYTES)
        except RetryableError as error:
            # No answer or a 5xx: "unreachable", everything disallowed for a while.
            self.observe(host, failed=True, retry_after=error.retry_after)
            return UNREACHABLE, self._settings.robots_error_ttl
        except PermanentError:
            # A 4xx, too many redirects, a body that is no robots.txt: "unavailable".
            self.observe(host, failed=False, retry_after=None)
            return policy_from_answer(404, b""), self._settings.robots_ttl
        self.observe(host, failed=False, retry_after=None)
        return policy_from_answer(response.status, response.body), self._settings.robots_ttl
