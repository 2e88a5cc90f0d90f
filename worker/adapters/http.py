"""The guarded, bounded HTTP client: every feed poll and article fetch goes through it.

Guarded: every hop (the first request and each redirect) resolves its host once, refuses the
whole hop if any address is private, loopback, link-local, multicast, reserved or a cloud
metadata endpoint (unless inside ``allowed_networks``), and then connects to the checked
address itself. The URL sent to httpx carries the IP, the ``Host`` header and the TLS server
name carry the real host, so a DNS answer that changes between the check and the connect
(DNS rebinding) cannot redirect the connection.

Bounded: connect and read timeouts, one deadline for the whole fetch (all hops and the
body), a size limit on the decompressed body (gzip, deflate, br, zstd, decoded in bounded
steps by :mod:`worker.adapters.decoders`) and on the bytes received, a hop limit.

Polite: with a :class:`RequestGate` (``worker.adapters.politeness``), every hop is admitted
by it first (robots.txt, the host's request budget, a parked host) and its outcome reported
back; a hop that must wait raises :class:`Deferred`.

Proxied: with ``proxy``, requests go through that HTTP(S) proxy, still to the checked IP:
the guard keeps judging the target, and the proxy is never asked to resolve a name.

Errors: everything leaves as :class:`RetryableError` or :class:`PermanentError` with
``stage="fetch"`` and the requested URL as subject; a 304 is a return value.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar, DefaultCookiePolicy
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from types import TracebackType
from typing import Any, Literal, Protocol, Self
from urllib.parse import urldefrag, urljoin, urlsplit

import httpx

from worker.adapters.decoders import ACCEPT_ENCODING, UndecodableBody, decode_body
from worker.errors import PermanentError, RetryableError, StageError
from worker.models import Response
from worker.settings import Settings

STAGE = "fetch"

Network = IPv4Network | IPv6Network
Kind = Literal["feed", "article", "robots"]

_CLOUD_METADATA = (
    IPv4Network("169.254.169.254/32"),  # AWS, GCP, Azure, OpenStack, ...
    IPv6Network("fd00:ec2::254/128"),  # AWS over IPv6
    IPv4Network("100.100.100.200/32"),  # Alibaba Cloud
)
_UNIQUE_LOCAL = IPv6Network("fc00::/7")
_NAT64 = IPv6Network("64:ff9b::/96")

# RFC 9309 2.5: a crawler may stop reading robots.txt at its limit and parse what it has, so
# a longer one is cut there instead of refused (a refusal would read as "no rules").
_TRUNCATED_KINDS = frozenset({"robots"})

_CONTENT_TYPES: dict[str, frozenset[str]] = {
    "article": frozenset({"text/html", "application/xhtml+xml"}),
    "feed": frozenset(
        {
            "application/rss+xml",
            "application/atom+xml",
            "application/xml",
            "text/xml",
            "application/rdf+xml",
            "application/feed+json",
            "application/json",
            # Subscription lists are fetched as feeds too (``wirestream feeds import``).
            "text/x-opml",
        }
    ),
    "robots": frozenset({"text/plain"}),
}
_ACCEPT = {
    "article": "text/html, application/xhtml+xml;q=0.9, */*;q=0.1",
    "feed": (
        "application/rss+xml, application/atom+xml, application/rdf+xml, application/feed+json,"
        " application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.1"
    ),
    "robots": "text/plain, */*;q=0.1",
}
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# A POST's answer is only read to keep the connection usable; nobody looks at its body.
_POST_REPLY_BYTES = 65_536
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The forms inet_aton accepts (2130706433, 0x7f.1, 0177.0.0.1, 127.1); anything else that
# is not a DNS name is refused before it reaches a resolver.
_IPV4_LIKE = re.compile(r"[0-9][0-9a-fx.]*")
_HOST_NAME = re.compile(r"[a-z0-9_-]{1,63}(\.[a-z0-9_-]{1,63})*\.?")


class Resolver(Protocol):
    def resolve(self, host: str, port: int) -> list[str]:
        """The IP addresses of ``host``; raises :class:`OSError` when it cannot be resolved."""
        ...


class RequestGate(Protocol):
    """Politeness: asked before every request, told how each one went."""

    def admit(self, url: str, *, host: str, origin: str, subject: str, via: str) -> None:
        """Return if ``url`` may be requested now; raise :class:`Deferred` if it must wait,
        a :class:`StageError` about ``subject`` (the URL asked for; ``via`` names the hop)
        if it may not be requested."""
        ...

    def observe(self, host: str, *, failed: bool, retry_after: float | None) -> None:
        """How a request to ``host`` went: ``failed`` for connection errors and 5xx."""
        ...


class SystemResolver:
    """The operating system's resolver (``getaddrinfo``), both address families."""

    def resolve(self, host: str, port: int) -> list[str]:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_address(ip: str, allowed_networks: Sequence[Network] = ()) -> str | None:
    """None if the fetcher may connect to ``ip``, else why not ("private", "loopback", ...)."""
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "not an IP address"
    if any(address in network for network in allowed_networks):
        return None
    if isinstance(address, IPv6Address):
        for embedded in _embedded_ipv4(address):
            reason = check_address(str(embedded), allowed_networks)
            if reason is not None:
                return reason
        if address.ipv4_mapped is not None:
            # A mapped address is the IPv4 host itself, already judged above.
            return None
    return _refusal(address)


