"""The README's run command: `wirestream demo` on the embedded Redis shows articles arriving."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable

Wirestream = Callable[..., subprocess.CompletedProcess[str]]


def test_demo_on_the_embedded_redis_shows_articles_arriving_and_stops_by_itself(
    wirestream: Wirestream,
) -> None:
    demo = wirestream("demo", "--duration", "45", timeout=180, WIRESTREAM_REDIS_URL="")

    assert demo.returncode == 0, demo.stderr[-3000:]
    created = [line for line in demo.stdout.splitlines() if line.startswith("created ")]
    assert len(created) >= 5, demo.stdout
    counted = re.search(r"^(\d+) stream entries in", demo.stdout, re.MULTILINE)
    assert counted is not None and int(counted.group(1)) >= len(created)
