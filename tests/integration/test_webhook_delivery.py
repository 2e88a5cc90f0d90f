"""The webhook sink against a real HTTP receiver on 127.0.0.1 that fails (5xx), throttles
(429 + Retry-After) and times out on purpose, with entries the publishing script wrote."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import ip_network

import pytest
import redis
from articles import publish_stories
from webhook_receiver import SECRET, TIMEOUT, Receiver, running_receiver

from worker.adapters.http import HttpClient
from worker.consumer import Backoff, EntryError, StreamEntry
from worker.keys import Keys
from worker.sinks.webhook import RetryPolicy, WebhookSink


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with running_receiver() as running:
        yield running


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
