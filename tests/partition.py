"""A TCP forwarder in front of the Redis primary that can cut the primary off from its
replica and the sentinels while its clients still reach it: the network partition in which
a failover leaves two primaries (split brain); or off from everyone, as a lost host.

Every connection to the primary goes through it (the sentinels name its port to clients).
A connection is the deployment's own once it sends what only a sentinel or a replica sends
(a ``sentinel-`` client name, the ``__sentinel__:hello`` channel, ``REPLCONF`` or ``PSYNC``);
every other is a client's. While cut, whatever the deployment's own connections send either
way is dropped, silently, as by a lost route; new ones are accepted and dropped alike. On
healing they are closed, so the sentinels and the replica connect again afresh.
"""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

from deploy import free_port

DEPLOYMENT_MARKERS = (b"sentinel-", b"__sentinel__", b"REPLCONF", b"PSYNC")


class Link:
    def __init__(self, downstream: socket.socket, upstream: socket.socket) -> None:
        self.downstream = downstream
        self.upstream = upstream
        self.internal = False
        self.lost = False
        """Silent for good: a connection to a host that was lost."""

    def close(self) -> None:
        for end in (self.downstream, self.upstream):
            with suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()


class PartitionableForwarder:
    def __init__(self) -> None:
        self.upstream_port = 0
        self.port = free_port()
        self.cut = threading.Event()
        self.clients_cut = False
        self._links: list[Link] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def forward_to(self, upstream_port: int) -> int:
        """Forward to ``upstream_port``; returns the forwarder's own port."""
        self.upstream_port = upstream_port
        return self.port

    def partition(self, *, clients_too: bool = False) -> None:
        """``clients_too``: every connection, as when the primary's host is lost (power, a
        dead switch): no reset, no reply, nothing; the connections open now stay so for
        good, and those made until :meth:`heal` too."""
        with self._lock:
            self.clients_cut = clients_too
            self.cut.set()
            for link in self._links:
                link.lost = link.lost or clients_too

    def heal(self) -> None:
        """New connections go through again; the deployment's own are closed, so that the
        sentinels and the replica connect again afresh."""
        with self._lock:
            internal = [link for link in self._links if link.internal]
            self._links = [link for link in self._links if not link.internal]
            self.cut.clear()
        for link in internal:
            link.close()

    def close(self) -> None:
        self._closed.set()
        self._listener.close()
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            link.close()

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                downstream.close()  # the primary is down: so is its forwarder
                continue
            link = Link(downstream, upstream)
            with self._lock:
                link.lost = self.cut.is_set() and self.clients_cut
                self._links.append(link)
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(
                    target=self._pump, args=(link, source, target), daemon=True
                ).start()

    def _pump(self, link: Link, source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if source is link.downstream and not link.internal:
                    link.internal = any(marker in data for marker in DEPLOYMENT_MARKERS)
                if link.lost or (link.internal and self.cut.is_set()):
                    continue  # dropped
                target.sendall(data)
        except OSError:
            pass
        finally:
            link.close()
