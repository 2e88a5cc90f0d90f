"""How a command run as ``python -m`` ends on SIGTERM: with 130, as after Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

# The handler makes namedtuples (a string `exec` each) without end, as a lazy import of
# Celery or kombu does at the moment a run is stopped.
STOPPED_MODULE = textwrap.dedent(
    """
    import collections
    import sys

    from worker.command import run

    def make_namedtuples(args, settings):
        print("ready", flush=True)
        while True:
            collections.namedtuple("Entry", "a b c d e f")

    sys.exit(run(make_namedtuples, None))
    """
)


def test_sigterm_ends_a_module_run_with_130_even_inside_a_string_exec(tmp_path: Path) -> None:
    (tmp_path / "stopped_command.py").write_text(STOPPED_MODULE)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), *sys.path])}
    # A plain KeyboardInterrupt raised there ended 3 of 4 such runs by SIGINT (-2): five in a
    # row ending with 130 do not happen by chance.
    for _ in range(5):
        command = subprocess.Popen(
            [sys.executable, "-m", "stopped_command"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert command.stdout is not None
        assert command.stdout.readline() == "ready\n"
        command.send_signal(signal.SIGTERM)
        _, errors = command.communicate(timeout=30)

        assert (command.returncode, errors) == (130, "")
