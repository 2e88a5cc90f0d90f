"""When to poll a feed next, and how long to wait before retrying a task.

A feed that answers is polled at the pace it publishes (its recent entries per day), within
the minimum and maximum intervals, and never sooner than the server or the feed allows: RSS
``<ttl>``, ``sy:updatePeriod``/``sy:updateFrequency``, ``Cache-Control: max-age``,
``Expires`` and ``Retry-After`` are floors. A feed that fails backs off by the grade of its
error (temporary, soft, hard), each with its own base and cap; past the cap, or past the
maximum interval if that comes first, it is re-probed at the maximum interval, so no feed is
ever given up for good, nor left longer than its maximum.

Randomness is a parameter (a number in [0, 1)), like time, so these stay pure. Jitter only
lengthens a delay, so it never undercuts a floor, and it keeps feeds of one host apart.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum

from worker.errors import PermanentError, RetryableError, StageError

JITTER_FRACTION = 0.1
SIGNAL_CAP_SECONDS = 7 * 86_400
"""A server hint longer than a week is read as a week: a typo must not silence a feed."""
RATE_WINDOW = timedelta(days=30)
"""Entries older than this say nothing about the feed's present pace."""


class ErrorGrade(StrEnum):
    TEMPORARY = "temporary"  # timeouts, connection errors, 5xx: the server is having a bad day
    SOFT = "soft"  # 401, 403, 404, 429: maybe a mistake, maybe a block; try again much later
    HARD = "hard"  # 410, not a feed, unparseable, refused: unlikely to heal, still re-probed


@dataclass(frozen=True)
class Backoff:
    base: float
    cap: float


BACKOFF = {
    ErrorGrade.TEMPORARY: Backoff(base=300, cap=6 * 3600),
    ErrorGrade.SOFT: Backoff(base=3600, cap=24 * 3600),
    ErrorGrade.HARD: Backoff(base=6 * 3600, cap=24 * 3600),
}

_SOFT_STATUSES = frozenset({401, 403, 404, 429})
_STATUS = re.compile(r"^(\d{3}) ")
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.I)


@dataclass(frozen=True)
class Cadence:
    """The bounds of a feed's interval: the global settings or the feed's own overrides."""

    default: float  # when the publishing rate is unknown
    minimum: float
    maximum: float


@dataclass(frozen=True)
class ServerHints:
    """What the feed and the response allow: the next poll comes no sooner than any of them."""

    ttl: float | None = None
    update_period: float | None = None
    max_age: float | None = None
    expires: float | None = None
    retry_after: float | None = None

    def floors(self) -> dict[str, float]:
        named = {
            "ttl": self.ttl,
            "sy:updatePeriod": self.update_period,
            "cache-control max-age": self.max_age,
            "expires": self.expires,
            "retry-after": self.retry_after,
        }
        return {name: min(value, SIGNAL_CAP_SECONDS) for name, value in named.items() if value}


@dataclass(frozen=True)
class PollPlan:
    at: datetime
    delay: float
    reason: str  # which signal set the interval


def plan_next_poll(
    now: datetime,
    *,
    cadence: Cadence,
    entries_per_day: float | None,
    hints: ServerHints,
    random_fraction: float,
) -> PollPlan:
    """The next poll of a feed that answered."""
    if entries_per_day:
        delay, reason = 86_400 / entries_per_day, "publishing rate"
    else:
        delay, reason = cadence.default, "default interval"
    if delay < cadence.minimum:
        delay, reason = cadence.minimum, "minimum interval"
    elif delay > cadence.maximum:
        delay, reason = cadence.maximum, "maximum interval"
    for name, floor in hints.floors().items():
        if floor > delay:
            delay, reason = floor, name
    return _planned(now, delay, reason, random_fraction)


