"""The guarded HTTP client without a network: a stub resolver and httpx.MockTransport.

Every test here runs with sockets and getaddrinfo patched to fail the test, and the guard
tests use a transport that fails the test when called: a broken guard fails a test, it never
opens a connection.
"""

from __future__ import annotations

import gzip
import itertools
import socket
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from ipaddress import ip_network
from typing import Any

import brotli  # type: ignore[import-untyped]
import httpx
import pytest
import zstandard

from worker.adapters.http import (
    HttpClient,
    SystemResolver,
    check_address,
    parse_retry_after,
)
from worker.errors import PermanentError, RetryableError
from worker.settings import Settings

PUBLIC = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"
HTML = b"<!doctype html><html><head><title>t</title></head><body>story</body></html>"

Handler = Callable[[httpx.Request], httpx.Response]


class StubResolver:
    """A DNS table in a dict; records every lookup."""

    def __init__(self, table: dict[str, list[str]] | None = None) -> None:
        self.table = table if table is not None else {"news.example": [PUBLIC]}
        self.calls: list[str] = []

    def resolve(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.table[host]


class NoDnsResolver:
    def resolve(self, host: str, port: int) -> list[str]:
        pytest.fail(f"a literal address must be checked without DNS, but {host!r} was resolved")


def forbidden(request: httpx.Request) -> httpx.Response:
    pytest.fail(
        f"the guard let a request through to {request.url} (Host: {request.headers['host']})"
    )


def html_page(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, headers={"Content-Type": "text/html; charset=utf-8"}, content=HTML)


def make_client(handler: Handler = forbidden, resolver: Any = None, **options: Any) -> HttpClient:
    settings: dict[str, Any] = {
        "user_agent": "wirestream-test/1.0",
        "connect_timeout": 1.0,
        "read_timeout": 1.0,
        "total_timeout": 5.0,
        "max_redirects": 3,
    }
    settings.update(options)
    return HttpClient(
        resolver=resolver or StubResolver(),
        transport=httpx.MockTransport(handler),
        **settings,
    )


def redirect(location: str, status: int = 301) -> httpx.Response:
    return httpx.Response(status, headers={"Location": location})


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        pytest.fail("a unit test tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


# --- the address guard ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "address", "reason"),
    [
        ("http://10.0.0.1/", "10.0.0.1", "private"),
        ("http://172.16.0.1/", "172.16.0.1", "private"),
        ("http://192.168.1.1/", "192.168.1.1", "private"),
        ("http://127.0.0.1/", "127.0.0.1", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254", "cloud metadata"),
        ("http://100.100.100.200/", "100.100.100.200", "cloud metadata"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254", "cloud metadata"),
        ("http://[fd00::1]/", "fd00::1", "unique-local"),
        ("http://[fe80::1]/", "fe80::1", "link-local"),
        ("http://[::1]/", "::1", "loopback"),
        ("http://[::ffff:127.0.0.1]/", None, "loopback"),
        ("http://[::ffff:10.0.0.1]/", None, "private"),
        ("http://2130706433/", "127.0.0.1", "loopback"),
        ("http://0177.0.0.1/", "127.0.0.1", "loopback"),
        ("http://0x7f.1/", "127.0.0.1", "loopback"),
        ("http://0X7F.0.0.1/", "127.0.0.1", "loopback"),
        ("http://127.1/", "127.0.0.1", "loopback"),
        ("http://127.0.0.1./", "127.0.0.1", "loopback"),
        ("http://0/", "0.0.0.0", "unspecified"),
        ("https://10.0.0.1:8443/feed.xml", "10.0.0.1", "private"),
    ],
)
def test_literal_address_is_refused_without_dns_and_before_any_connection(
    url: str, address: str | None, reason: str
) -> None:
    with make_client(resolver=NoDnsResolver()) as client, pytest.raises(PermanentError) as caught:
        client.fetch(url, kind="article", max_bytes=1000)
    assert caught.value.stage == "fetch"
    assert caught.value.subject == url
    assert caught.value.reason.startswith("refused address ")
    assert caught.value.reason.endswith(f"({reason})")
    if address is not None:
        assert caught.value.reason == f"refused address {address} ({reason})"


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fd00::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:10.0.0.1", "private"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),
    ],
)
def test_public_name_resolving_to_a_forbidden_address_is_refused(address: str, reason: str) -> None:
    resolver = StubResolver({"news.example": [address]})
    with make_client(resolver=resolver) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert str(caught.value) == (
        f"fetch: refused address {address} ({reason}) for http://news.example/a"
    )
    assert resolver.calls == ["news.example"]


def test_name_with_one_public_and_one_private_address_is_refused() -> None:
    resolver = StubResolver({"news.example": [PUBLIC, "10.0.0.5"]})
    with make_client(resolver=resolver) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert caught.value.reason == "refused address 10.0.0.5 (private)"


def test_redirect_to_a_private_host_is_refused_before_the_second_request() -> None:
    sent: list[httpx.URL] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.url)
        if request.url.host == PUBLIC:
            return redirect("http://internal.example/admin")
        return forbidden(request)

    resolver = StubResolver({"news.example": [PUBLIC], "internal.example": ["10.0.0.7"]})
    with make_client(handler, resolver) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/story", kind="article", max_bytes=1000)
    assert str(caught.value) == (
        "fetch: refused address 10.0.0.7 (private) after redirect to"
        " http://internal.example/admin for http://news.example/story"
    )
    assert [url.host for url in sent] == [PUBLIC]


