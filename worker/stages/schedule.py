"""When to poll a feed next, and how long to wait before retrying a task.

Randomness is a parameter (a number in [0, 1)), like time, so these stay pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

MAX_BACKOFF_SECONDS = 24 * 3600
JITTER_FRACTION = 0.1


def next_poll_at(
    now: datetime,
    *,
    interval: float,
    consecutive_failures: int,
    random_fraction: float,
    retry_after: float | None = None,
) -> datetime:
    """The regular interval, doubled per failure in a row up to a day, never dead for good.

    Jitter spreads feeds of one host so they never poll in step; a server's Retry-After is
    a floor.
    """
    delay = min(interval * 2 ** min(consecutive_failures, 16), MAX_BACKOFF_SECONDS)
    delay *= 1 + JITTER_FRACTION * (2 * random_fraction - 1)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return now + timedelta(seconds=delay)


def deferral_delay(wait: float, *, cap: float, random_fraction: float) -> float:
    """When to try again a request its host cannot take yet: after ``wait``, spread over as
    long again so that the requests that waited together do not all return together."""
    return min(cap, wait * (1 + random_fraction))


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
