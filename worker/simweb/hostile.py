"""``hostile.example``: every file of ``corpus/hostile/`` served as a feed and as a page.

::

    /hostile.example/feed/<path>     the file as a feed: the Content-Type its ``Header:``
                                     comment names (feedparser's cases), else by extension
    /hostile.example/page/<path>     the file as an article page (text/html, the declared
                                     charset kept)
    /hostile-opml.xml                every file as a feed subscription

``<path>`` is the file's path under ``corpus/hostile/``. The compressed bodies of scrapy's
cases are sent as they are stored, with the Content-Encoding they were made with (scrapy's
own test table), so the client has to decode, and bound, them itself. Other ``Header:``
lines of feedparser's cases (ETag, Last-Modified, X-Foo, ...) are sent as they are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, unquote

from worker.simweb.feeds import OPML_CONTENT_TYPE, Subscription, render_opml
from worker.simweb.replies import Reply, content

HOST = "hostile.example"
KINDS = ("feed", "page")

# scrapy/tests/test_downloadermiddleware_httpcompression.py: the coding each file was made with.
CONTENT_ENCODINGS = {
    "bomb-gzip.bin": "gzip",
    "bomb-deflate.bin": "deflate",
    "feed-sample1.xml.gz": "gzip",
    "html-br.bin": "br",
    "html-gzip.bin": "gzip",
    "html-gzip-deflate.bin": "gzip, deflate",
    "html-gzip-deflate-gzip.bin": "gzip, deflate, gzip",
    "html-rawdeflate.bin": "deflate",
    "html-zlibdeflate.bin": "deflate",
    "html-zstd-static-content-size.bin": "zstd",
    "html-zstd-static-no-content-size.bin": "zstd",
    "html-zstd-streaming-no-content-size.bin": "zstd",
}
# Archives are no HTTP coding: they go out as what they are.
_TYPES_BY_SUFFIX = {
    ".xml": "application/xml",
    ".txt": "text/plain",
    ".tar": "application/x-tar",
    ".zip": "application/zip",
    ".bz2": "application/x-bzip2",
}
_HEADER_LINE = re.compile(rb"^\s*Header:\s*([A-Za-z0-9-]+):[ \t]*(.*?)\s*$", re.M)
_CHARSET = re.compile(r"charset\s*[=:]\s*[\"']?([^\"';\s]+)", re.I)
_LISTED = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass(frozen=True)
class HostileFile:
    path: str  # under corpus/hostile/
    file: Path

    def url_path(self, kind: str) -> str:
        return f"/{HOST}/{kind}/{quote(self.path)}"


class Hostile:
    def __init__(self, root: Path) -> None:
        """``root`` is the data folder (``WIRESTREAM_CORPUS``) holding ``corpus/hostile/``."""
        folder = root / "corpus" / "hostile"
        self.files = {
            path.relative_to(folder).as_posix(): HostileFile(
                path.relative_to(folder).as_posix(), path
            )
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }

    def opml(self, base_url: str) -> Reply:
        feeds = [
            Subscription(title=name, xml_url=base_url + hostile.url_path("feed"))
            for name, hostile in self.files.items()
        ]
        body = render_opml("wirestream simulated web: hostile corpus", _LISTED, feeds)
        return content(body, OPML_CONTENT_TYPE, _LISTED)

    def reply(self, rest: str) -> Reply | None:
        """The file at ``rest`` (after the host: ``/feed/<path>`` or ``/page/<path>``)."""
        kind, _, path = rest.lstrip("/").partition("/")
        hostile = self.files.get(unquote(path))
        if kind not in KINDS or hostile is None:
            return None
        body = hostile.file.read_bytes()
        headers = _declared_headers(body)
        declared_type = headers.pop("content-type", None)
        name = hostile.file.name
        encoding = CONTENT_ENCODINGS.get(name)
        if kind == "page":
            charset = _CHARSET.search(declared_type or "")
            content_type = "text/html" + (f"; charset={charset.group(1)}" if charset else "")
        elif declared_type is not None:
            content_type = declared_type
        elif encoding is not None:
            content_type = "application/xml"
        else:
            content_type = _TYPES_BY_SUFFIX.get(hostile.file.suffix, "application/octet-stream")
        extra = tuple(headers.items())
        if encoding is not None:
            extra += (("Content-Encoding", encoding),)
        return Reply(status=200, body=body, content_type=content_type or None, headers=extra)


def _declared_headers(body: bytes) -> dict[str, str]:
    """The ``Header: Name: value`` lines of a feedparser case's leading comment."""
    comment_end = body.find(b"-->", 0, 2048)
    if comment_end < 0:
        return {}
    return {
        name.decode("ascii").lower(): value.decode("latin-1")
        for name, value in _HEADER_LINE.findall(body[:comment_end])
    }