@pytest.mark.parametrize(
    "location",
    ["http://169.254.169.254/latest/meta-data/", "http://[::1]:6379/", "http://0x7f.1/"],
)
def test_redirect_to_a_forbidden_literal_address_is_refused(location: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return redirect(location) if request.url.host == PUBLIC else forbidden(request)

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/", kind="article", max_bytes=1000)
    assert caught.value.reason.startswith("refused address ")
    assert caught.value.reason.endswith(f" after redirect to {location}")


@pytest.mark.parametrize("location", ["file:///etc/passwd", "ftp://news.example/x", "gopher://x/"])
def test_redirect_to_a_non_http_scheme_is_refused(location: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return redirect(location) if request.url.host == PUBLIC else forbidden(request)

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/", kind="article", max_bytes=1000)
    assert caught.value.reason.startswith("unsupported scheme ")


def test_allowed_networks_let_loopback_through() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return html_page(request)

    resolver = StubResolver({"simweb.test": ["127.0.0.5"]})
    loopback = [ip_network("127.0.0.0/8")]
    with make_client(handler, resolver, allowed_networks=loopback) as client:
        for url in (
            "http://127.0.0.1:8080/a",
            "http://simweb.test/b",
            "http://[::ffff:127.0.0.1]/",
        ):
            assert client.fetch(url, kind="article", max_bytes=1000).status == 200
        with pytest.raises(PermanentError, match=r"refused address 10\.0\.0\.1 \(private\)"):
            client.fetch("http://10.0.0.1/", kind="article", max_bytes=1000)
    assert [request.url.host for request in sent] == ["127.0.0.1", "127.0.0.5", "::ffff:7f00:1"]


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://news.example/feed.xml", "unsupported scheme 'ftp'"),
        ("file:///etc/passwd", "unsupported scheme 'file'"),
        ("gopher://news.example/", "unsupported scheme 'gopher'"),
        ("javascript:alert(1)", "unsupported scheme 'javascript'"),
        ("news.example/feed.xml", "unsupported scheme ''"),
        ("http://user:secret@news.example/", "URL with user info"),
        ("http://news.example\\@10.0.0.1/", "URL with user info"),
        ("http:///feed.xml", "URL without host"),
        ("http://news.example:0/", "invalid port 0"),
        ("http://news.example:99999/", "invalid URL (Port out of range 0-65535)"),
        ("http://exa mple.com/", "invalid host name 'exa mple.com'"),
        ("http://%31%32%37.0.0.1/", "invalid host name '%31%32%37.0.0.1'"),
    ],
)
def test_malformed_or_non_http_url_is_refused(url: str, reason: str) -> None:
    with make_client(resolver=NoDnsResolver()) as client, pytest.raises(PermanentError) as caught:
        client.fetch(url, kind="feed", max_bytes=1000)
    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        (PUBLIC, None),
        (PUBLIC_V6, None),
        ("8.8.8.8", None),
        ("::ffff:93.184.216.34", None),
        ("10.0.0.5", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("fc00::1", "unique-local"),
        ("2002:a00:1::1", "private"),  # 6to4 around 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 around 127.0.0.1
        ("2001:0:5db8:d822:0:0:f5ff:fffe", "private"),  # Teredo, client 10.0.0.1
        ("64:ff9b::a00:1", "private"),  # NAT64 around 10.0.0.1
        ("::a00:1", "private"),  # deprecated IPv4-compatible 10.0.0.1
        ("::7f00:1", "loopback"),
        ("fe80::1%eth0", "link-local"),
        ("not-an-ip", "not an IP address"),
    ],
)
def test_check_address_names_the_reason(address: str, reason: str | None) -> None:
    assert check_address(address, []) == reason


