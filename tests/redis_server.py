"""A redis-server process of a test's own, on a free port, for the tests that stop or kill
Redis (never the shared one on 6379)."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import redis
from deploy import free_port


class RedisServer:
    """A redis-server process of the test's own, on a free port, with AOF (everysec)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start it; return the moment it answers."""
        self.directory.mkdir(parents=True, exist_ok=True)
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--dir", str(self.directory), "--save", "", "--appendonly", "yes",
            "--appendfsync", "everysec", "--maxmemory-policy", "noeviction",
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            stdout=open(self.directory / "redis.log", "ab"),  # noqa: SIM115 - lives with it
            stderr=subprocess.STDOUT,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return time.monotonic()
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self, how: signal.Signals = signal.SIGTERM) -> None:
        assert self.process is not None
        self.process.send_signal(how)
        self.process.wait(timeout=30)
        self.process = None
