"""Every mistake a user can make on the command line gets one clear line and an exit code:
2 for a bad argument, setting or input file, 1 for work that failed. Never a traceback."""

from __future__ import annotations

import argparse
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import Wirestream, run_together
from worker.cli import build_parser, main
from worker.keys import Keys

PAGE_CAP = 20_000
PAGE = b"<html><head><title>A page</title></head><body><p>Some words.</p></body></html>"
BAD_OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>
<outline text="Good" type="rss" xmlUrl="https://good.example/rss"/>
<outline text="Bad one" type="rss" xmlUrl="notaurl"/>
<outline text="Good too" type="rss" xmlUrl="https://good-too.example/rss"/>
</body></opml>"""


def leaf_commands() -> Iterator[tuple[list[str], argparse.ArgumentParser]]:
    """Every command and sub-command with the parser that reads its arguments."""

    def walk(
        path: list[str], parser: argparse.ArgumentParser
    ) -> Iterator[tuple[list[str], argparse.ArgumentParser]]:
        subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not subparsers:
            yield path, parser
        for action in subparsers:
            for name, child in action.choices.items():
                yield from walk([*path, name], child)

    yield from walk([], build_parser())


def exit_code(argv: list[str]) -> int | str | None:
    """What the command exits with: argparse exits itself, a command returns its code."""
    try:
        return main(argv)
    except SystemExit as exit_:
        return exit_.code


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{text}"
    return lines[0]


def test_every_command_refuses_an_unknown_option_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    commands = list(leaf_commands())
    assert len(commands) > 20
    for path, _ in commands:
        assert exit_code([*path, "--no-such-option"]) == 2, path
        captured = capsys.readouterr()
        line = one_line(captured.err)
        assert line.startswith("wirestream"), line
        # Commands with a required argument name that first; the others the stray option.
        assert ("--no-such-option" in line or "required" in line) and "--help" in line, line


def test_every_typed_option_refuses_a_value_of_the_wrong_kind_in_one_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    checked = 0
    for path, parser in leaf_commands():
        required = ["x" for a in parser._actions if not a.option_strings and a.required]
        for action in parser._actions:
            if action.type is None or not action.option_strings:
                continue
            code = exit_code([*path, f"{action.option_strings[0]}=-1.5x", *required])
            assert code == 2, (path, action.option_strings)
            line = one_line(capsys.readouterr().err)
            assert "-1.5x" in line, line  # the value named, with the option or the file
            checked += 1
    assert checked >= 10


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    (tmp_path / "page.html").write_bytes(PAGE)
    (tmp_path / "empty.html").write_bytes(b"")
    (tmp_path / "binary.html").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "big.html").write_bytes(PAGE + b" " * PAGE_CAP)
    (tmp_path / "bad.opml").write_bytes(BAD_OPML)
    (tmp_path / "broken.toml").write_text('[[feed]]\nurl = "x\n', encoding="utf-8")
    return tmp_path


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def test_each_mistake_from_the_first_hour_gets_one_line_and_its_exit_code(
    wirestream: Wirestream, inputs: Path, taken_port: int
) -> None:
    url = "https://news.example/a"
    cases: dict[str, tuple[tuple[str, ...], dict[str, str], int, str]] = {
        "health-http": (("health", "--http", "notaurl"), {}, 2,
                        "--http: not an absolute http(s) URL: 'notaurl'"),
        "simweb-port-taken": (("simweb", "--port", str(taken_port)), {}, 1,
                              f"simweb: cannot listen on 127.0.0.1:{taken_port}: "),
        "bad-json-variable": (("status",), {"WIRESTREAM_HOST_RATE_OVERRIDES": "{bad json"}, 2,
                              "host_rate_overrides (WIRESTREAM_HOST_RATE_OVERRIDES): not valid"
                              " JSON (got '{bad json')"),
        "extract-bad-url": (("extract", str(inputs / "page.html"), "--url", "not-a-url"), {}, 2,
                            "--url: not an absolute http(s) URL: 'not-a-url'"),
        "extract-empty": (("extract", str(inputs / "empty.html"), "--url", url), {}, 2,
                          f"{inputs / 'empty.html'}: empty"),
        "extract-binary": (("extract", str(inputs / "binary.html"), "--url", url), {}, 1,
                           "extract: binary content, not a page"),
        "extract-too-big": (("extract", str(inputs / "big.html"), "--url", url),
                            {"WIRESTREAM_MAX_PAGE_BYTES": str(PAGE_CAP)}, 1,
                            f"read: body larger than {PAGE_CAP} bytes for {inputs / 'big.html'}"),
        "broken-toml": (("feeds", "import", str(inputs / "broken.toml")), {}, 2,
                        f"feeds import: {inputs / 'broken.toml'}: not a TOML feed list"),
        "run-without-feeds": (("run", "--until-idle", "--timeout", "30"), {}, 1,
                              "run: no feed to poll; add one with `wirestream feeds add URL`"),
    }  # fmt: skip
    results = run_together(
        {
            name: (lambda args=args, env=env: wirestream(*args, timeout=60, **env))
            for name, (args, env, _, _) in cases.items()
        }
    )
    for name, (_, _, code, expected) in cases.items():
        result = results[name]
        line = one_line(result.stderr)
        assert result.returncode == code, (name, result.stderr)
        assert expected in line, (name, line)
        assert line.startswith("wirestream"), (name, line)
        assert line.count(str(inputs)) <= 1, ("an input named twice", line)


def test_feeds_import_names_the_outline_it_skipped_and_counts_only_what_it_imported(
    wirestream: Wirestream, inputs: Path
) -> None:
    result = wirestream("feeds", "import", str(inputs / "bad.opml"))
    assert result.returncode == 0, result.stderr
    line = one_line(result.stderr)
    assert "skipped feed 'Bad one'" in line and "'notaurl'" in line, line
    assert result.stdout.strip() == (
        f"imported 2 of 3 feeds from {inputs / 'bad.opml'} (2 new, 1 skipped)"
    )
    status = wirestream("feeds", "status", "https://good.example/rss")
    assert status.returncode == 0, status.stderr
    assert "yield          not polled yet" in status.stdout


def test_a_redis_url_without_a_password_is_shown_as_given(wirestream: Wirestream) -> None:
    result = wirestream("health", WIRESTREAM_REDIS_URL="redis://:@127.0.0.1:6379/0")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "healthy: redis redis://:@127.0.0.1:6379/0 answers"


def test_a_run_in_which_every_feed_failed_exits_1_saying_so(wirestream: Wirestream) -> None:
    # Port 9 on loopback (discard) refuses every connection: each poll fails at once.
    added = wirestream("feeds", "add", "--no-check", "http://127.0.0.1:9/feed.xml")
    assert added.returncode == 0, added.stderr
    run = wirestream(
        "run", "--until-idle", "--timeout", "120", WIRESTREAM_LOG_FORMAT="json", timeout=180
    )
    assert run.returncode == 1, run.stderr[-2000:]
    assert "feeds polled: 0 (not modified: 0), failed: 1;" in run.stdout
    assert "wirestream: run: every feed poll failed (1); see `wirestream feeds status`" in (
        run.stderr.splitlines()
    )
    assert "Traceback" not in run.stderr


def test_no_command_prints_a_traceback_for_bad_input(wirestream: Wirestream, inputs: Path) -> None:
    """The mistakes above, and one per command that reads an input, in one sweep."""
    missing = str(inputs / "missing.xml")
    commands = [
        ("feeds", "add", "notaurl"),
        ("feeds", "import", missing),
        ("feeds", "status", "notaurl"),
        ("feeds", "remove", "https://never.example/rss"),
        ("dead", "retry", "not-an-id"),
        ("cluster", "not-an-id"),
        ("extract", missing),
        ("rules", "test", missing),
        ("parse-feed", missing),
        ("parse-feed", str(inputs / "binary.html")),
        ("tail", "--consumer", "c"),
        ("worker", "--queues", "nope"),
    ]
    results = run_together(
        {" ".join(args): (lambda args=args: wirestream(*args, timeout=60)) for args in commands}
    )
    for name, result in results.items():
        assert result.returncode in (1, 2), (name, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout, name
        assert one_line(result.stderr).startswith("wirestream"), name


def test_a_namespace_key_of_another_kind_is_named_in_one_line_not_a_traceback(
    wirestream: Wirestream, redis_client: redis.Redis, keys: Keys
) -> None:
    redis_client.set(keys.articles_stream, "something else's value")
    commands = [
        ("status",),
        ("groups",),
        ("tail", "--from-start", "--no-follow"),
        ("tail", "--group", "g", "--from-start", "--no-follow"),
    ]
    results = run_together(
        {" ".join(args): (lambda args=args: wirestream(*args, timeout=60)) for args in commands}
    )
    for name, result in results.items():
        assert result.returncode == 2, (name, result.stderr)
        line = one_line(result.stderr)
        assert keys.articles_stream in line, name
        assert "WRONGTYPE" in line and "WIRESTREAM_NAMESPACE" in line, name
