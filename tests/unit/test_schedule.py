"""Schedule stage: when a feed is polled next, and how long a task waits before its retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.errors import PermanentError, RetryableError
from worker.stages.schedule import (
    BACKOFF,
    JITTER_FRACTION,
    SIGNAL_CAP_SECONDS,
    Cadence,
    ErrorGrade,
    ServerHints,
    cache_hints,
    grade_error,
    is_stale,
    plan_next_poll,
    plan_retry,
    publishing_rate,
    retry_delay,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = 24 * 3600
CADENCE = Cadence(default=900, minimum=300, maximum=DAY)


def plan(
    rate: float | None = None, hints: ServerHints | None = None, fraction: float = 0.0
) -> tuple[float, str]:
    planned = plan_next_poll(
        NOW,
        cadence=CADENCE,
        entries_per_day=rate,
        hints=hints or ServerHints(),
        random_fraction=fraction,
    )
    assert planned.at == NOW + timedelta(seconds=planned.delay)
    return planned.delay, planned.reason


# --- plan_next_poll -------------------------------------------------------------------------


def test_a_feed_of_unknown_rate_is_polled_at_the_default_interval() -> None:
    assert plan() == (900, "default interval")


def test_the_publishing_rate_sets_the_interval_within_the_bounds() -> None:
    assert plan(rate=24) == (3600, "publishing rate")
    assert plan(rate=1000) == (300, "minimum interval")
    assert plan(rate=0.1) == (DAY, "maximum interval")


@pytest.mark.parametrize(
    ("hints", "reason"),
    [
        (ServerHints(ttl=7200), "ttl"),
        (ServerHints(update_period=7200), "sy:updatePeriod"),
        (ServerHints(max_age=7200), "cache-control max-age"),
        (ServerHints(expires=7200), "expires"),
        (ServerHints(retry_after=7200), "retry-after"),
    ],
)
def test_each_server_hint_is_a_floor_under_the_next_poll(hints: ServerHints, reason: str) -> None:
    assert plan(rate=24, hints=hints) == (7200, reason)
    # A hint shorter than the interval changes nothing.
    assert plan(rate=2, hints=ServerHints(ttl=60)) == (DAY / 2, "publishing rate")


def test_a_server_hint_longer_than_a_week_is_read_as_a_week() -> None:
    assert plan(hints=ServerHints(max_age=10 * 365 * DAY)) == (
        SIGNAL_CAP_SECONDS,
        "cache-control max-age",
    )


def test_jitter_only_lengthens_so_it_never_undercuts_a_floor() -> None:
    delays = [plan(hints=ServerHints(ttl=3600), fraction=step / 10)[0] for step in range(10)]

    assert min(delays) == 3600
    assert max(delays) < 3600 * (1 + JITTER_FRACTION)
    assert len(set(delays)) == 10  # feeds of one host are spread apart


# --- plan_retry -----------------------------------------------------------------------------


def retry(grade: ErrorGrade, failures: int, retry_after: float | None = None) -> tuple[float, str]:
    planned = plan_retry(
        NOW, grade=grade, failures=failures, maximum=DAY, retry_after=retry_after,
        random_fraction=0.0,
    )  # fmt: skip
    return planned.delay, planned.reason


@pytest.mark.parametrize("grade", list(ErrorGrade))
def test_each_error_grade_doubles_its_own_backoff_up_to_its_cap_then_reprobes(
    grade: ErrorGrade,
) -> None:
    backoff = BACKOFF[grade]
    delays = [retry(grade, failures)[0] for failures in range(1, 12)]

    assert delays[0] == backoff.base
    assert delays[1] == min(backoff.base * 2, backoff.cap)
    assert max(delays[:-1]) <= DAY
    # Never given up: far past its cap the feed is still re-probed, at the maximum interval.
    assert retry(grade, 10_000) == (DAY, f"{grade} error re-probe at maximum interval")


@pytest.mark.parametrize("grade", list(ErrorGrade))
def test_no_backoff_is_longer_than_the_feeds_maximum_interval(grade: ErrorGrade) -> None:
    minute = 60.0
    delays = [
        plan_retry(
            NOW, grade=grade, failures=failures, maximum=minute, retry_after=None,
            random_fraction=0.0,
        )
        for failures in (1, 2, 30)
    ]  # fmt: skip

    assert [planned.delay for planned in delays] == [minute] * 3
    assert {planned.reason for planned in delays} == {f"{grade} error re-probe at maximum interval"}


def test_a_retry_after_longer_than_the_maximum_interval_is_still_honoured() -> None:
    planned = plan_retry(
        NOW, grade=ErrorGrade.TEMPORARY, failures=1, maximum=60, retry_after=900,
        random_fraction=0.0,
    )  # fmt: skip

    assert (planned.delay, planned.reason) == (900, "retry-after")


def test_the_grades_back_off_at_different_paces() -> None:
    firsts = [retry(grade, 1)[0] for grade in ErrorGrade]

    assert firsts == sorted(firsts)
    assert len(set(firsts)) == 3


def test_retry_after_is_a_floor_under_the_backoff() -> None:
    assert retry(ErrorGrade.SOFT, 1, retry_after=5 * 3600) == (5 * 3600, "retry-after")
    assert retry(ErrorGrade.SOFT, 1, retry_after=5) == (3600, "soft error backoff")


@pytest.mark.parametrize(
    ("error", "grade"),
    [
        (RetryableError("fetch", "u", "read timed out after 10s"), ErrorGrade.TEMPORARY),
        (RetryableError("fetch", "u", "503 Service Unavailable"), ErrorGrade.TEMPORARY),
        (RetryableError("fetch", "u", "429 Too Many Requests"), ErrorGrade.SOFT),
        (PermanentError("fetch", "u", "404 Not Found"), ErrorGrade.SOFT),
        (PermanentError("fetch", "u", "403 Forbidden"), ErrorGrade.SOFT),
        (PermanentError("fetch", "u", "410 Gone"), ErrorGrade.HARD),
        (PermanentError("parse", "u", "not a feed: an HTML page"), ErrorGrade.HARD),
    ],
)
def test_errors_are_graded_temporary_soft_or_hard(error: RetryableError, grade: ErrorGrade) -> None:
    assert grade_error(error) is grade


# --- signals --------------------------------------------------------------------------------


def test_publishing_rate_counts_recent_entries_per_day_up_to_now() -> None:
    hourly = [NOW - timedelta(hours=hours) for hours in range(1, 25)]
    stale = [NOW - timedelta(days=60), NOW - timedelta(days=61)]

    assert publishing_rate(hourly, NOW) == pytest.approx(23 * 24 / 24)
    assert publishing_rate([*stale, None], NOW) is None
    assert publishing_rate([NOW - timedelta(hours=1)], NOW) is None


def test_cache_hints_read_max_age_and_expires() -> None:
    headers = {
        "cache-control": "public, max-age=600",
        "expires": "Sat, 01 Mar 2025 13:00:00 GMT",
    }
    assert cache_hints(headers, NOW) == (600, 3600)
    assert cache_hints({"cache-control": "no-cache", "expires": "0"}, NOW) == (None, None)
    assert cache_hints({"cache-control": "s-maxage=60, max-age=30"}, NOW)[0] == 60


# --- retry_delay ----------------------------------------------------------------------------


def delay(attempt: int, fraction: float = 0.999999, retry_after: float | None = None) -> float:
    return retry_delay(
        attempt, base=2.0, cap=300.0, random_fraction=fraction, retry_after=retry_after
    )


def test_retry_delay_ceiling_doubles_per_attempt() -> None:
    ceilings = [delay(attempt) for attempt in range(1, 7)]

    assert ceilings == pytest.approx([2, 4, 8, 16, 32, 64], rel=1e-5)


def test_retry_delay_first_attempt_waits_at_most_base() -> None:
    assert 0 < delay(1, 0.0) <= delay(1) <= 2.0


def test_retry_delay_attempt_zero_is_treated_as_the_first() -> None:
    assert delay(0) == delay(1)


def test_retry_delay_is_capped() -> None:
    assert delay(9) == pytest.approx(300, rel=1e-5)
    assert delay(30) <= 300
    assert delay(30, 0.0) >= 150


@pytest.mark.parametrize("attempt", [1, 2, 4, 8, 20])
def test_retry_delay_jitter_stays_between_half_and_all_of_the_ceiling(attempt: int) -> None:
    ceiling = min(300.0, 2.0 * 2 ** (attempt - 1))

    for step in range(100):
        waited = delay(attempt, step / 100)
        assert ceiling / 2 <= waited <= ceiling


def test_retry_delay_jitter_varies_with_the_random_fraction() -> None:
    assert len({delay(5, f / 10) for f in range(10)}) == 10


def test_retry_delay_honours_retry_after_above_the_backoff() -> None:
    assert delay(1, 0.0, retry_after=120) == 120


def test_retry_delay_retry_after_below_the_backoff_changes_nothing() -> None:
    assert delay(6, 0.5, retry_after=1) == delay(6, 0.5)


def test_retry_delay_retry_after_beyond_the_cap_is_cut_to_the_cap() -> None:
    assert delay(1, 0.0, retry_after=10_000) == 300


def test_retry_delay_for_a_very_large_attempt_number_is_the_cap() -> None:
    assert delay(5000) == pytest.approx(300, rel=1e-5)


def test_a_feed_is_stale_after_three_of_its_usual_gaps_without_a_new_entry() -> None:
    hourly = 24.0
    assert not is_stale(NOW - timedelta(hours=2), hourly, NOW)
    assert is_stale(NOW - timedelta(hours=4), hourly, NOW)
    assert not is_stale(NOW - timedelta(days=6), None, NOW)  # rhythm unknown: a week
    assert is_stale(NOW - timedelta(days=8), None, NOW)
    assert not is_stale(None, hourly, NOW)
