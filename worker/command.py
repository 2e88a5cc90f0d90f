"""The ``wirestream`` command's entry point, its argument parser and the way any of its
commands ends (exit codes, one-line errors, SIGTERM as Ctrl-C).

``wirestream health`` runs in every container every few seconds: it is parsed and run from
here with only what it needs (:mod:`worker.health`), 0.3 s of CPU instead of the whole CLI's
1 s (:mod:`worker.cli`, every other command).
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Callable, Sequence
from types import FrameType
from typing import NoReturn
from urllib.parse import urlsplit

from worker.adapters.redis_client import (
    REDIS_REFUSALS,
    REDIS_REPLY_ERRORS,
    refusal_message,
    reply_error_message,
)
from worker.errors import ConfigError, WirestreamError
from worker.logs import configure_logging
from worker.settings import Settings, load_settings

Handler = Callable[[argparse.Namespace, Settings], int]


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["health"]:
        from worker import health

        parser = OneLineParser(prog="wirestream health", description=health.HELP)
        health.add_arguments(parser)
        return run(health.check_health, parser.parse_args(args[1:]))
    from worker.cli import build_parser

    parsed = build_parser().parse_args(args)
    return run(parsed.handler, parsed)


def run(handler: Handler, args: argparse.Namespace) -> int:
    # SIGTERM (docker stop, timeout, a service manager) ends a command as Ctrl-C does, so
    # that the workers, scheduler and embedded Redis it started are stopped, not orphaned.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        settings = load_settings()
        configure_logging(settings.log_level, settings.log_format)
        return handler(args, settings)
    except ConfigError as error:
        print(f"wirestream: {error}", file=sys.stderr)
        return 2
    except WirestreamError as error:
        print(f"wirestream: {error}", file=sys.stderr)
        return 1
    except REDIS_REFUSALS as error:
        print(f"wirestream: redis: {refusal_message(error)}", file=sys.stderr)
        return 1
    except REDIS_REPLY_ERRORS as error:
        print(f"wirestream: redis: {reply_error_message(error)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `wirestream tail | head`
        return 0
    finally:
        signal.signal(signal.SIGTERM, previous)


class Terminated(KeyboardInterrupt):
    """SIGTERM, handled as Ctrl-C by every ``except KeyboardInterrupt``.

    Its own class because CPython remembers a plain ``KeyboardInterrupt`` that ends a string
    ``exec``/``eval`` (a namedtuple or dataclass being made while a lazy import runs) even
    when it is caught later, and then ends ``python -m`` by SIGINT instead of with its exit
    code; it compares the exception's type exactly, so a subclass is not remembered.
    """


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # One stop is enough: a second SIGTERM or SIGINT must not cut short the clean-up (workers,
    # scheduler, embedded Redis) that this one begins, nor turn the exit into a signal's.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    raise Terminated


class OneLineParser(argparse.ArgumentParser):
    """A mistake in the arguments is one line that names it, not argparse's usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def http_url(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"not an absolute http(s) URL: {text!r}")
    return text


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be above 0")
    return value