def test_check_address_allows_only_what_the_allowed_networks_cover() -> None:
    allowed = [ip_network("127.0.0.0/8"), ip_network("10.1.0.0/16")]
    assert check_address("127.0.0.1", allowed) is None
    assert check_address("::ffff:127.0.0.1", allowed) is None
    assert check_address("10.1.2.3", allowed) is None
    assert check_address("10.2.0.1", allowed) == "private"
    assert check_address("::1", allowed) == "loopback"
    assert check_address("169.254.169.254", allowed) == "cloud metadata"


# --- what is sent --------------------------------------------------------------------------


def test_request_goes_to_the_checked_ip_with_the_original_host_header() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return html_page(request)

    url = "http://News.Example:8080/path/story?id=7&x=%20#section"
    with make_client(handler) as client:
        response = client.fetch(url, kind="article", max_bytes=1000)
    (request,) = sent
    assert str(request.url) == f"http://{PUBLIC}:8080/path/story?id=7&x=%20"
    assert request.headers["host"] == "news.example:8080"
    assert request.headers["user-agent"] == "wirestream-test/1.0"
    assert set(request.headers["accept-encoding"].split(", ")) >= {"gzip", "deflate"}
    assert "sni_hostname" not in request.extensions
    assert response.final_url == url
    assert response.requested_url == url
    assert response.redirects == ()


def test_https_sends_the_real_name_for_tls_and_does_not_reuse_the_connection() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return html_page(request)

    resolver = StubResolver({"news.example": [PUBLIC_V6]})
    with make_client(handler, resolver) as client:
        client.fetch("https://news.example/a", kind="article", max_bytes=1000)
    (request,) = sent
    assert str(request.url) == f"https://[{PUBLIC_V6}]/a"
    assert request.headers["host"] == "news.example"
    assert request.extensions["sni_hostname"] == "news.example"
    assert request.headers["connection"] == "close"


def test_international_name_is_resolved_and_sent_in_its_ascii_form() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return html_page(request)

    resolver = StubResolver({"xn--bcher-kva.example": [PUBLIC]})
    with make_client(handler, resolver) as client:
        client.fetch("http://bücher.example/", kind="article", max_bytes=1000)
    assert sent[0].headers["host"] == "xn--bcher-kva.example"


def test_conditional_request_returns_304_as_a_response() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.headers["if-none-match"] == '"v1"'
        assert request.headers["if-modified-since"] == "Wed, 21 Oct 2015 07:28:00 GMT"
        return httpx.Response(304, headers={"ETag": '"v1"'})

    with make_client(handler) as client:
        response = client.fetch(
            "http://news.example/feed.xml",
            kind="feed",
            max_bytes=1000,
            etag='"v1"',
            last_modified="Wed, 21 Oct 2015 07:28:00 GMT",
        )
    assert response.status == 304
    assert response.not_modified
    assert response.body == b""
    assert response.headers["etag"] == '"v1"'


