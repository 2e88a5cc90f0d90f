"""`wirestream run` on a terminal: what a person reads (articles as they come out, a status
line), not Celery's banners and a JSON line per task, which go to the log files."""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import Wirestream
from worker.simweb import SimWeb, catalog


def test_run_on_a_terminal_shows_articles_and_status_and_keeps_worker_lines_in_files(
    wirestream: Wirestream, simweb: SimWeb, pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    feed = max(catalog.FEEDS, key=lambda feed: len(catalog.articles_in(feed)))
    assert wirestream("feeds", "add", "--no-check", f"{simweb.base_url}/{feed.key}").returncode == 0
    expected = len(catalog.articles_in(feed))

    controller, terminal = pty.openpty()
    run = subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "run"],
        env={**pipeline_env, "WIRESTREAM_LOG_FORMAT": "auto"}, cwd=tmp_path,
        stdin=subprocess.DEVNULL, stdout=terminal, stderr=terminal, start_new_session=True,
    )  # fmt: skip
    os.close(terminal)
    screen = b""
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _, _ = select.select([controller], [], [], 1.0)
            if ready:
                try:
                    screen += os.read(controller, 65536)
                except OSError:  # the terminal closed: the command exited
                    break
            shown = re.findall(rb"(?:\n|\x1b\[K)(?:created|duplicate) ", screen)
            if len(shown) >= expected:
                break
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=60)
        os.close(controller)

    text = screen.decode("utf-8", errors="replace")
    assert run.returncode == 0, text[-3000:]
    # An article line comes after a newline, or after the status line it clears.
    assert len(re.findall(r"(?:\n|\x1b\[K)(?:created|duplicate) ", text)) == expected, text[-3000:]
    assert "feeds 1 (" in text and "| queue " in text, "the status line"
    assert "celery@" not in text and "SecurityWarning" not in text, text[-3000:]
    assert '{"event"' not in text and "Task wirestream" not in text, text[-3000:]
    logs = Path(pipeline_env["WIRESTREAM_DATA_DIR"]) / "logs"
    assert (logs / "worker-articles.log").read_text(encoding="utf-8").strip()
