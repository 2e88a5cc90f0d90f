"""Schedule stage: when a feed is polled next, and how long a task waits before its retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from worker.stages.schedule import (
    JITTER_FRACTION,
    MAX_BACKOFF_SECONDS,
    next_poll_at,
    retry_delay,
)

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
DAY = 24 * 3600
NO_JITTER = 0.5  # the middle of [0, 1): jitter factor exactly 1


def poll_delay(
    failures: int, *, fraction: float = NO_JITTER, retry_after: float | None = None
) -> float:
    moment = next_poll_at(
        NOW,
        interval=900,
        consecutive_failures=failures,
        random_fraction=fraction,
        retry_after=retry_after,
    )
    return (moment - NOW).total_seconds()


# --- next_poll_at ---------------------------------------------------------------------------


def test_next_poll_without_failures_is_one_interval_later() -> None:
    assert next_poll_at(
        NOW, interval=900, consecutive_failures=0, random_fraction=NO_JITTER
    ) == NOW + timedelta(seconds=900)


def test_next_poll_delay_doubles_per_consecutive_failure() -> None:
    assert [poll_delay(n) for n in range(5)] == [900, 1800, 3600, 7200, 14400]


def test_next_poll_delay_is_capped_at_a_day() -> None:
    assert MAX_BACKOFF_SECONDS == DAY
    assert poll_delay(7) == DAY  # 900 * 128 would be 115200
    assert poll_delay(16) == DAY
    assert poll_delay(10_000) == DAY


def test_next_poll_with_an_interval_above_a_day_is_capped_too() -> None:
    moment = next_poll_at(NOW, interval=3 * DAY, consecutive_failures=0, random_fraction=0.5)

    assert moment == NOW + timedelta(seconds=DAY)


@pytest.mark.parametrize("failures", [0, 3, 30])
def test_next_poll_jitter_stays_within_ten_percent(failures: int) -> None:
    base = poll_delay(failures)
    low = poll_delay(failures, fraction=0.0)
    high = poll_delay(failures, fraction=0.999999)

    assert JITTER_FRACTION == 0.1
    assert low == pytest.approx(base * 0.9)
    assert base * 0.9 <= low < base < high <= base * 1.1
    for step in range(100):
        assert base * 0.9 <= poll_delay(failures, fraction=step / 100) < base * 1.1


def test_next_poll_jitter_spreads_feeds_apart() -> None:
    delays = {poll_delay(0, fraction=f / 10) for f in range(10)}

    assert len(delays) == 10


def test_next_poll_retry_after_is_a_floor() -> None:
    assert poll_delay(0, retry_after=5000) == 5000
    assert poll_delay(0, fraction=0.0, retry_after=5000) == 5000


def test_next_poll_retry_after_shorter_than_the_backoff_changes_nothing() -> None:
    assert poll_delay(2, retry_after=60) == poll_delay(2) == 3600


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