def test_response_carries_lower_case_headers_and_the_fetch_time() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": "text/html", "X-Custom-Thing": "1"}, content=HTML
        )

    before = datetime.now(UTC)
    with make_client(handler) as client:
        response = client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert response.body == HTML
    assert response.headers["x-custom-thing"] == "1"
    assert response.content_type == "text/html"
    assert all(name == name.lower() for name in response.headers)
    assert before <= response.fetched_at <= datetime.now(UTC)
    assert response.fetched_at.tzinfo is UTC


def test_cookies_are_never_kept_between_requests() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(
            200, headers={"Content-Type": "text/html", "Set-Cookie": "session=abc"}, content=HTML
        )

    with make_client(handler) as client:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
        client.fetch("http://news.example/b", kind="article", max_bytes=1000)
    assert "cookie" not in sent[1].headers


def test_from_settings_uses_the_settings_and_the_overrides() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return html_page(request)

    settings = Settings(user_agent="from-settings/2", allowed_networks="127.0.0.0/8")
    client = HttpClient.from_settings(
        settings, transport=httpx.MockTransport(handler), resolver=NoDnsResolver()
    )
    with client:
        client.fetch("http://127.0.0.1/", kind="article", max_bytes=1000)
    assert sent[0].headers["user-agent"] == "from-settings/2"


# --- redirects -----------------------------------------------------------------------------


def test_relative_redirect_is_followed_and_reported() -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if request.url.path == "/old":
            return redirect("/new?x=1", 302)
        if request.headers["host"] == "news.example":
            return redirect("https://cdn.example/final", 308)
        return html_page(request)

    resolver = StubResolver({"news.example": [PUBLIC], "cdn.example": ["93.184.216.35"]})
    with make_client(handler, resolver) as client:
        response = client.fetch("http://news.example/old", kind="article", max_bytes=1000)
    assert [str(request.url) for request in sent] == [
        f"http://{PUBLIC}/old",
        f"http://{PUBLIC}/new?x=1",
        "https://93.184.216.35/final",
    ]
    assert [request.headers["host"] for request in sent] == [
        "news.example",
        "news.example",
        "cdn.example",
    ]
    assert response.redirects == ("http://news.example/new?x=1", "https://cdn.example/final")
    assert response.final_url == "https://cdn.example/final"
    assert response.requested_url == "http://news.example/old"
    assert resolver.calls == ["news.example", "news.example", "cdn.example"]


def test_redirects_up_to_the_limit_are_followed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        hop = int(request.url.path.strip("/"))
        return redirect(f"/{hop + 1}") if hop < 3 else html_page(request)

    with make_client(handler, max_redirects=3) as client:
        response = client.fetch("http://news.example/0", kind="article", max_bytes=1000)
    assert response.final_url == "http://news.example/3"
    assert len(response.redirects) == 3


@pytest.mark.parametrize("limit", [0, 2])
def test_one_redirect_beyond_the_limit_is_refused(limit: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return redirect(f"/{int(request.url.path.strip('/')) + 1}")

    with make_client(handler, max_redirects=limit) as client, pytest.raises(PermanentError) as e:
        client.fetch("http://news.example/0", kind="article", max_bytes=1000)
    assert e.value.reason == f"too many redirects (more than {limit})"


def test_redirect_loop_is_detected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return redirect("/b" if request.url.path == "/a" else "/a#top")

    with make_client(handler, max_redirects=10) as client, pytest.raises(PermanentError) as e:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert e.value.reason == "redirect loop at http://news.example/a#top"


def test_redirect_without_location_is_permanent() -> None:
    client = make_client(lambda request: httpx.Response(302))
    with client, pytest.raises(PermanentError, match="302 Found without Location"):
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)


