"""The README's commands, run as a reader would run them, so that they cannot go stale.

Every ``sh`` block of README.md runs in a shell against the simulated web and the test Redis
(its own namespace), unless the line before it says why not: ``<!-- readme-test: covered by
tests/... -->`` names the test that runs it, ``<!-- readme-test: skip (reason) -->`` says
what it needs that a test cannot have (the internet, a Docker engine, a Ctrl-C). A comment
line ``# prints: TEXT`` in a block is a line the block must print.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
MARKER = re.compile(r"<!-- readme-test: (?P<how>covered by|skip) (?P<why>.+?) -->")
FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
README_PORT = "8765"


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    body: str
    marker: re.Match[str] | None


def readme_blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    blocks = []
    for fence in FENCE.finditer(text):
        before = text[: fence.start()].rstrip("\n").rsplit("\n", 1)[-1]
        line = text.count("\n", 0, fence.start()) + 1
        blocks.append(Block(line, fence["lang"], fence["body"], MARKER.fullmatch(before.strip())))
    return blocks


RUN = [block for block in readme_blocks() if block.lang == "sh" and block.marker is None]


def test_every_readme_block_that_is_not_run_says_why() -> None:
    for block in readme_blocks():
        if block.marker is None:
            assert block.lang in ("sh", ""), f"README line {block.line}: {block.lang} block"
            continue
        why = block.marker["why"]
        if block.marker["how"] == "covered by":
            named = re.match(r"(tests/\S+\.py|CI)", why)
            assert named, f"README line {block.line}: 'covered by' names no test: {why}"
            assert named[1] == "CI" or (REPO_ROOT / named[1]).is_file(), named[1]
        else:
            assert why.startswith("(") and len(why) > 10, f"README line {block.line}: {why}"
    assert len(RUN) >= 3, "the README should show commands a reader can run"


def free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_readme_blocks_run_in_order_as_written(
    pipeline_env: dict[str, str], tmp_path: Path
) -> None:
    """Top to bottom in one namespace, as a reader would: the stream the by-hand block fills
    is the one the consume block reads."""
    env = {
        **pipeline_env,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "WIRESTREAM_LOG_FORMAT": "json",
    }
    for shared in ("seeds", "config"):
        (tmp_path / shared).symlink_to(REPO_ROOT / shared)
    for block in RUN:
        stdout, stderr, code = run_block(
            block.body.replace(README_PORT, free_port()), env, tmp_path
        )
        assert code == 0, f"README line {block.line}:\n{stdout[-2000:]}\n{stderr[-3000:]}"
        assert "Traceback" not in stderr, f"README line {block.line}:\n{stderr[-3000:]}"
        printed = stdout.splitlines()
        for expected in re.findall(r"^# prints: (.+)$", block.body, re.MULTILINE):
            assert expected in printed, f"README line {block.line}: {expected!r} not in\n{stdout}"


def run_block(script: str, env: dict[str, str], cwd: Path) -> tuple[str, str, int | None]:
    # Files, not pipes: a process the block leaves in the background keeps a pipe open.
    out, err = cwd / "stdout", cwd / "stderr"
    with out.open("w") as stdout_file, err.open("w") as stderr_file:
        shell = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", script],
            cwd=cwd, env=env, stdout=stdout_file, stderr=stderr_file, text=True,
            start_new_session=True,
        )  # fmt: skip
        try:
            shell.wait(timeout=240)
        finally:
            # What the block started in the background (simweb &) ends with it.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(shell.pid, signal.SIGTERM)
    return out.read_text(), err.read_text(), shell.returncode
