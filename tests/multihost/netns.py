"""Test hosts as Linux network namespaces, wired to a bridge in a "switch" namespace.

Every namespace of a run is named ``wsmh-<pid of the test process>-<role>``. Both ends of
each veth pair are created inside namespaces (the host's ``eth0``, the switch's port named
after the role), so the machine's own network never gets an interface, an address or a
route of the test subnet, and no namespace has a route anywhere else: a packet can only
go from one test host to another. ``remove_leftovers`` deletes the namespaces of runs whose
test process is gone (a run killed before its finalizer).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from ipaddress import IPv4Network, ip_network
from pathlib import Path
from typing import IO

PREFIX = "wsmh"
SUBNET: IPv4Network = ip_network("10.213.7.0/24")  # type: ignore[assignment]
SWITCH = "switch"
BRIDGE = "br0"
HOST_INTERFACE = "eth0"


@dataclass(frozen=True)
class Host:
    role: str
    namespace: str
    address: str


def ip(*args: str) -> str:
    """Run ``ip`` and return its output; a failure raises with its message."""
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def namespaces() -> list[str]:
    return [line.split()[0] for line in ip("netns", "list").splitlines() if line.strip()]


def why_unavailable() -> str | None:
    """Why namespaces cannot be made here, or None when they can (probed by making one)."""
    if os.geteuid() != 0:
        return "network namespaces need root (ip netns add)"
    probe = f"{PREFIX}-{os.getpid()}-probe"
    try:
        ip("netns", "add", probe)
    except FileNotFoundError:
        return "iproute2 is not installed (no `ip` command)"
    except RuntimeError as error:
        return f"cannot create a network namespace here: {error}"
    ip("netns", "delete", probe)
    return None


def kill_processes_in(namespace: str) -> None:
    """SIGKILL whatever still runs in ``namespace``; it cannot be deleted while they live."""
    with contextlib.suppress(RuntimeError):
        for pid in ip("netns", "pids", namespace).split():
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)


def delete(namespace: str) -> None:
    kill_processes_in(namespace)
    with contextlib.suppress(RuntimeError):
        ip("netns", "delete", namespace)


def remove_leftovers() -> list[str]:
    """Delete the namespaces of earlier runs whose test process no longer exists."""
    removed = []
    for name in namespaces():
        parts = name.split("-")
        if len(parts) < 3 or parts[0] != PREFIX or not parts[1].isdigit():
            continue
        if not Path(f"/proc/{parts[1]}").exists():
            delete(name)
            removed.append(name)
    return removed


class Network:
    """A switch and the hosts plugged into it; ``remove`` undoes everything."""

    def __init__(self) -> None:
        self.run_id = f"{PREFIX}-{os.getpid()}"
        self.switch = f"{self.run_id}-{SWITCH}"
        self.hosts: dict[str, Host] = {}
        self._processes: list[subprocess.Popen[bytes]] = []
        self._made: list[str] = []
        self._next_address = iter(SUBNET.hosts())
        next(self._next_address)  # .1 stays free, as a gateway would have it

    def create(self, roles: list[str]) -> dict[str, Host]:
        self._add_namespace(self.switch)
        ip("-n", self.switch, "link", "add", BRIDGE, "type", "bridge")
        ip("-n", self.switch, "link", "set", BRIDGE, "up")
        for role in roles:
            host = Host(role, f"{self.run_id}-{role}", str(next(self._next_address)))
            self._add_namespace(host.namespace)
            ip(
                "link", "add", HOST_INTERFACE, "netns", host.namespace,
                "type", "veth", "peer", "name", role, "netns", self.switch,
            )  # fmt: skip
            ip("-n", self.switch, "link", "set", "dev", role, "master", BRIDGE, "up")
            prefix = f"{host.address}/{SUBNET.prefixlen}"
            ip("-n", host.namespace, "addr", "add", prefix, "dev", HOST_INTERFACE)
            ip("-n", host.namespace, "link", "set", HOST_INTERFACE, "up")
            self.hosts[role] = host
        return self.hosts

    def routes(self, host: Host) -> list[str]:
        """Destinations the host can send to, besides its loopback."""
        return [line.split()[0] for line in ip("-n", host.namespace, "route", "show").splitlines()]

    def start(
        self, host: Host, command: list[str], *, env: dict[str, str], cwd: Path, log: IO[bytes]
    ) -> subprocess.Popen[bytes]:
        """A process on ``host``: it sees only that host's network."""
        process = subprocess.Popen(
            ["ip", "netns", "exec", host.namespace, *command],
            env=env,
            cwd=cwd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._processes.append(process)
        return process

    def run(self, host: Host, command: list[str], **kwargs: object) -> str:
        """Run ``command`` on ``host`` to completion; its standard output."""
        done = subprocess.run(
            ["ip", "netns", "exec", host.namespace, *command],
            capture_output=True,
            text=True,
            timeout=120,
            **kwargs,  # type: ignore[call-overload]
        )
        if done.returncode != 0:
            raise AssertionError(f"{command} on {host.role}: {done.stderr[-2000:]}")
        return str(done.stdout)

    def free_port(self, host: Host) -> int:
        """A port the OS reports free at the host's address."""
        probe = (
            "import socket, sys; s = socket.socket(); s.bind((sys.argv[1], 0));"
            " print(s.getsockname()[1])"
        )
        return int(self.run(host, [sys.executable, "-c", probe, host.address]))

    def unplug(self, host: Host) -> None:
        """The host's cable is cut at the switch: its packets go nowhere, with no error."""
        ip("-n", self.switch, "link", "set", "dev", host.role, "down")

    def plug(self, host: Host) -> None:
        ip("-n", self.switch, "link", "set", "dev", host.role, "up")

    def remove(self) -> None:
        for process in reversed(self._processes):  # workers before the Redis they use
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for namespace in reversed(self._made):
            delete(namespace)

    def _add_namespace(self, name: str) -> None:
        ip("netns", "add", name)
        self._made.append(name)
        ip("-n", name, "link", "set", "lo", "up")
