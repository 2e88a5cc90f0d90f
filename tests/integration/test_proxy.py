"""The proxy setting: requests go through a real forward proxy on loopback, to the address
the guard checked, with the original Host header."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_network
from typing import Any
from urllib.parse import urlsplit

import pytest

from worker.adapters.http import HttpClient
from worker.simweb import SimWeb, catalog

LOOPBACK = [ip_network("127.0.0.0/8")]


class ForwardProxy(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.seen: list[tuple[str, str]] = []  # (request target, Host header)


class ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ForwardProxy

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads what the proxy saw."""

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers["Host"]))
        target = urlsplit(self.path)
        upstream = http.client.HTTPConnection(target.hostname or "", target.port, timeout=10)
        headers = {
            name: value for name, value in self.headers.items() if name != "Proxy-Connection"
        }
        upstream.request("GET", target.path or "/", headers=headers)
        answer = upstream.getresponse()
        body = answer.read()
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        upstream.close()


@pytest.fixture
def proxy() -> Iterator[ForwardProxy]:
    server = ForwardProxy()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_fetch_goes_through_the_proxy_to_the_checked_address(
    proxy: ForwardProxy, simweb: SimWeb
) -> None:
    article = catalog.ARTICLES[0]
    url = simweb.url_for(article)
    proxy_url = f"http://127.0.0.1:{proxy.server_address[1]}"
    client = HttpClient(
        user_agent="wirestream-test/1.0",
        connect_timeout=5,
        read_timeout=5,
        total_timeout=10,
        max_redirects=3,
        allowed_networks=LOOPBACK,
        proxy=proxy_url,
    )
    with client:
        response = client.fetch(url, kind="article", max_bytes=5_000_000)

    assert response.status == 200
    assert article.title.encode() in response.body
    target, host = proxy.seen[0]
    assert target == url, "the proxy is sent the checked IP, never a name to resolve"
    assert host == urlsplit(url).netloc
