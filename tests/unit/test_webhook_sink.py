"""The webhook sink without a network: signatures, the retry policy, and the address guard
(a stub resolver and a transport that fails the test if it is ever called)."""

from __future__ import annotations

import json
import socket

import httpx
import pytest

from worker.adapters.http import HttpClient
from worker.consumer import Backoff, EntryError, StopConsuming, StreamEntry
from worker.errors import ConfigError, WirestreamError
from worker.sinks.webhook import (
    RetryPolicy,
    WebhookSink,
    sign,
    verify_signature,
)

SECRET = b"s3cret"
ENTRY = StreamEntry(
    "1764489600000-0",
    {
        "schema": "wirestream.article/1",
        "event": "article.created",
        "id": "a" * 32,
        "cluster": "a" * 32,
        "data": json.dumps({"id": "a" * 32, "title": "Story"}),
    },
)
POLICY = RetryPolicy(max_attempts=3, backoff=Backoff(base=1.0, maximum=10.0))


class StubResolver:
    def __init__(self, table: dict[str, list[str]]) -> None:
        self.table = table
        self.calls: list[str] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


def forbidden(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"the guard let a webhook request through to {request.url}")


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("a unit test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


def client(handler: object = forbidden, table: dict[str, list[str]] | None = None) -> HttpClient:
    return HttpClient(
        user_agent="wirestream-test/1.0",
        connect_timeout=1.0,
        read_timeout=1.0,
        total_timeout=2.0,
        max_redirects=0,
        resolver=StubResolver(table or {"hooks.example": ["93.184.216.34"]}),
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
    )


def test_signature_is_hmac_sha256_over_timestamp_dot_body_in_hex() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET, b"1700000000.{}", hashlib.sha256).hexdigest()

    assert sign(SECRET, 1_700_000_000, b"{}") == f"sha256={expected}"


def test_verify_accepts_a_fresh_signature_and_refuses_tampering_and_replay() -> None:
    signature = sign(SECRET, 1_700_000_000, b'{"a":1}')
    ok = {"timestamp": "1700000000", "signature": signature}

    assert verify_signature(SECRET, b'{"a":1}', **ok, now=1_700_000_010)
    assert not verify_signature(SECRET, b'{"a":2}', **ok, now=1_700_000_010)
    assert not verify_signature(b"other", b'{"a":1}', **ok, now=1_700_000_010)
    assert not verify_signature(SECRET, b'{"a":1}', **ok, now=1_700_000_000 + 301)
    assert not verify_signature(
        SECRET, b'{"a":1}', timestamp="1700000001", signature=signature, now=1_700_000_010
    )


def test_retry_delay_doubles_and_follows_retry_after_within_the_maximum() -> None:
    assert [POLICY.delay(attempt, None) for attempt in (1, 2, 3, 4, 5)] == [1, 2, 4, 8, 10]
    assert POLICY.delay(1, 7.0) == 7.0
    assert POLICY.delay(3, 0.0) == 0.0
    assert POLICY.delay(1, 3600.0) == 10.0


def test_a_name_resolving_to_a_private_address_is_refused_before_any_request() -> None:
    resolver_table = {"hooks.example": ["10.0.0.7"]}
    sink = WebhookSink(client(table=resolver_table), "https://hooks.example/in", secret=SECRET,
                       policy=POLICY, sleep=lambda seconds: pytest.fail("no retry"))  # fmt: skip

    with pytest.raises(ConfigError) as at_start:
        sink.check()
    with pytest.raises(EntryError) as at_delivery:
        sink.deliver(ENTRY)

    assert str(at_start.value) == (
        "sink webhook: refused address 10.0.0.7 (private) for https://hooks.example/in"
    )
    assert "refused address 10.0.0.7 (private)" in str(at_delivery.value)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://169.254.169.254/hook", "refused address 169.254.169.254 (cloud metadata)"),
        ("http://127.0.0.1:9/hook", "refused address 127.0.0.1 (loopback)"),
        ("ftp://hooks.example/hook", "unsupported scheme 'ftp'"),
        ("http://user@hooks.example/hook", "URL with user info"),
    ],
)
def test_a_refused_or_malformed_url_is_a_config_error_in_one_line(url: str, reason: str) -> None:
    sink = WebhookSink(client(), url, secret=SECRET, policy=POLICY)

    with pytest.raises(ConfigError) as caught:
        sink.check()

    assert str(caught.value) == f"sink webhook: {reason} for {url}"