def _embedded_ipv4(address: IPv6Address) -> list[IPv4Address]:
    """IPv4 addresses an IPv6 address leads to, judged like the IPv4 address itself."""
    if address.ipv4_mapped is not None:
        return [address.ipv4_mapped]
    if address.sixtofour is not None:
        return [address.sixtofour]
    if address.teredo is not None:
        return list(address.teredo)
    if address in _NAT64 or 1 < int(address) < 2**32:  # NAT64, or deprecated IPv4-compatible
        return [IPv4Address(int(address) & 0xFFFFFFFF)]
    return []


def _refusal(address: IPv4Address | IPv6Address) -> str | None:
    if any(address in network for network in _CLOUD_METADATA):
        return "cloud metadata"
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address in _UNIQUE_LOCAL:
        return "unique-local"
    if address.is_reserved:
        return "reserved"
    if address.is_private:
        return "private"
    if not address.is_global:
        # e.g. 100.64.0.0/10, shared by carrier-grade NAT
        return "not globally routable"
    return None


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay or HTTP-date); never negative."""
    if value is None:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except ValueError:
        return None
    if moment.tzinfo is None:  # "-0000" means UTC without saying so
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


@dataclass(frozen=True)
class _Target:
    """One hop's URL taken apart: where to connect and what to tell the server."""

    scheme: str
    host: str  # ASCII name, or the canonical IP of a literal
    port: int
    literal: str | None  # the IP when the URL names one: checked without DNS
    path_and_query: str

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    def url_for(self, address: str) -> httpx.URL:
        host = f"[{address}]" if ":" in address else address
        return httpx.URL(f"{self.scheme}://{host}:{self.port}{self.path_and_query}")


