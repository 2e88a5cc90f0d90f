"""The webhook sink against a real HTTP receiver on 127.0.0.1 that fails (5xx), throttles
(429 + Retry-After) and times out on purpose, with entries the publishing script wrote."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network

import pytest
import redis
from articles import publish_stories

from worker.adapters.http import HttpClient
from worker.consumer import Backoff, EntryError, StreamEntry
from worker.keys import Keys
from worker.sinks.webhook import RetryPolicy, WebhookSink, verify_signature

SECRET = b"webhook-test-secret"
TIMEOUT = 0.5


@dataclass
class Delivery:
    key: str
    body: bytes
    valid: bool
    at: float
    answered: str


@dataclass
class Receiver:
    """Answers each idempotency key's n-th request with its plan's n-th answer ("ok" once
    the plan is used up): a status like "500", "429:<seconds>" or "timeout"."""

    plans: Callable[[str], list[str]]
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_for(self, key: str) -> str:
        with self.lock:
            seen = sum(1 for delivery in self.deliveries if delivery.key == key)
        plan = self.plans(key)
        return plan[seen] if seen < len(plan) else "ok"


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver(plans=lambda key: [])

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            key = self.headers["Idempotency-Key"]
            answer = state.answer_for(key)
            valid = verify_signature(
                SECRET, body, timestamp=self.headers["X-Wirestream-Timestamp"],
                signature=self.headers["X-Wirestream-Signature"], now=time.time(),
            )  # fmt: skip
            with state.lock:
                state.deliveries.append(Delivery(key, body, valid, time.monotonic(), answer))
            if answer == "timeout":
                time.sleep(TIMEOUT * 3)
                answer = "200"
            status, _, retry_after = answer.replace("ok", "200").partition(":")
            self.send_response(int(status))
            if retry_after:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def sink_for(url: str, *, attempts: int = 5) -> WebhookSink:
    client = HttpClient(
        user_agent="wirestream-test/1.0", connect_timeout=TIMEOUT, read_timeout=TIMEOUT,
        total_timeout=TIMEOUT, max_redirects=0, allowed_networks=[ip_network("127.0.0.0/8")],
    )  # fmt: skip
    policy = RetryPolicy(max_attempts=attempts, backoff=Backoff(base=0.05, maximum=2.0))
    return WebhookSink(client, url, secret=SECRET, policy=policy)


def stream_entries(client: redis.Redis, keys: Keys, count: int) -> list[StreamEntry]:
    publish_stories(client, keys, count)
    return [StreamEntry(str(i), dict(f)) for i, f in client.xrange(keys.articles_stream)]


def test_every_article_arrives_signed_through_failures_throttling_and_timeouts(
    receiver: tuple[Receiver, str], redis_client: redis.Redis, keys: Keys
) -> None:
    state, url = receiver
    entries = stream_entries(redis_client, keys, 12)
    behaviours = [["500"], ["429:1"], ["timeout"], ["503", "500", "429:0"], []]
    plan_of = {entry.idempotency_key: behaviours[n % 5] for n, entry in enumerate(entries)}
    state.plans = plan_of.__getitem__

    sink = sink_for(url)
    for entry in entries:
        sink.deliver(entry)

    accepted = [d for d in state.deliveries if d.answered == "ok"]
    assert sorted(d.key for d in accepted) == sorted(plan_of)
    assert all(delivery.valid for delivery in state.deliveries)
    assert {d.body for d in accepted} == {entry.to_json().encode() for entry in entries}
    assert len(state.deliveries) == sum(len(plan) + 1 for plan in plan_of.values())
    for key, plan in plan_of.items():
        if plan == ["429:1"]:
            throttled, retried = [d.at for d in state.deliveries if d.key == key]
            assert retried - throttled >= 1.0, "Retry-After: 1 was not waited for"


def test_an_entry_still_failing_after_the_last_attempt_is_given_up_with_its_error(
    receiver: tuple[Receiver, str], redis_client: redis.Redis, keys: Keys
) -> None:
    state, url = receiver
    (entry,) = stream_entries(redis_client, keys, 1)
    state.plans = lambda key: ["500"] * 10

    with pytest.raises(EntryError) as caught:
        sink_for(url, attempts=3).deliver(entry)

    assert len(state.deliveries) == 3
    assert "500 Internal Server Error, after 3 attempts" in str(caught.value)


def test_nothing_reaches_a_loopback_receiver_the_guard_does_not_allow(
    receiver: tuple[Receiver, str], redis_client: redis.Redis, keys: Keys
) -> None:
    state, url = receiver
    (entry,) = stream_entries(redis_client, keys, 1)
    client = HttpClient(
        user_agent="t", connect_timeout=1, read_timeout=1, total_timeout=1, max_redirects=0
    )
    sink = WebhookSink(client, url, secret=SECRET, policy=RetryPolicy(3, Backoff()))

    with pytest.raises(match=r"refused address 127\.0\.0\.1 \(loopback\)"):
        sink.deliver(entry)

    assert state.deliveries == []
