"""The simulated web's HTTP server, its controls, and ``SimWeb``, the handle tests hold.

A request goes: hit counted per original host -> behaviour set for its prefix, if any
(latency, status, redirect, body, content type, Retry-After) -> content (demo site, fault
host, real corpus) -> conditional GET (304) -> gzip when the client accepts it.

Controls over HTTP, for processes that do not hold the ``SimWeb`` object::

    GET  /_stats                      {"<host>": <requests>, ...}
    GET  /_stats/busiest?window=S     {"requests": N, "arrivals": [...]}: most requests arrived
                                      within S seconds, and when, from whom and for what
    GET  /_stats/clients              {"<client address>": <requests>, ...}: who asked
    POST /_control/behaviour          {"path_prefix": "...", "status": 503, ...}; only the
                                      prefix: clear it
    POST /_control/advance?count=N    reveal N more items of every feed
    POST /_control/advance-time?seconds=S  move the synthetic feeds' clock forward
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs

from worker.errors import WirestreamError
from worker.simweb import catalog
from worker.simweb.corpus import Corpus
from worker.simweb.faults import HOST as FAULTS_HOST
from worker.simweb.faults import Faults
from worker.simweb.hostile import HOST as HOSTILE_HOST
from worker.simweb.hostile import Hostile
from worker.simweb.model import Article
from worker.simweb.replies import NOT_FOUND, Reply, content, error, redirect
from worker.simweb.site import RELEASES, ROBOTS, Release, Site
from worker.simweb.synthetic import HOST as SYNTHETIC_HOST
from worker.simweb.synthetic import Synthetic

logger = logging.getLogger(__name__)

MAX_CONTROL_BODY = 1024 * 1024
_JSON = "application/json"
_TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True)
class Behaviour:
    """What to do instead of, or on top of, the normal answer for URLs under a prefix."""

    status: int | None = None
    """A status of 400 or more replaces the content with an error page; below, only the code."""
    retry_after: float | None = None
    latency: float | None = None
    """Replaces the server-wide latency for these URLs."""
    redirect_to: str | None = None
    """An absolute URL or a path on this server; the status defaults to 302."""
    body: bytes | None = None
    content_type: str | None = None


_NO_BEHAVIOUR = Behaviour()
_BEHAVIOUR_TYPES: dict[str, type | tuple[type, ...]] = {
    "status": int,
    "retry_after": (int, float),
    "latency": (int, float),
    "redirect_to": str,
    "body": bytes,
    "content_type": str,
}


class _Controls:
    """State that tests change while the server runs; shared by all request threads."""

    def __init__(self, latency: float) -> None:
        self.latency = latency
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._hits: Counter[str] = Counter()
        self._clients: Counter[str] = Counter()
        self._arrivals: list[tuple[float, str, str]] = []  # (monotonic time, client, target)
        self._behaviours: dict[str, Behaviour] = {}

    def arrived(self, client: str, target: str) -> None:
        """A request for ``target`` from ``client`` (its address) reached the server (any path
        but its own controls), at this moment."""
        with self._lock:
            self._arrivals.append((time.monotonic(), client, target))
            self._clients[client] += 1

    def count(self, host: str) -> None:
        with self._lock:
            self._hits[host] += 1

    def hits(self) -> dict[str, int]:
        with self._lock:
            return dict(self._hits)

    def clients(self) -> dict[str, int]:
        with self._lock:
            return dict(self._clients)

    def busiest(self, window: float) -> int:
        """The most requests that arrived within any ``window`` seconds."""
        return len(self.busiest_arrivals(window))

    def busiest_arrivals(self, window: float) -> list[dict[str, object]]:
        """The requests within the busiest ``window`` seconds (the earliest, if several are
        as busy): seconds after the first of them, client address and request target."""
        with self._lock:
            arrivals = sorted(self._arrivals)
        busiest, first = arrivals[:0], 0
        for last, (moment, _, _) in enumerate(arrivals):
            while moment - arrivals[first][0] >= window:
                first += 1
            if last - first + 1 > len(busiest):
                busiest = arrivals[first : last + 1]
        start = busiest[0][0] if busiest else 0.0
        return [
            {"after": round(moment - start, 3), "client": client, "target": target}
            for moment, client, target in busiest
        ]

    def set_behaviour(self, prefix: str, behaviour: Behaviour) -> None:
        with self._lock:
            if behaviour == _NO_BEHAVIOUR:
                self._behaviours.pop(prefix.lstrip("/"), None)
            else:
                self._behaviours[prefix.lstrip("/")] = behaviour

    def clear_behaviours(self) -> None:
        with self._lock:
            self._behaviours.clear()

    def behaviour_for(self, target: str) -> Behaviour:
        """The behaviour of the longest prefix of ``target`` (no leading slash)."""
        with self._lock:
            matches = [prefix for prefix in self._behaviours if target.startswith(prefix)]
            return self._behaviours[max(matches, key=len)] if matches else _NO_BEHAVIOUR


class _Web:
    """Answers requests: routing, behaviours and controls, at one base URL."""

    def __init__(
        self,
        base_url: str,
        controls: _Controls,
        *,
        release: Release,
        corpus: Corpus | None,
        hostile: Hostile | None = None,
    ) -> None:
        self.base_url = base_url
        self.controls = controls
        self.site = Site(base_url, release=release)
        self.faults = Faults(base_url, controls.stopping.wait)
        self.synthetic = Synthetic(base_url)
        self.corpus = corpus
        self.hostile = hostile
        self._corpus_opml = corpus.opml(base_url) if corpus else None
        self._hostile_opml = hostile.opml(base_url) if hostile else None
        self._hosts = frozenset(
            {FAULTS_HOST, SYNTHETIC_HOST, *self.site.hosts, *(corpus.hosts if corpus else ())}
        )

    def respond(self, target: str, client: str = "") -> Reply:
        """The answer to a GET or HEAD of request target ``target`` from address ``client``."""
        if not target.startswith("/"):
            return error(400)
        path, _, query = target.partition("?")
        if path == "/_stats":
            return _json(self.controls.hits())
        if path == "/_stats/busiest":
            try:
                window = float(parse_qs(query).get("window", ["1"])[0])
            except ValueError:
                return error(400)
            arrivals = self.controls.busiest_arrivals(window)
            return _json({"requests": len(arrivals), "arrivals": arrivals})
        if path == "/_stats/clients":
            return _json(self.controls.clients())
        self.controls.arrived(client, target)
        host, slash, _ = path[1:].partition("/")
        if slash and not host.startswith("_"):  # "/_..." are the server's own paths
            self.controls.count(host)
        behaviour = self.controls.behaviour_for(target[1:])
        delay = self.controls.latency if behaviour.latency is None else behaviour.latency
        if delay > 0 and self.controls.stopping.wait(delay):
            return error(503)
        if behaviour.redirect_to is not None:
            location = behaviour.redirect_to
            if "://" not in location:
                location = f"{self.base_url}/{location.lstrip('/')}"
            reply = redirect(behaviour.status or 302, location)
        elif behaviour.body is not None:
            reply = Reply(status=behaviour.status or 200, body=behaviour.body)
        else:
            reply = self._route(path, target) or NOT_FOUND
            if behaviour.status is not None:
                reply = (
                    error(behaviour.status)
                    if behaviour.status >= 400
                    else replace(reply, status=behaviour.status)
                )
        if behaviour.content_type is not None:
            reply = replace(reply, content_type=behaviour.content_type)
        if behaviour.retry_after is not None:
            retry = f"{behaviour.retry_after:g}"
            reply = replace(reply, headers=(*reply.headers, ("Retry-After", retry)))
        return reply

    def control(self, target: str, body: bytes) -> Reply:
        """The answer to a POST to ``/_control/...``."""
        path, _, query = target.partition("?")
        if path == "/_control/advance":
            try:
                count = int(parse_qs(query).get("count", ["1"])[0])
            except ValueError:
                return error(400)
            return _json(self.site.advance(count))
        if path == "/_control/advance-time":
            try:
                seconds = float(parse_qs(query).get("seconds", ["0"])[0])
            except ValueError:
                return error(400)
            self.synthetic.advance(seconds)
            return Reply(status=204, content_type=None)
        if path == "/_control/behaviour":
            try:
                prefix, behaviour = _parse_behaviour(body)
            except (ValueError, TypeError) as exc:
                return Reply(status=400, body=f"simweb: {exc}\n".encode(), content_type=_TEXT)
            self.controls.set_behaviour(prefix, behaviour)
            return Reply(status=204, content_type=None)
        return NOT_FOUND

    def _route(self, path: str, target: str) -> Reply | None:
        root = {
            "/": self.site.index,
            "/robots.txt": _robots,
            "/opml.xml": self.site.opml,
            "/opml-faults.xml": self.faults.opml,
            "/opml-evalset.xml": self.site.evalset_opml,
        }
        if path in root:
            return root[path]()
        if path == "/corpus-opml.xml":
            return self._corpus_opml
        if path == "/hostile-opml.xml":
            return self._hostile_opml
        host, _, rest = path[1:].partition("/")
        rest = f"/{rest}"
        reply = None
        if host == FAULTS_HOST:
            reply = self.faults.reply(rest)
        elif host == SYNTHETIC_HOST:
            reply = self.synthetic.reply(rest, target.partition("?")[2])
        elif host == HOSTILE_HOST and self.hostile:
            reply = self.hostile.reply(rest)
        elif host in self.site.hosts:
            reply = self.site.reply(host, rest)
        elif self.corpus:
            reply = self.corpus.reply(target[1:])
        if reply is None and rest == "/robots.txt" and host in self._hosts:
            reply = _robots()
        return reply


def _robots() -> Reply:
    return content(ROBOTS, _TEXT, None)


def _json(data: object) -> Reply:
    return Reply(status=200, body=json.dumps(data, sort_keys=True).encode(), content_type=_JSON)


def _parse_behaviour(body: bytes) -> tuple[str, Behaviour]:
    document = json.loads(body or b"{}")
    if not isinstance(document, dict):
        raise TypeError("behaviour must be a JSON object")
    prefix = document.pop("path_prefix", None)
    if not isinstance(prefix, str):
        raise TypeError("path_prefix must be a string")
    if unknown := set(document) - set(_BEHAVIOUR_TYPES):
        raise ValueError(f"unknown behaviour {sorted(unknown)}")
    if isinstance(document.get("body"), str):
        document["body"] = document["body"].encode("utf-8")
    for name, value in document.items():
        # bool is an int to isinstance, but "status": true is a mistake, not a status.
        if isinstance(value, bool) or not isinstance(value, _BEHAVIOUR_TYPES[name]):
            raise TypeError(f"{name} cannot be {value!r}")
    return prefix, Behaviour(**document)


def _accepts_gzip(accept_encoding: str | None) -> bool:
    for part in (accept_encoding or "").split(","):
        coding, _, parameters = part.partition(";")
        if coding.strip().lower() not in ("gzip", "x-gzip"):
            continue
        name, _, value = parameters.strip().partition("=")
        if name.strip().lower() != "q":
            return True
        try:
            return float(value) > 0
        except ValueError:
            return False
    return False


def _not_modified(headers: Message, reply: Reply) -> bool:
    """RFC 9110 section 13.2.2: If-None-Match decides when present, If-Modified-Since else."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match is not None:
        if reply.etag is None:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or reply.etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since is None or reply.last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return reply.last_modified.replace(microsecond=0) <= since


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "simweb/1"
    sys_version = ""
    # Idle keep-alive connections are dropped after this many seconds of silence.
    timeout = 30
    server: _Server

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; with Nagle's algorithm and delayed ACKs
        # every response on a kept-alive connection would wait about 40 ms.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._serve(lambda: self.server.web.respond(self.path, self.client_address[0]), head=False)

    def do_HEAD(self) -> None:
        self._serve(lambda: self.server.web.respond(self.path, self.client_address[0]), head=True)

    def do_POST(self) -> None:
        self._serve(self._control, head=False)

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("simweb %s " + format, self.address_string(), *args)

    def _control(self) -> Reply:
        length = self.headers.get("Content-Length") or "0"
        if not length.isdigit():
            return error(400)
        if int(length) > MAX_CONTROL_BODY:
            return error(413)
        return self.server.web.control(self.path, self.rfile.read(int(length)))

    def _serve(self, answer: Callable[[], Reply], *, head: bool) -> None:
        started = False
        try:
            reply = answer()
            started = True
            self._send(reply, head=head)
        except (ConnectionError, TimeoutError):
            self.close_connection = True
        except Exception:
            # One bad request must never take the server down: log, answer 500 if we still
            # can, and drop the connection.
            logger.exception("simweb: failed to serve %s %s", self.command, self.path)
            self.close_connection = True
            if not started:
                self._send(error(500), head=head)

    def _send(self, reply: Reply, *, head: bool) -> None:
        gzip_ok = _accepts_gzip(self.headers.get("Accept-Encoding"))
        encoded = gzip_ok and reply.stream is None and (reply.compressible or bool(reply.gzipped))
        if reply.status == 200 and _not_modified(self.headers, reply):
            reply = replace(reply, status=304, body=b"", stream=None, content_type=None)
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.etag:
            # The gzip variant is a different byte sequence, so its tag can only be weak.
            self.send_header("ETag", f"W/{reply.etag}" if encoded else reply.etag)
        if reply.last_modified:
            modified = reply.last_modified.astimezone(UTC)
            self.send_header("Last-Modified", format_datetime(modified, usegmt=True))
        if reply.compressible or reply.gzipped is not None:
            self.send_header("Vary", "Accept-Encoding")
        if reply.status in (204, 304):
            self.end_headers()
            return
        body = reply.body
        if encoded:
            body = reply.gzipped or gzip.compress(reply.body, mtime=0)
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(reply.length if reply.stream else len(body)))
        self.end_headers()
        if head:
            return
        if reply.stream is None:
            self.wfile.write(body)
            return
        for chunk in reply.stream():
            self.wfile.write(chunk)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        make_web: Callable[[str], _Web],
        public_url: str | None = None,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        host, port = self.server_address[:2]
        shown = f"[{host!s}]" if self.address_family == socket.AF_INET6 else str(host)
        self.web = make_web(public_url.rstrip("/") if public_url else f"http://{shown}:{port}")
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: object
    ) -> None:
        if isinstance(request, socket.socket):
            with self._connections_lock:
                self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Drop kept-alive and streaming connections, so that their threads end now."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            # A connection the client already closed raises OSError: nothing left to do.
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: object, client_address: object) -> None:
        if isinstance(sys.exception(), (ConnectionError, TimeoutError)):
            return
        logger.exception("simweb: error on connection from %s", client_address)


