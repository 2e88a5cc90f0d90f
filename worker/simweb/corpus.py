"""The real third-party corpus (``$WIRESTREAM_CORPUS/corpus``) served at its original URLs.

``corpus/urls.json`` maps each original URL to a local file; its ``key`` is host + path +
query, and the file is served at ``/<key>``. A few keys end in ``#dupN`` to tell apart
different files saved under one URL; a fragment never reaches a server, so those are
requested with the ``#`` percent-encoded. Files are read on request and never copied.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from worker.simweb.feeds import OPML_CONTENT_TYPE, Subscription, render_opml
from worker.simweb.replies import Reply, content, etag_of


@dataclass(frozen=True)
class CorpusFile:
    key: str
    path: Path
    content_type: str
    gzip_stored: bool
    is_feed: bool

    @property
    def url_path(self) -> str:
        return "/" + self.key.replace("#", "%23")


class Corpus:
    def __init__(self, root: Path) -> None:
        """``root`` is the data folder (``WIRESTREAM_CORPUS``) holding ``corpus/urls.json``."""
        folder = root / "corpus"
        index = folder / "urls.json"
        records = json.loads(index.read_text(encoding="utf-8"))
        self._listed = _modified(index)
        files = [
            CorpusFile(
                key=record["key"],
                path=folder / record["local_path"],
                content_type=record["content_type"],
                gzip_stored=record["gzip_stored"],
                is_feed=record["set"] == "feeds",
            )
            for record in records
        ]
        # Keyed by the unquoted form, so that a client quoting more or less than the key
        # (":" or "%3A", "#" as "%23") still finds the file.
        self._files = {unquote(file.key): file for file in files}
        self.hosts = frozenset(file.key.split("/", 1)[0] for file in files)

    def opml(self, base_url: str) -> Reply:
        """The subscription list of every feed in the corpus."""
        feeds = [
            Subscription(title=file.key, xml_url=base_url + file.url_path)
            for file in self._files.values()
            if file.is_feed
        ]
        body = render_opml("wirestream simulated web: real corpus", self._listed, feeds)
        return content(body, OPML_CONTENT_TYPE, self._listed)

    def reply(self, target: str) -> Reply | None:
        """The file at request target ``target`` (path and query, leading slash removed)."""
        file = self._files.get(unquote(target))
        if file is None:
            return None
        stored = file.path.read_bytes()
        body = gzip.decompress(stored) if file.gzip_stored else stored
        return Reply(
            status=200,
            body=body,
            content_type=file.content_type,
            etag=etag_of(body),
            last_modified=_modified(file.path),
            compressible=not file.gzip_stored,
            gzipped=stored if file.gzip_stored else None,
        )


def _modified(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
