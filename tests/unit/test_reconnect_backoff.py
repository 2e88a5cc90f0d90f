"""ReconnectBackoff: when a worker's consumer pauses before reconnecting to its broker."""

from __future__ import annotations

from worker.adapters.worker_consumer import MAX_PAUSE, QUICK_FAILURE, ReconnectBackoff


def test_a_connection_that_lasted_is_made_again_at_once() -> None:
    backoff = ReconnectBackoff()
    backoff.connected(100.0)

    assert backoff.failed(100.0 + QUICK_FAILURE) == 0.0


def test_failing_at_once_or_while_connecting_doubles_the_pause_up_to_its_cap() -> None:
    backoff = ReconnectBackoff()
    backoff.connected(0.0)
    pauses = [backoff.failed(60.0)]  # a Redis restart: at once
    now = 60.0
    for _ in range(7):
        now += pauses[-1]
        pauses.append(backoff.failed(now + 0.01))  # refused while setting the connection up

    assert pauses == [0.0, 1.0, 2.0, 4.0, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE]


def test_a_connection_that_fails_soon_after_it_is_made_keeps_the_pause_growing() -> None:
    backoff = ReconnectBackoff()
    backoff.connected(0.0)
    assert backoff.failed(1.0) == 1.0
    backoff.connected(2.0)
    assert backoff.failed(2.5) == 2.0
    backoff.connected(5.0)

    assert backoff.failed(5.0 + QUICK_FAILURE) == 0.0  # it lasted: the pause starts over
    assert backoff.failed(11.0) == 1.0