@dataclass(frozen=True)
class _Running:
    server: _Server
    thread: threading.Thread


class SimWeb:
    """The simulated news web, served from a daemon thread.

    ::

        with SimWeb() as web:
            feeds = web.feed_urls()
            web.set_behaviour("www.rheinkurier.example/", status=503, retry_after=5)
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        corpus_dir: Path | None = None,
        latency: float = 0.0,
        release: Release = "all",
        public_url: str | None = None,
    ) -> None:
        """``release``: ``"all"`` lists everything at once; ``"scheduled"``: feeds start with
        the older half of their items and gain more with ``advance()``; ``"live"``: one story
        at a time with ``publish_next()``, then revisions (``worker.simweb.site``).
        ``public_url``: the base of every link it serves, when clients reach it by another
        name (a compose service)."""
        if release not in RELEASES:
            raise ValueError(f"simweb: release must be one of {RELEASES}, not {release!r}")
        self._address = (host, port)
        self._corpus_dir = corpus_dir
        self._release: Release = release
        self._controls = _Controls(latency)
        self._running: _Running | None = None
        self._public_url = public_url

    def start(self) -> SimWeb:
        if self._running is not None:
            raise RuntimeError("simweb: already started")
        corpus = Corpus(self._corpus_dir) if self._corpus_dir else None
        hostile = (
            Hostile(self._corpus_dir)
            if self._corpus_dir and (self._corpus_dir / "corpus" / "hostile").is_dir()
            else None
        )
        self._controls.stopping.clear()
        try:
            server = _Server(
                self._address,
                lambda base_url: _Web(
                    base_url, self._controls, release=self._release, corpus=corpus, hostile=hostile
                ),
                self._public_url,
            )
        except OSError as error:  # the port is taken, or the address is not this machine's
            host, port = self._address
            raise WirestreamError(
                f"simweb: cannot listen on {host}:{port}: {error.strerror or error}"
            ) from None
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"simweb-{server.server_address[1]}",
            daemon=True,
        )
        thread.start()
        self._running = _Running(server, thread)
        return self

    def stop(self) -> None:
        if self._running is None:
            return
        running, self._running = self._running, None
        self._controls.stopping.set()
        running.server.shutdown()
        running.server.close_connections()
        running.server.server_close()
        running.thread.join()

    def __enter__(self) -> SimWeb:
        return self if self._running else self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def _web(self) -> _Web:
        if self._running is None:
            raise RuntimeError("simweb: not started; call start() first")
        return self._running.server.web

    @property
    def base_url(self) -> str:
        return self._web.base_url

    @property
    def opml_url(self) -> str:
        """Every demo outlet feed; no faults."""
        return f"{self.base_url}/opml.xml"

    @property
    def evalset_opml_url(self) -> str:
        """The clustering evaluation set (``evalset``): its own feeds, apart from the demo's."""
        return f"{self.base_url}/opml-evalset.xml"

    @property
    def faults_opml_url(self) -> str:
        return f"{self.base_url}/opml-faults.xml"

    @property
    def hostile_opml_url(self) -> str:
        """Every file of the hostile corpus as a feed; 404 unless started with ``corpus_dir``."""
        return f"{self.base_url}/hostile-opml.xml"

    def hostile_files(self) -> list[str]:
        """The paths under ``corpus/hostile/`` it serves; none without ``corpus_dir``."""
        hostile = self._web.hostile
        return list(hostile.files) if hostile else []

    def hostile_url(self, path: str, kind: str) -> str:
        """Where ``corpus/hostile/<path>`` is served as a ``feed`` or as a ``page``."""
        hostile = self._web.hostile
        if hostile is None:
            raise RuntimeError("simweb: no hostile corpus; start with corpus_dir")
        return self.base_url + hostile.files[path].url_path(kind)

    @property
    def corpus_opml_url(self) -> str:
        """The real corpus's feeds; 404 unless started with ``corpus_dir``."""
        return f"{self.base_url}/corpus-opml.xml"

    def url_for(self, article: Article) -> str:
        return self._web.site.url_for(article)

    def feed_urls(self) -> list[str]:
        return [self._web.site.feed_url(feed) for feed in catalog.FEEDS]

    def advance(self, count: int = 1) -> None:
        self._web.site.advance(count)

    def publish_next(self) -> str:
        """``release="live"``: the next story out, or a revision of one already out."""
        return self._web.site.publish_next(datetime.now(UTC))

    def synthetic_feed_url(self, number: int, **options: object) -> str:
        """A feed of ``synthetic.example`` that publishes on a schedule (options: its module)."""
        return self._web.synthetic.feed_url(number, **options)

    def advance_time(self, seconds: float) -> None:
        """Move the synthetic feeds' clock forward: items due by then appear."""
        self._web.synthetic.advance(seconds)

    def hits(self) -> dict[str, int]:
        """Requests per original host (the first path segment) since start."""
        return self._controls.hits()

    def clients(self) -> dict[str, int]:
        """Requests per client address since start (several worker hosts: which one asked)."""
        return self._controls.clients()

    def busiest(self, window: float = 1.0) -> int:
        """The most requests the server received within any ``window`` seconds since start:
        all of them, whatever their path, since to a client this whole web is one host."""
        return self._controls.busiest(window)

    def set_behaviour(
        self,
        path_prefix: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        latency: float | None = None,
        redirect_to: str | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> None:
        """Override every URL starting with ``/<path_prefix>``; the longest prefix wins, and a
        call with no behaviour clears the prefix."""
        behaviour = Behaviour(status, retry_after, latency, redirect_to, body, content_type)
        self._controls.set_behaviour(path_prefix, behaviour)

    def clear_behaviours(self) -> None:
        self._controls.clear_behaviours()


def serve_forever(
    host: str, port: int, *, corpus_dir: Path | None = None, public_url: str | None = None
) -> None:
    """Serve until interrupted or terminated (the ``wirestream simweb`` command)."""
    web = SimWeb(host, port, corpus_dir=corpus_dir, public_url=public_url).start()
    print(f"simweb: serving {web.base_url}  OPML: {web.opml_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        web.stop()
