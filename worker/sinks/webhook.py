"""The webhook sink: each article POSTed as JSON, signed and keyed (``wirestream sink webhook``).

One request per stream entry, ``POST <url>``, body the entry as every command prints it
(:meth:`StreamEntry.to_json`: ``stream_id``, the flat fields, ``data``), with the headers::

    Content-Type: application/json
    Idempotency-Key: <entry.idempotency_key>              same on every attempt and redelivery
    X-Wirestream-Event: article.created | article.updated | article.duplicate
    X-Wirestream-Timestamp: <unix seconds when this attempt was signed>
    X-Wirestream-Signature: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>

A receiver recomputes the signature over the timestamp, a dot and the raw body with the
shared secret (:func:`verify_signature`), refuses a timestamp older than a few minutes (a
replayed request), and stores the idempotency key to ignore the same delivery twice.

Delivery: a 2xx is success. Timeouts, connection errors, 408, 5xx and 429 are retried,
``webhook_retry_base`` seconds after the first failure, doubling, at most
``webhook_retry_max``; a ``Retry-After`` (429 or 503) is waited for instead, up to the same
maximum. After ``webhook_max_attempts`` attempts, or at once on another 4xx, a redirect or a
refused address, the entry is dead-lettered through the consumer with the last error.

Every request goes through the fetcher's guarded client (:class:`HttpClient`): the URL's
addresses are resolved and checked on each attempt, and private, loopback, link-local or
metadata addresses are refused unless ``allowed_networks`` covers them.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass

from worker.adapters.http import HttpClient
from worker.consumer import Backoff, Consumer, EntryError, StopConsuming, StreamEntry
from worker.errors import (
    ConfigError,
    PermanentError,
    RetryableError,
    StageError,
    WirestreamError,
)
from worker.logs import get_logger

STAGE = "sink webhook"
SIGNATURE_HEADER = "X-Wirestream-Signature"
TIMESTAMP_HEADER = "X-Wirestream-Timestamp"
EVENT_HEADER = "X-Wirestream-Event"
IDEMPOTENCY_HEADER = "Idempotency-Key"
_STOP_CHECK_SECONDS = 0.1  # how soon a stop is noticed while waiting to retry

log = get_logger("wirestream.sink.webhook")


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp`` (unix seconds)."""
    digest = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def verify_signature(
    secret: bytes,
    body: bytes,
    *,
    timestamp: str,
    signature: str,
    now: float,
    tolerance: float = 300.0,
) -> bool:
    """What a receiver checks: the signature matches the raw body and the timestamp, and the
    timestamp is within ``tolerance`` seconds of ``now`` (older: a replay)."""
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per entry and the wait before each next one."""

    max_attempts: int
    backoff: Backoff

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Seconds to wait after failed ``attempt`` (1-based): the receiver's Retry-After
        when it gave one, else the backoff; never more than the backoff's maximum."""
        wanted = retry_after if retry_after is not None else self.backoff.delay(attempt)
        return min(wanted, self.backoff.maximum)


class WebhookSink:
    """Delivers entries to one URL; :meth:`deliver` is a consumer handler.

    ``stopping`` is asked before each entry and while waiting to retry: once it says so, the
    entry in hand and the rest of its batch are handed back to the group, uncounted
    (:class:`StopConsuming`), so a stop never waits out a receiver's outage.
    :func:`run_webhook_sink` points it at the consumer's.
    """

    def __init__(
        self,
        client: HttpClient,
        url: str,
        *,
        secret: bytes,
        policy: RetryPolicy,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], object] = time.sleep,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        if not secret:
            raise ConfigError(f"{STAGE}: no secret: set webhook_secret (WIRESTREAM_WEBHOOK_SECRET)")
        self._client = client
        self._url = url
        self._secret = secret
        self._policy = policy
        self._clock = clock
        self._sleep = sleep
        self.stopping = stopping

    def check(self) -> list[str]:
        """The URL's addresses, allowed by the guard, before any entry is read: a
        :class:`ConfigError` for a malformed URL or a refused address, a
        :class:`WirestreamError` when its name cannot be resolved now."""
        try:
            return self._client.check_url(self._url)
        except PermanentError as error:
            raise ConfigError(f"{STAGE}: {error.reason} for {self._url}") from None
        except StageError as error:
            raise WirestreamError(f"{STAGE}: {error.reason} for {self._url}") from None

    def deliver(self, entry: StreamEntry) -> None:
        """POST ``entry``, retrying as the policy says; an :class:`EntryError` (the consumer
        dead-letters it at once) when it gave up."""
        if self.stopping():
            raise StopConsuming
        body = entry.to_json().encode()  # EntryError when data is not a JSON object
        for attempt in range(1, self._policy.max_attempts + 1):
            try:
                status = self._client.post(self._url, body, headers=self._headers(entry, body))
            except RetryableError as error:
                if attempt == self._policy.max_attempts:
                    raise self._failed(entry, f"{error.reason}, after {attempt} attempts") from None
                delay = self._policy.delay(attempt, error.retry_after)
                log.warning(
                    "webhook_retry",
                    stream_id=entry.stream_id,
                    attempt=attempt,
                    reason=error.reason,
                    delay=round(delay, 3),
                )
                if not self._pause(delay):
                    raise StopConsuming from None
            except PermanentError as error:
                raise self._failed(entry, error.reason) from None
            else:
                log.info(
                    "webhook_delivered", stream_id=entry.stream_id, status=status, attempt=attempt
                )
                return

    def _pause(self, seconds: float) -> bool:
        """Wait ``seconds`` in short steps; False as soon as a stop is asked for."""
        remaining = seconds
        while remaining > 0:
            if self.stopping():
                return False
            step = min(remaining, _STOP_CHECK_SECONDS)
            self._sleep(step)
            remaining -= step
        return not self.stopping()

    def _headers(self, entry: StreamEntry, body: bytes) -> dict[str, str]:
        timestamp = int(self._clock())
        return {
            "Content-Type": "application/json",
            IDEMPOTENCY_HEADER: entry.idempotency_key,
            EVENT_HEADER: entry.event,
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: sign(self._secret, timestamp, body),
        }

    def _failed(self, entry: StreamEntry, reason: str) -> EntryError:
        log.error("webhook_failed", stream_id=entry.stream_id, reason=reason)
        return EntryError(entry.stream_id, f"{STAGE}: {reason} ({self._url})")


def run_webhook_sink(consumer: Consumer, sink: WebhookSink, *, until_idle: bool = False) -> int:
    """Deliver what the consumer reads until it stops (call :meth:`WebhookSink.check`
    first); the entries settled (delivered or dead-lettered)."""
    sink.stopping = lambda: consumer.stopping
    return consumer.run(sink.deliver, until_idle=until_idle)