def plan_retry(
    now: datetime,
    *,
    grade: ErrorGrade,
    failures: int,
    maximum: float,
    retry_after: float | None,
    random_fraction: float,
) -> PollPlan:
    """The next poll of a feed that failed ``failures`` times in a row, the last by ``grade``.

    No wait is longer than the feed's ``maximum`` interval, a Retry-After excepted: a feed
    polled every minute is not left five minutes for one timeout.
    """
    backoff = BACKOFF[grade]
    raw = backoff.base * 2 ** min(max(failures - 1, 0), 30)
    if raw <= backoff.cap and raw < maximum:
        delay, reason = raw, f"{grade} error backoff"
    else:
        delay, reason = maximum, f"{grade} error re-probe at maximum interval"
    floor = ServerHints(retry_after=retry_after).floors().get("retry-after")
    if floor is not None and floor > delay:
        delay, reason = floor, "retry-after"
    return _planned(now, delay, reason, random_fraction)


def _planned(now: datetime, delay: float, reason: str, random_fraction: float) -> PollPlan:
    delay *= 1 + JITTER_FRACTION * random_fraction
    return PollPlan(at=now + timedelta(seconds=delay), delay=delay, reason=reason)


def grade_error(error: StageError) -> ErrorGrade:
    """Temporary, soft or hard, from the error's class and, for HTTP errors, its status."""
    status = _STATUS.match(error.reason)
    if status and int(status.group(1)) in _SOFT_STATUSES:
        return ErrorGrade.SOFT
    if isinstance(error, RetryableError):
        return ErrorGrade.TEMPORARY
    if isinstance(error, PermanentError) and status and int(status.group(1)) < 400:
        return ErrorGrade.SOFT  # a redirect without Location and the like
    return ErrorGrade.HARD


def publishing_rate(dates: Iterable[datetime | None], now: datetime) -> float | None:
    """Entries per day over the recent entries, counted up to now (a pause slows the pace).

    None when fewer than two entries are dated within :data:`RATE_WINDOW`.
    """
    recent = sorted(date for date in dates if date is not None and now - date <= RATE_WINDOW)
    if len(recent) < 2:
        return None
    span = (now - recent[0]).total_seconds()
    return (len(recent) - 1) * 86_400 / span if span > 0 else None


def cache_hints(headers: Mapping[str, str], now: datetime) -> tuple[float | None, float | None]:
    """Seconds from ``Cache-Control: max-age`` (``s-maxage``) and from ``Expires``, if given."""
    max_age = _MAX_AGE.search(headers.get("cache-control", ""))
    expires: float | None = None
    if "expires" in headers:
        try:
            moment = parsedate_to_datetime(headers["expires"])
        except (TypeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            expires = max(0.0, (moment - now).total_seconds()) or None
    return (float(max_age.group(1)) or None) if max_age else None, expires


def deferral_delay(wait: float, *, cap: float) -> float:
    """When to try again a request its host cannot take yet: at its turn, ``wait`` from now
    (the budget gives the requests it refuses turns one interval apart), capped."""
    return min(cap, wait)


def retry_delay(
    attempt: int,
    *,
    base: float,
    cap: float,
    random_fraction: float,
    retry_after: float | None = None,
) -> float:
    """Exponential backoff, jittered between half and all of ``base * 2**(attempt-1)``, capped.

    Retry-After, when the server gave one, is honoured unless it exceeds the cap.
    """
    ceiling = min(cap, base * 2.0 ** min(max(attempt - 1, 0), 30))
    delay = ceiling * (0.5 + random_fraction / 2)
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


STALE_GAPS = 3
"""A feed is stale after this many of its usual gaps between entries without a new one."""
STALE_WITHOUT_RHYTHM = timedelta(days=7)
"""Staleness for a feed whose rhythm is unknown."""


def is_stale(last_new_entry: datetime | None, entries_per_day: float | None, now: datetime) -> bool:
    """Whether a feed has gone quiet for longer than its usual rhythm allows."""
    if last_new_entry is None:
        return False
    quiet = now - last_new_entry
    if entries_per_day:
        usual_gap = timedelta(days=1 / entries_per_day)
        return quiet > max(STALE_GAPS * usual_gap, timedelta(hours=1))
    return quiet > STALE_WITHOUT_RHYTHM
