"""The guarded HTTP client against a real HTTP server on 127.0.0.1 (never beyond loopback).

URLs name 127.0.0.1 literally: a name would go to the system resolver and, on some
machines, to a DNS server off this host.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from typing import Any

import pytest

from worker.adapters.http import HttpClient, SystemResolver
from worker.errors import PermanentError, RetryableError

LOOPBACK = [ip_network("127.0.0.0/8")]
PAGE = b"<!doctype html><html><head><title>Story</title></head><body>Text.</body></html>"
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>F</title></channel></rss>'
ETAG = '"feed-v1"'


@dataclass
class Seen:
    """What the server saw: accepted connections and requests (path, headers)."""

    connections: int = 0
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)


class SimServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SimHandler)
        self.seen = Seen()
        self.bomb = gzip.compress(bytes(20_000_000))

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.seen.connections += 1
        return True


class SimHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: SimServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the tests assert on what the server saw instead."""

    def do_GET(self) -> None:
        self.server.seen.requests.append((self.path, dict(self.headers.items())))
        if self.path == "/page":
            self.reply(200, PAGE, {"Content-Type": "text/html; charset=utf-8"})
        elif self.path == "/feed":
            if self.headers.get("If-None-Match") == ETAG:
                self.reply(304, b"", {"ETag": ETAG})
            else:
                self.reply(200, FEED, {"Content-Type": "application/rss+xml", "ETag": ETAG})
        elif self.path == "/moved":
            self.reply(301, b"", {"Location": "/gzipped?from=moved"})
        elif self.path == "/gzipped?from=moved":
            headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
            self.reply(200, gzip.compress(PAGE), headers)
        elif self.path == "/bomb":
            headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
            self.reply(200, self.server.bomb, headers)
        elif self.path == "/drip":
            self.drip()
        else:
            self.reply(404, b"not here", {"Content-Type": "text/plain"})

    def reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def drip(self) -> None:
        """One byte every 0.2 s: each read is quick, the whole body takes 200 s."""
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", "1000")
        self.end_headers()
        try:
            for _ in range(1000):
                self.wfile.write(b"x")
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up, as it should


@pytest.fixture(scope="module")
def server() -> Iterator[SimServer]:
    sim = SimServer()
    thread = threading.Thread(target=sim.serve_forever, daemon=True)
    thread.start()
    yield sim
    sim.shutdown()
    sim.server_close()
    thread.join(timeout=5)


def base_url(server: SimServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def loopback_client(**options: Any) -> HttpClient:
    settings: dict[str, Any] = {
        "user_agent": "wirestream-it/1.0",
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "total_timeout": 10.0,
        "max_redirects": 3,
        "allowed_networks": LOOPBACK,
        "resolver": SystemResolver(),
    }
    settings.update(options)
    return HttpClient(**settings)


def test_page_is_fetched_with_the_original_host_header(server: SimServer) -> None:
    url = f"{base_url(server)}/page"
    with loopback_client() as client:
        response = client.fetch(url, kind="article", max_bytes=100_000)
    assert response.status == 200
    assert response.body == PAGE
    assert response.content_type == "text/html; charset=utf-8"
    assert response.final_url == url
    path, headers = server.seen.requests[-1]
    assert path == "/page"
    assert headers["Host"] == f"127.0.0.1:{server.server_address[1]}"
    assert headers["User-Agent"] == "wirestream-it/1.0"


def test_conditional_get_returns_304_without_a_body(server: SimServer) -> None:
    url = f"{base_url(server)}/feed"
    with loopback_client() as client:
        first = client.fetch(url, kind="feed", max_bytes=100_000)
        second = client.fetch(url, kind="feed", max_bytes=100_000, etag=first.headers["etag"])
    assert (first.status, first.body) == (200, FEED)
    assert (second.status, second.body, second.not_modified) == (304, b"", True)


def test_redirect_and_gzip_are_handled(server: SimServer) -> None:
    with loopback_client() as client:
        response = client.fetch(f"{base_url(server)}/moved", kind="article", max_bytes=100_000)
    assert response.body == PAGE
    assert response.final_url == f"{base_url(server)}/gzipped?from=moved"
    assert response.redirects == (response.final_url,)


def test_missing_page_is_permanent(server: SimServer) -> None:
    url = f"{base_url(server)}/nowhere"
    with loopback_client() as client, pytest.raises(PermanentError) as caught:
        client.fetch(url, kind="article", max_bytes=100_000)
    assert str(caught.value) == f"fetch: 404 Not Found for {url}"


def test_slow_drip_is_ended_by_the_total_timeout(server: SimServer) -> None:
    started = time.monotonic()
    client = loopback_client(total_timeout=1.5)
    with client, pytest.raises(RetryableError) as caught:
        client.fetch(f"{base_url(server)}/drip", kind="article", max_bytes=100_000)
    elapsed = time.monotonic() - started
    assert caught.value.reason == "timed out after 1.5s"
    assert 1.4 <= elapsed < 3.0


def test_gzip_bomb_is_refused_by_max_bytes(server: SimServer) -> None:
    assert len(server.bomb) < 1_000_000  # small on the wire: only decoding reveals it
    with loopback_client() as client, pytest.raises(PermanentError) as caught:
        client.fetch(f"{base_url(server)}/bomb", kind="article", max_bytes=1_000_000)
    assert caught.value.reason == "body larger than 1000000 bytes"


def test_loopback_is_refused_before_connecting_without_allowed_networks(
    server: SimServer,
) -> None:
    connections = server.seen.connections
    requests = len(server.seen.requests)
    client = loopback_client(allowed_networks=())
    with client, pytest.raises(PermanentError) as caught:
        client.fetch(f"{base_url(server)}/page", kind="article", max_bytes=100_000)
    assert caught.value.reason == "refused address 127.0.0.1 (loopback)"
    time.sleep(0.2)  # a connection, had one been opened, would have been accepted by now
    assert server.seen.connections == connections
    assert len(server.seen.requests) == requests


def test_closed_port_is_a_retryable_connection_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with loopback_client() as client, pytest.raises(RetryableError) as caught:
        client.fetch(f"http://127.0.0.1:{port}/", kind="article", max_bytes=1000)
    assert caught.value.reason.startswith("connection failed: ")


def test_system_resolver_answers_a_numeric_host_without_dns() -> None:
    assert SystemResolver().resolve("127.0.0.1", 80) == ["127.0.0.1"]
