"""The README's run command: `wirestream demo` on the embedded Redis shows articles arriving,
and stops with everything it started."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from processes import live_processes, stop, stop_all

Wirestream = Callable[..., subprocess.CompletedProcess[str]]


def test_demo_on_the_embedded_redis_keeps_showing_new_articles_copies_and_updates(
    wirestream: Wirestream,
) -> None:
    demo = wirestream("demo", "--duration", "75", timeout=240, WIRESTREAM_REDIS_URL="")

    assert demo.returncode == 0, demo.stderr[-3000:]
    lines = demo.stdout.splitlines()
    events = [line.split(" ", 1)[0] for line in lines]
    assert events.count("created") >= 5, demo.stdout
    assert "duplicate" in events, demo.stdout
    assert "updated" in events, "a revised story must come out as an update: " + demo.stdout
    # Without a terminal the status goes out as a line of its own, so a pause reads as waiting.
    assert any(line.startswith("status: feeds ") for line in lines), demo.stdout
    counted = re.search(r"^(\d+) stream entries in \d+ s; feeds \d+", demo.stdout, re.MULTILINE)
    assert counted is not None, demo.stdout
    assert int(counted.group(1)) == events.count("created") + events.count("duplicate") + (
        events.count("updated")
    )


def test_sigterm_stops_the_demo_with_every_process_it_started(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    """docker stop, timeout and service managers send SIGTERM: the workers, the scheduler and
    the embedded Redis (in a session of its own) must not outlive the demo."""
    env = {key: value for key, value in pipeline_env.items() if key != "WIRESTREAM_REDIS_URL"}
    data_dir = env["WIRESTREAM_DATA_DIR"]
    demo = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "demo"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert demo.stdout is not None
        started = [next(demo.stdout) for _ in range(2)]
        assert "workers and scheduler started" in started[1], started
        assert set(live_processes(session=demo.pid, naming=data_dir)) - {demo.pid}, (
            "the demo started nothing"
        )
        time.sleep(3)  # the workers are up and polling
    finally:
        stdout, stderr = stop(demo, naming=data_dir)
    left = stop_all(live_processes(session=demo.pid, naming=data_dir))
    assert demo.returncode == 0, stderr[-3000:]
    assert "stopping workers" in stdout
    assert left == []