def _parse_target(url: str, subject: str, via: str) -> _Target:
    def refuse(reason: str) -> PermanentError:
        return PermanentError(STAGE, subject, reason + via)

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise refuse(f"invalid URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise refuse(f"unsupported scheme {scheme!r}")
    if "@" in parts.netloc:
        raise refuse("URL with user info")
    if not parts.hostname:
        raise refuse("URL without host")
    if port is None:
        port = _DEFAULT_PORTS[scheme]
    elif not 0 < port < 65536:
        raise refuse(f"invalid port {port}")
    literal = _literal_address(parts.hostname)
    host = literal or _ascii_host(parts.hostname)
    if host is None or (literal is None and not _HOST_NAME.fullmatch(host)):
        raise refuse(f"invalid host name {parts.hostname!r}")
    path = parts.path or "/"
    return _Target(
        scheme=scheme,
        host=host,
        port=port,
        literal=literal,
        path_and_query=f"{path}?{parts.query}" if parts.query else path,
    )


def _literal_address(host: str) -> str | None:
    """The canonical IP if ``host`` is an address in any spelling the OS would accept."""
    if ":" in host:
        try:
            return str(IPv6Address(host))
        except ValueError:
            return None
    candidate = host.removesuffix(".")
    if not _IPV4_LIKE.fullmatch(candidate):
        return None
    try:
        return socket.inet_ntoa(socket.inet_aton(candidate))
    except OSError:
        return None


def _ascii_host(host: str) -> str | None:
    if host.isascii():
        return host
    try:
        # httpx's own IDNA encoding, so the name resolved is the name httpx would send.
        return httpx.URL(scheme="http", host=host).raw_host.decode("ascii")
    except httpx.InvalidURL:
        return None


class _BudgetedStream(httpx.SyncByteStream):
    """Checks the deadline and the byte budget on every read from the network.

    Checking only decoded chunks is not enough: a gzip header can carry an endless comment
    that decodes to nothing, dripped slowly or sent fast.
    """

    def __init__(
        self,
        inner: httpx.SyncByteStream,
        *,
        subject: str,
        max_bytes: int,
        deadline: float,
        total_timeout: float,
        truncate: bool,
    ) -> None:
        self._inner = inner
        self._subject = subject
        self._max_bytes = max_bytes
        self._truncate = truncate
        self._deadline = deadline
        self._total_timeout = total_timeout

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        for chunk in self._inner:
            if received + len(chunk) > self._max_bytes:
                if not self._truncate:
                    raise _too_large(self._subject, self._max_bytes)
                yield chunk[: self._max_bytes - received]
                return
            received += len(chunk)
            if time.monotonic() > self._deadline:
                raise _timed_out(self._subject, self._total_timeout)
            yield chunk

    def close(self) -> None:
        self._inner.close()


def _too_large(subject: str, max_bytes: int) -> PermanentError:
    return PermanentError(STAGE, subject, f"body larger than {max_bytes} bytes")


def _timed_out(subject: str, total_timeout: float) -> RetryableError:
    return RetryableError(STAGE, subject, f"timed out after {total_timeout:g}s")


class HttpClient:
    """Fetches feeds and articles; build one per worker process, after the fork."""

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float,
        read_timeout: float,
        total_timeout: float,
        max_redirects: int,
        allowed_networks: Sequence[Network] = (),
        resolver: Resolver | None = None,
        transport: httpx.BaseTransport | None = None,
        gate: RequestGate | None = None,
        proxy: str | None = None,
    ) -> None:
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._total_timeout = total_timeout
        self._max_redirects = max_redirects
        self._allowed_networks = tuple(allowed_networks)
        self._resolver: Resolver = resolver or SystemResolver()
        self._gate = gate
        # trust_env=False: a proxy from the environment would connect on our behalf to
        # addresses we never checked; only the configured one is used, and it is sent the
        # checked IP. No cookies: requests go to IPs, so a cookie would be shared by every
        # site behind one CDN address. Bodies are decoded here, not by httpx (see decoders).
        self._client = httpx.Client(
            transport=transport,
            proxy=proxy,
            trust_env=False,
            follow_redirects=False,
            headers={"User-Agent": user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        )

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> HttpClient:
        options: dict[str, Any] = {
            "user_agent": settings.user_agent,
            "connect_timeout": settings.connect_timeout,
            "read_timeout": settings.read_timeout,
            "total_timeout": settings.total_timeout,
            "max_redirects": settings.max_redirects,
            "allowed_networks": tuple(settings.allowed_networks),
            "proxy": settings.proxy_url,
        }
        options.update(overrides)
        return cls(**options)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        kind: Kind,
        max_bytes: int,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url``, following redirects; a 304 comes back as a Response, not an error.

        ``Response.redirects`` lists the URL of each redirect target in order, so its last
        item, if any, is ``final_url``.
        """
        deadline = time.monotonic() + self._total_timeout
        headers = {"Accept": _ACCEPT[kind]}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        with self._translated_errors(url, deadline):
            return self._follow(url, kind, max_bytes, headers, deadline)

    def post(self, url: str, body: bytes, *, headers: Mapping[str, str]) -> int:
        """POST ``body`` to ``url`` through the same guard, following no redirect.

        Returns the status of a 2xx answer; anything else raises as :meth:`fetch` does (a
        redirect is permanent: a redirected POST would reach an address never agreed on).
        """
        deadline = time.monotonic() + self._total_timeout
        with self._translated_errors(url, deadline):
            target = _parse_target(url, url, "")
            addresses = self._checked_addresses(target, url, "")
            response = self._send(
                target, addresses, dict(headers), url, deadline, method="POST", content=body
            )
            try:
                status = response.status_code
                if 200 <= status < 300:
                    # Read (bounded) so the connection can carry the next request.
                    self._read_body(response, url, _POST_REPLY_BYTES, deadline, truncate=True)
                    return status
                if status in _REDIRECT_STATUSES:
                    raise PermanentError(
                        STAGE, url, f"{_status_line(response)}: a POST is not redirected"
                    )
                raise _status_error(response, url)
            finally:
                response.close()

    def check_url(self, url: str) -> list[str]:
        """The addresses ``url`` would be sent to, checked by the guard; nothing is sent.
        Raises :class:`PermanentError` for a malformed URL or a refused address."""
        target = _parse_target(url, url, "")
        return self._checked_addresses(target, url, "")

    @contextmanager
    def _translated_errors(self, url: str, deadline: float) -> Iterator[None]:
        try:
            yield
        except httpx.TimeoutException as error:
            raise RetryableError(STAGE, url, self._timeout_reason(error, deadline)) from error
        except httpx.InvalidURL as error:
            raise PermanentError(STAGE, url, f"invalid URL ({_describe(error)})") from error
        except httpx.ConnectError as error:
            raise RetryableError(STAGE, url, f"connection failed: {_describe(error)}") from error
        except httpx.NetworkError as error:
            raise RetryableError(STAGE, url, f"connection lost: {_describe(error)}") from error
        except httpx.ProtocolError as error:
            raise RetryableError(STAGE, url, f"protocol error: {_describe(error)}") from error
        except httpx.TransportError as error:
            raise RetryableError(STAGE, url, _describe(error)) from error

    def _follow(
        self, url: str, kind: Kind, max_bytes: int, headers: dict[str, str], deadline: float
    ) -> Response:
        current = url
        redirects: list[str] = []
        redirect_statuses: list[int] = []
        visited = {urldefrag(url).url}
        while True:
            via = f" after redirect to {current}" if redirects else ""
            target = _parse_target(current, url, via)
            addresses = self._checked_addresses(target, url, via)
            if self._gate is not None:
                self._gate.admit(
                    current, host=target.host, origin=target.origin, subject=url, via=via
                )
            status: int | None = None
            try:
                response = self._send(target, addresses, headers, url, deadline)
                status = response.status_code
                try:
                    if status not in _REDIRECT_STATUSES:
                        completed = self._complete(
                            response, url, current, tuple(redirects), kind, max_bytes, deadline
                        )
                        self._observe(target, status, None)
                        return replace(completed, redirect_statuses=tuple(redirect_statuses))
                    current = self._next_hop(response, url, current, redirects, visited)
                    redirect_statuses.append(status)
                finally:
                    response.close()
            except (httpx.TransportError, RetryableError) as error:
                self._observe(target, status, error)
                raise
            self._observe(target, status, None)

    def _observe(self, target: _Target, status: int | None, error: BaseException | None) -> None:
        """Tell the gate how a hop went: no answer, a 5xx or a broken body is the host failing;
        a 429 or 503 with Retry-After asks for a pause."""
        if self._gate is None:
            return
        failed = error is not None and (status is None or status >= 500 or status < 400)
        retry_after = error.retry_after if isinstance(error, RetryableError) else None
        self._gate.observe(target.host, failed=failed, retry_after=retry_after)

    def _checked_addresses(self, target: _Target, subject: str, via: str) -> list[str]:
        if target.literal is not None:
            addresses = [target.literal]
        else:
            try:
                addresses = self._resolver.resolve(target.host, target.port)
            except OSError as error:
                raise RetryableError(
                    STAGE, subject, f"DNS lookup failed for {target.host}: {_describe(error)}"
                ) from error
            if not addresses:
                raise RetryableError(
                    STAGE, subject, f"DNS lookup found no address for {target.host}"
                )
        for address in addresses:
            reason = check_address(address, self._allowed_networks)
            if reason is not None:
                raise PermanentError(STAGE, subject, f"refused address {address} ({reason}){via}")
        return addresses

    def _send(
        self,
        target: _Target,
        addresses: list[str],
        headers: dict[str, str],
        subject: str,
        deadline: float,
        *,
        method: str = "GET",
        content: bytes | None = None,
    ) -> httpx.Response:
        *others, last = addresses
        for address in others:
            try:
                return self._send_to(
                    target, address, headers, subject, deadline, method=method, content=content
                )
            except (httpx.ConnectError, httpx.ConnectTimeout):
                continue  # the next address may be reachable (e.g. IPv6 listed, not routed)
        return self._send_to(
            target, last, headers, subject, deadline, method=method, content=content
        )

    def _send_to(
        self,
        target: _Target,
        address: str,
        headers: dict[str, str],
        subject: str,
        deadline: float,
        *,
        method: str,
        content: bytes | None,
    ) -> httpx.Response:
        hop_headers = {**headers, "Host": target.host_header}
        extensions: dict[str, Any] = {}
        if target.scheme == "https":
            extensions["sni_hostname"] = target.host
            # httpx pools connections by IP and port only: a kept-alive TLS connection
            # verified for one name would carry the next request for another name on the
            # same address (common behind CDNs), unverified and often refused (421).
            hop_headers["Connection"] = "close"
        request = self._client.build_request(
            method,
            target.url_for(address),
            headers=hop_headers,
            content=content,
            extensions=extensions,
            timeout=self._timeout_within(subject, deadline),
        )
        return self._client.send(request, stream=True)

    def _timeout_within(self, subject: str, deadline: float) -> httpx.Timeout:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(subject, self._total_timeout)
        connect = min(self._connect_timeout, remaining)
        read = min(self._read_timeout, remaining)
        # Requests are a few hundred bytes: writing one takes no longer than reading.
        return httpx.Timeout(connect=connect, read=read, write=read, pool=connect)

    def _timeout_reason(self, error: httpx.TimeoutException, deadline: float) -> str:
        if time.monotonic() >= deadline:
            return f"timed out after {self._total_timeout:g}s"
        if isinstance(error, httpx.ConnectTimeout | httpx.PoolTimeout):
            return f"connect timed out after {self._connect_timeout:g}s"
        if isinstance(error, httpx.WriteTimeout):
            return f"write timed out after {self._read_timeout:g}s"
        return f"read timed out after {self._read_timeout:g}s"

    def _next_hop(
        self,
        response: httpx.Response,
        subject: str,
        current: str,
        redirects: list[str],
        visited: set[str],
    ) -> str:
        location: str = response.headers.get("location", "")
        location = location.strip()
        if not location:
            raise PermanentError(STAGE, subject, f"{_status_line(response)} without Location")
        if len(redirects) >= self._max_redirects:
            raise PermanentError(
                STAGE, subject, f"too many redirects (more than {self._max_redirects})"
            )
        following = urljoin(current, location)
        key = urldefrag(following).url
        if key in visited:
            raise PermanentError(STAGE, subject, f"redirect loop at {following}")
        visited.add(key)
        redirects.append(following)
        return following

    def _complete(
        self,
        response: httpx.Response,
        subject: str,
        final_url: str,
        redirects: tuple[str, ...],
        kind: Kind,
        max_bytes: int,
        deadline: float,
    ) -> Response:
        status = response.status_code
        if status == 304:
            # Read the (empty) body: a response closed unread also closes its connection,
            # and every 304 would then pay for a new one.
            response.read()
            body = b""
        elif 200 <= status < 300:
            content_type: str = response.headers.get("content-type", "")
            media_type = content_type.split(";")[0].strip().lower()
            if media_type and media_type not in _CONTENT_TYPES[kind]:
                raise PermanentError(STAGE, subject, f"refused content type {media_type!r}")
            truncate = kind in _TRUNCATED_KINDS
            declared: str = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > max_bytes and not truncate:
                raise _too_large(subject, max_bytes)
            body = self._read_body(response, subject, max_bytes, deadline, truncate=truncate)
            if kind == "article" and not media_type and not _looks_like_html(body):
                raise PermanentError(
                    STAGE, subject, "refused body without content type that is not HTML"
                )
        else:
            raise _status_error(response, subject)
        return Response(
            requested_url=subject,
            final_url=final_url,
            status=status,
            headers=dict(response.headers.items()),
            body=body,
            fetched_at=datetime.now(UTC),
            redirects=redirects,
        )

    def _read_body(
        self,
        response: httpx.Response,
        subject: str,
        max_bytes: int,
        deadline: float,
        *,
        truncate: bool,
    ) -> bytes:
        if not isinstance(response.stream, httpx.SyncByteStream):
            raise TypeError("HttpClient needs a synchronous transport")
        raw = _BudgetedStream(
            response.stream,
            subject=subject,
            max_bytes=max_bytes,
            deadline=deadline,
            total_timeout=self._total_timeout,
            truncate=truncate,
        )
        response.stream = raw
        chunks: list[bytes] = []
        size = 0
        try:
            # The stream itself, not iter_raw(): a transport may hand over a response that
            # httpx counts as read already (httpx.MockTransport), whose stream still has the
            # raw bytes.
            for chunk in decode_body(iter(raw), response.headers.get("content-encoding")):
                if size + len(chunk) > max_bytes:
                    if not truncate:
                        raise _too_large(subject, max_bytes)
                    chunks.append(chunk[: max_bytes - size])
                    break
                size += len(chunk)
                chunks.append(chunk)
        except UndecodableBody as error:
            raise PermanentError(STAGE, subject, f"undecodable body ({error})") from error
        return b"".join(chunks)


def _status_error(response: httpx.Response, subject: str) -> StageError:
    status = response.status_code
    reason = _status_line(response)
    if status in (429, 503):
        header: str | None = response.headers.get("retry-after")
        retry_after = parse_retry_after(header, datetime.now(UTC))
        return RetryableError(STAGE, subject, reason, retry_after=retry_after)
    if status == 408 or status >= 500:
        return RetryableError(STAGE, subject, reason)
    return PermanentError(STAGE, subject, reason)


def _status_line(response: httpx.Response) -> str:
    # The standard phrase, not the server's: it may be missing, long or misleading.
    return f"{response.status_code} {httpx.codes.get_reason_phrase(response.status_code)}".rstrip()


def _looks_like_html(body: bytes) -> bool:
    head = body[:1024].lower()
    return b"<html" in head or b"<!doctype html" in head


def _describe(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0][:200] if lines else type(error).__name__
