"""structlog set-up, done once per process: JSON lines off a terminal, console on one.

Celery's own records and every stdlib logger go through the same renderer, so a worker's
output is one format. Task id and name are bound from Celery signals (see ``app.py``).
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from typing import Any

import structlog

_PASSWORD_IN_URL = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:/@\s]*):[^@\s]+@")
_SECRET_KEY = re.compile(r"password|passwd|secret|token|basic_auth|credential", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s'\"]+")


def mask_secrets(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """No password in a URL, nor the value of a field named like a secret, ever reaches a log
    line, whatever logged it."""
    for key, value in event.items():
        if _SECRET_KEY.search(key) and value:
            event[key] = "***"
        elif isinstance(value, str) and "@" in value:
            event[key] = _PASSWORD_IN_URL.sub(r"\g<scheme>\g<user>:***@", value)
    return event


def add_celery_task_fields(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """Celery's own records about a task ("received", "succeeded", "retry") carry its id, name
    and argument representation in the record's ``data``: lift them into fields, so those
    lines carry task_id, task_name and the URL like ours."""
    details = getattr(event.get("_record"), "data", None)
    if isinstance(details, Mapping) and "id" in details and "name" in details:
        event.setdefault("task_id", details["id"])
        event.setdefault("task_name", details["name"])
        found = _URL.search(str(details.get("args") or ""))
        if found:
            event.setdefault("url", found.group())
    return event


def renders_json(log_format: str) -> bool:
    """JSON lines unless asked for the console, or left to decide and on a terminal."""
    return log_format == "json" or (log_format == "auto" and not sys.stderr.isatty())


def configure_logging(level: str = "INFO", log_format: str = "auto") -> None:
    as_json = renders_json(log_format)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if as_json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    final_steps: list[Any] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        *([structlog.processors.format_exc_info] if as_json else []),
        # Last before rendering, so it also sees tracebacks and Celery's lifted fields.
        mask_secrets,
        renderer,
    ]
    foreign_steps: list[Any] = [*shared, add_celery_task_fields]
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=foreign_steps,
        processors=final_steps,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Python warnings become log records too, rendered like every other line.
    logging.captureWarnings(True)
    # httpx logs every request at INFO: our own fetch events say more, once.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # trafilatura logs a page it cannot parse (empty, binary, not HTML) at ERROR; the
    # extract stage reports that failure itself, naming the page, so theirs is noise.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)


def get_logger(name: str) -> Any:
    return structlog.stdlib.get_logger(name)