def test_a_missing_secret_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="set webhook_secret"):
        WebhookSink(client(), "https://hooks.example/in", secret=b"", policy=POLICY)


def test_redirect_and_client_errors_are_dead_lettered_without_retry() -> None:
    for status in (301, 400, 410):
        sink = WebhookSink(
            client(lambda request, s=status: httpx.Response(s, headers={"Location": "/x"})),
            "https://hooks.example/in", secret=SECRET, policy=POLICY,
            sleep=lambda seconds: pytest.fail("no retry"),
        )  # fmt: skip
        with pytest.raises(EntryError) as caught:
            sink.deliver(ENTRY)
        assert str(status) in str(caught.value)


def test_gives_up_after_the_last_attempt_and_names_the_error() -> None:
    requests: list[httpx.Request] = []
    waits: list[float] = []

    def failing(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(503)

    sink = WebhookSink(client(failing), "https://hooks.example/in", secret=SECRET,
                       policy=POLICY, sleep=waits.append)  # fmt: skip
    with pytest.raises(EntryError) as caught:
        sink.deliver(ENTRY)

    assert len(requests) == 3
    assert sum(waits) == pytest.approx(1.0 + 2.0)
    assert "503 Service Unavailable, after 3 attempts" in str(caught.value)
    keys = {request.headers["idempotency-key"] for request in requests}
    assert keys == {f"{'a' * 32}:article.created:1764489600000-0"}


def test_an_entry_whose_data_is_not_json_is_refused_as_not_an_article() -> None:
    broken = StreamEntry("1-0", {**ENTRY.fields, "data": "{not json"})
    sink = WebhookSink(client(), "https://hooks.example/in", secret=SECRET, policy=POLICY)

    with pytest.raises(EntryError) as caught:
        sink.deliver(broken)

    assert str(caught.value).startswith("consume: entry 1-0: data is not JSON: ")


def test_the_post_goes_to_the_checked_address_with_the_real_host_signed_and_keyed() -> None:
    seen: list[httpx.Request] = []

    def accept(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    sink = WebhookSink(client(accept), "https://hooks.example/in?x=1", secret=SECRET,
                       policy=POLICY, clock=lambda: 1_700_000_000.7)  # fmt: skip
    sink.deliver(ENTRY)

    (request,) = seen
    assert request.method == "POST"
    assert str(request.url) == "https://93.184.216.34/in?x=1"
    assert request.headers["host"] == "hooks.example"
    assert request.extensions["sni_hostname"] == "hooks.example"
    assert request.content == ENTRY.to_json().encode()
    assert request.headers["content-type"] == "application/json"
    assert request.headers["x-wirestream-event"] == "article.created"
    assert request.headers["x-wirestream-timestamp"] == "1700000000"
    assert verify_signature(
        SECRET, request.content, timestamp="1700000000",
        signature=request.headers["x-wirestream-signature"], now=1_700_000_000,
    )  # fmt: skip


def test_a_stop_during_a_retry_wait_hands_the_entry_back_at_once() -> None:
    requests: list[httpx.Request] = []
    stop_after_first = lambda: len(requests) >= 1  # noqa: E731

    def failing(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(503, headers={"Retry-After": "30"})

    waits: list[float] = []
    sink = WebhookSink(client(failing), "https://hooks.example/in", secret=SECRET,
                       policy=POLICY, sleep=waits.append, stopping=stop_after_first)  # fmt: skip
    with pytest.raises(StopConsuming):
        sink.deliver(ENTRY)
    with pytest.raises(StopConsuming):
        sink.deliver(ENTRY)  # the next entry of the batch is not even tried

    assert len(requests) == 1
    assert waits == []


def test_a_name_that_does_not_resolve_at_start_is_an_error_but_not_a_config_error() -> None:
    sink = WebhookSink(client(table={}), "https://nowhere.example/in", secret=SECRET,
                       policy=POLICY)  # fmt: skip

    with pytest.raises(WirestreamError) as caught:
        sink.check()

    assert not isinstance(caught.value, ConfigError)
    assert str(caught.value).startswith("sink webhook: DNS lookup failed for nowhere.example")
