"""What the simulated web answers, before the HTTP layer adds conditional GET, compression
and the behaviours tests set."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = HTML
    headers: tuple[tuple[str, str], ...] = ()
    etag: str | None = None
    last_modified: datetime | None = None
    compressible: bool = False
    """Send gzip-encoded when the client accepts it."""
    gzipped: bytes | None = None
    """The body already gzip-encoded (a corpus file stored compressed)."""
    stream: Callable[[], Iterator[bytes]] | None = None
    """Write the body as these chunks instead of ``body``; ``length`` bytes in all."""
    length: int = 0


def content(
    body: bytes, content_type: str, last_modified: datetime | None, *, compressible: bool = True
) -> Reply:
    """A 200 with validators, as every page and feed of the simulated web is served."""
    return Reply(
        status=200,
        body=body,
        content_type=content_type,
        etag=etag_of(body),
        last_modified=last_modified,
        compressible=compressible,
    )


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha1(body, usedforsecurity=False).hexdigest()[:20] + '"'


def error(status: int, headers: tuple[tuple[str, str], ...] = ()) -> Reply:
    """A short HTML page for any status without content of its own (errors, redirects)."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown Status"
    title = html.escape(f"{status} {reason}")
    page = f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>\n<body><h1>{title}</h1>"
    return Reply(status=status, body=f"{page}</body></html>\n".encode(), headers=headers)


def redirect(status: int, location: str) -> Reply:
    return error(status, (("Location", location),))


NOT_FOUND = error(404)