# --- status mapping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "error", "reason"),
    [
        (400, PermanentError, "400 Bad Request"),
        (403, PermanentError, "403 Forbidden"),
        (404, PermanentError, "404 Not Found"),
        (410, PermanentError, "410 Gone"),
        (451, PermanentError, "451 Unavailable For Legal Reasons"),
        (300, PermanentError, "300 Multiple Choices"),
        (408, RetryableError, "408 Request Timeout"),
        (500, RetryableError, "500 Internal Server Error"),
        (502, RetryableError, "502 Bad Gateway"),
        (504, RetryableError, "504 Gateway Timeout"),
        (599, RetryableError, "599"),
    ],
)
def test_error_status_maps_to_the_error_class(
    status: int, error: type[Exception], reason: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        # An error page in a refused type: the status decides, not the type.
        return httpx.Response(status, headers={"Content-Type": "application/pdf"}, content=b"x")

    with make_client(handler) as client, pytest.raises(error) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert str(caught.value) == f"fetch: {reason} for http://news.example/a"
    assert type(caught.value) is error


@pytest.mark.parametrize("status", [200, 203, 204, 206])
def test_success_status_is_a_response(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Content-Type": "application/rss+xml"})

    with make_client(handler) as client:
        assert client.fetch("http://news.example/f", kind="feed", max_bytes=10).status == status


def test_429_carries_retry_after_in_seconds() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "30"})

    with make_client(handler) as client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert str(caught.value) == "fetch: 429 Too Many Requests for http://news.example/a"
    assert caught.value.retry_after == 30.0


def test_503_carries_retry_after_from_an_http_date() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": later})

    with make_client(handler) as client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert caught.value.reason == "503 Service Unavailable"
    assert caught.value.retry_after is not None
    assert 100 <= caught.value.retry_after <= 120


def test_503_without_retry_after_has_none() -> None:
    client = make_client(lambda request: httpx.Response(503))
    with client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert caught.value.retry_after is None


NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Sat, 01 Mar 2025 12:01:30 GMT", 90.0),
        ("Sat, 01 Mar 2025 12:01:30 -0000", 90.0),
        ("Saturday, 01-Mar-25 12:00:10 GMT", 10.0),
        ("Sat, 01 Mar 2025 11:00:00 GMT", 0.0),  # in the past: now, never negative
        ("-5", None),
        ("1.5", None),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_retry_after_reads_both_forms(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


# --- content types -------------------------------------------------------------------------


def serve(content_type: str | None, body: bytes = HTML) -> Handler:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return lambda request: httpx.Response(200, headers=headers, content=body)


@pytest.mark.parametrize(
    ("kind", "content_type", "named"),
    [
        ("article", "application/pdf", "application/pdf"),
        ("article", "application/rss+xml", "application/rss+xml"),
        ("article", "image/jpeg", "image/jpeg"),
        ("feed", "text/html; charset=utf-8", "text/html"),
        ("feed", "application/pdf", "application/pdf"),
        ("feed", "text/plain", "text/plain"),
    ],
)
def test_refused_content_type_is_named(kind: Any, content_type: str, named: str) -> None:
    with make_client(serve(content_type)) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/x", kind=kind, max_bytes=1000)
    assert caught.value.reason == f"refused content type {named!r}"


@pytest.mark.parametrize(
    "content_type",
    [
        "application/rss+xml",
        "application/atom+xml; charset=utf-8",
        "application/xml",
        "text/xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "Application/RSS+XML",
        None,
    ],
)
def test_feed_types_and_a_missing_type_are_accepted_for_feeds(content_type: str | None) -> None:
    with make_client(serve(content_type, b"<rss/>")) as client:
        response = client.fetch("http://news.example/f", kind="feed", max_bytes=1000)
    assert response.body == b"<rss/>"


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html", HTML),
        ("TEXT/HTML; charset=ISO-8859-1", HTML),
        ("application/xhtml+xml", HTML),
        (None, b"\xef\xbb\xbf\n  <!DOCTYPE HTML>\n<html><body>x</body></html>"),
        (None, b"<!-- served by x -->\n<HTML lang=en><body>x</body></HTML>"),
    ],
)
def test_html_and_sniffed_html_are_accepted_for_articles(
    content_type: str | None, body: bytes
) -> None:
    with make_client(serve(content_type, body)) as client:
        response = client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert response.body == body


def test_article_without_content_type_that_is_not_html_is_refused() -> None:
    with make_client(serve(None, b"%PDF-1.7 ...")) as client, pytest.raises(PermanentError) as e:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert e.value.reason == "refused body without content type that is not HTML"


