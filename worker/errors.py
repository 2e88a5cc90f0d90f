"""One error tree for the whole pipeline.

::

    WirestreamError
    ├── ConfigError            a setting, config file or CLI argument is wrong (exit 2)
    ├── Deferred               not a failure: the host must not be asked yet (budget,
    │                          Crawl-delay, parked); the work is rescheduled after ``delay``
    └── StageError             one stage could not handle one input
        ├── RetryableError     may work later: timeouts, connection errors, 5xx, 429
        │   └── RedisUnavailable   Redis (store or broker) unreachable or refusing writes:
        │                          not the input's failure; the task goes back to its queue
        └── PermanentError     will never work: 404/410, refused address or type,
                               oversized body, unparseable feed or page

Adapters translate their clients' exceptions into these once; tasks decide retry or
dead-letter from the class alone. Expected outcomes (a 304, a duplicate, an entry seen
before) are return values, never exceptions.
"""

from __future__ import annotations


class WirestreamError(Exception):
    """Base of every error wirestream raises on purpose."""


class ConfigError(WirestreamError):
    """A setting, a config file or a command-line argument is invalid."""


class Deferred(WirestreamError):
    """A request that must wait for its host; the task is rescheduled, never failed."""

    def __init__(self, host: str, delay: float, why: str) -> None:
        self.host = host
        self.delay = delay
        self.why = why
        super().__init__(f"fetch: {host} {why}, next request in {delay:.2f}s")


class StageError(WirestreamError):
    """One stage failed on one input; the message names the stage and the input."""

    def __init__(self, stage: str, subject: str, reason: str) -> None:
        self.stage = stage
        self.subject = subject
        self.reason = reason
        super().__init__(f"{stage}: {reason} for {subject}")

    def __reduce__(self) -> tuple[type[StageError], tuple[str, str, str], dict[str, object]]:
        # Raised in a CPU process (worker.adapters.cpu), it is pickled back to the task.
        return type(self), (self.stage, self.subject, self.reason), self.__dict__


class RetryableError(StageError):
    """A failure that may go away: retried with backoff, dead-lettered when attempts run out."""

    def __init__(
        self, stage: str, subject: str, reason: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(stage, subject, reason)
        self.retry_after = retry_after


class RedisUnavailable(RetryableError):
    """Redis, the pipeline's store or its broker, is unreachable or refuses writes: no fault
    of the input (a feed is not marked failing for it); the task goes back to its queue."""


class PermanentError(StageError):
    """A failure that retrying cannot fix: dead-lettered at once."""