# --- size and time bounds ------------------------------------------------------------------


class UnreadableStream(httpx.SyncByteStream):
    def __iter__(self) -> Iterator[bytes]:
        pytest.fail("the body was read although Content-Length already said it was too large")


class GeneratedStream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks


def test_oversize_content_length_is_refused_before_reading() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Length": "5000000"}
        return httpx.Response(200, headers=headers, stream=UnreadableStream())

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/big", kind="article", max_bytes=1_000_000)
    assert caught.value.reason == "body larger than 1000000 bytes"


def test_oversize_streamed_body_without_length_is_refused() -> None:
    chunks = (b"x" * 1000 for _ in range(100))

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, headers={"Content-Type": "text/html"}, stream=GeneratedStream(chunks)
        )

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/big", kind="article", max_bytes=10_000)
    assert caught.value.reason == "body larger than 10000 bytes"


def test_gzip_body_is_decoded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=gzip.compress(HTML))

    with make_client(handler) as client:
        assert client.fetch("http://news.example/a", kind="article", max_bytes=1000).body == HTML


def test_gzip_body_is_limited_after_decompression() -> None:
    bomb = gzip.compress(bytes(5_000_000))
    assert len(bomb) < 1_000_000

    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return httpx.Response(200, headers=headers, content=bomb)

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/bomb", kind="article", max_bytes=1_000_000)
    assert caught.value.reason == "body larger than 1000000 bytes"


# A gzip header announcing a comment (FLG.FCOMMENT): its bytes decode to nothing at all.
GZIP_COMMENT_HEADER = b"\x1f\x8b\x08\x10\x00\x00\x00\x00\x00\x03"


def gzip_comment(chunks: Iterator[bytes]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        stream = GeneratedStream(itertools.chain([GZIP_COMMENT_HEADER], chunks))
        return httpx.Response(200, headers=headers, stream=stream)

    return handler


def test_endless_body_that_decodes_to_nothing_is_still_limited() -> None:
    endless = itertools.repeat(b"a" * 4096)
    with make_client(gzip_comment(endless)) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=100_000)
    assert caught.value.reason == "body larger than 100000 bytes"


def test_slow_drip_is_ended_by_the_total_timeout() -> None:
    def drip() -> Iterator[bytes]:
        while True:
            time.sleep(0.05)
            yield b"a"

    started = time.monotonic()
    client = make_client(gzip_comment(drip()), total_timeout=0.3)
    with client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=100_000)
    assert caught.value.reason == "timed out after 0.3s"
    assert time.monotonic() - started < 1.0


# --- transport errors ----------------------------------------------------------------------


def raising(error: Exception) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error

    return handler


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection failed: [Errno 111]"),
        (httpx.ConnectTimeout("timed out"), "connect timed out after 1s"),
        (httpx.ReadTimeout("timed out"), "read timed out after 1s"),
        (httpx.WriteTimeout("timed out"), "write timed out after 1s"),
        (httpx.ReadError("[Errno 104] Connection reset by peer"), "connection lost: [Errno 104]"),
        (httpx.RemoteProtocolError("illegal status line"), "protocol error: illegal status"),
    ],
)
def test_transport_failure_is_retryable_with_a_short_reason(error: Exception, reason: str) -> None:
    with make_client(raising(error)) as client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert caught.value.reason.startswith(reason)
    assert caught.value.__cause__ is error


def test_undecodable_gzip_is_permanent() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
        return httpx.Response(
            200, headers=headers, stream=httpx.ByteStream(b"this is not gzip at all")
        )

    with make_client(handler) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert caught.value.reason.startswith("undecodable body (gzip: ")


def test_next_address_is_tried_when_the_first_cannot_be_reached() -> None:
    tried: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.host)
        if request.url.host == PUBLIC_V6:
            raise httpx.ConnectError("[Errno 101] Network is unreachable")
        return html_page(request)

    resolver = StubResolver({"news.example": [PUBLIC_V6, PUBLIC]})
    with make_client(handler, resolver) as client:
        assert client.fetch("http://news.example/", kind="article", max_bytes=1000).status == 200
    assert tried == [PUBLIC_V6, PUBLIC]


def test_dns_failure_is_retryable_and_names_the_host() -> None:
    with make_client(resolver=StubResolver({})) as client, pytest.raises(RetryableError) as e:
        client.fetch("http://gone.example/a", kind="article", max_bytes=1000)
    assert str(e.value) == (
        "fetch: DNS lookup failed for gone.example: [Errno -2] Name or service not known"
        " for http://gone.example/a"
    )


def test_empty_dns_answer_is_retryable() -> None:
    resolver = StubResolver({"news.example": []})
    with make_client(resolver=resolver) as client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/a", kind="article", max_bytes=1000)
    assert caught.value.reason == "DNS lookup found no address for news.example"


def test_system_resolver_returns_each_address_once(monkeypatch: pytest.MonkeyPatch) -> None:
    def getaddrinfo(host: str, port: int, **options: Any) -> list[tuple[Any, ...]]:
        assert (host, port, options) == ("news.example", 443, {"type": socket.SOCK_STREAM})
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (PUBLIC_V6, 443, 0, 0)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, 443)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, 443)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    assert SystemResolver().resolve("news.example", 443) == [PUBLIC_V6, PUBLIC]


def test_system_resolver_failure_becomes_a_retryable_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def getaddrinfo(host: str, port: int, **options: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    client = HttpClient(
        user_agent="t",
        connect_timeout=1,
        read_timeout=1,
        total_timeout=1,
        max_redirects=0,
        transport=httpx.MockTransport(forbidden),
    )
    with client, pytest.raises(RetryableError) as caught:
        client.fetch("http://news.example/", kind="feed", max_bytes=1000)
    assert caught.value.reason.startswith("DNS lookup failed for news.example: ")


class ForbiddenGate:
    """A politeness gate that fails the test if asked: the guard must refuse first."""

    def admit(self, url: str, *, host: str, origin: str, subject: str, via: str) -> None:
        pytest.fail(f"politeness was asked about {url} before the guard refused it")

    def observe(self, host: str, *, failed: bool, retry_after: float | None) -> None:
        pytest.fail(f"politeness was told about {host} although no request was sent")


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://2130706433/"]
)
def test_forbidden_address_is_refused_before_politeness_fetches_robots_txt(url: str) -> None:
    client = make_client(resolver=NoDnsResolver(), gate=ForbiddenGate())
    with client, pytest.raises(PermanentError, match="refused address"):
        client.fetch(url, kind="article", max_bytes=1000)


def test_with_a_proxy_the_target_is_still_checked_before_any_connection() -> None:
    resolver = StubResolver({"news.example": ["10.1.2.3"]})
    client = make_client(resolver=resolver, proxy="http://proxy.internal:3128")
    with client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/", kind="article", max_bytes=1000)
    assert caught.value.reason == "refused address 10.1.2.3 (private)"


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("br", brotli.compress),
        ("zstd", zstandard.ZstdCompressor().compress),
        ("gzip, br", lambda data: brotli.compress(gzip.compress(data))),
    ],
)
def test_brotli_and_zstd_bodies_are_decoded_and_limited_after_decompression(
    coding: str, compress: Callable[[bytes], bytes]
) -> None:
    def serve(body: bytes) -> Handler:
        def handler(request: httpx.Request) -> httpx.Response:
            assert "br" in request.headers["accept-encoding"]
            assert "zstd" in request.headers["accept-encoding"]
            headers = {"Content-Type": "text/html", "Content-Encoding": coding}
            return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))

        return handler

    with make_client(serve(compress(HTML))) as client:
        assert client.fetch("http://news.example/a", kind="article", max_bytes=1000).body == HTML
    bomb = compress(bytes(50_000_000))
    assert len(bomb) < 100_000
    with make_client(serve(bomb)) as client, pytest.raises(PermanentError) as caught:
        client.fetch("http://news.example/bomb", kind="article", max_bytes=1_000_000)
    assert caught.value.reason == "body larger than 1000000 bytes"
