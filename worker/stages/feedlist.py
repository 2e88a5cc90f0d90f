"""The feed list file (TOML), beside OPML: one ``[[feed]]`` table per feed, with options.

::

    [[feed]]
    url = "https://outlet.example/rss"      # required
    name = "Outlet"                          # a title for the feed
    tags = ["world", "en"]                   # tags for its articles
    min_interval = 600                       # seconds: poll no more often than this
    max_interval = 7200                      # seconds: poll at least this often
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from worker.errors import PermanentError

STAGE = "feedlist"
_OPTIONS = frozenset({"url", "name", "tags", "min_interval", "max_interval"})


@dataclass(frozen=True)
class ListedFeed:
    url: str
    title: str | None = None
    tags: tuple[str, ...] = ()
    min_interval: float | None = None
    max_interval: float | None = None


def parse_feed_list(body: bytes, *, source: str) -> list[ListedFeed]:
    """Every ``[[feed]]`` of a TOML feed list; any mistake names the feed and the option."""
    try:
        document = tomllib.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PermanentError(STAGE, source, f"not a TOML feed list: {error}") from None
    tables = document.get("feed")
    if not isinstance(tables, list) or not tables:
        raise PermanentError(STAGE, source, "no [[feed]] tables")
    return [_listed(table, f"feed #{n}") for n, table in enumerate(tables, 1)]


def _listed(table: Any, where: str) -> ListedFeed:
    if not isinstance(table, dict):
        raise PermanentError(STAGE, where, "not a table")
    if unknown := set(table) - _OPTIONS:
        raise PermanentError(STAGE, where, f"unknown option {sorted(unknown)}")
    url = table.get("url")
    if not isinstance(url, str) or not url.strip():
        raise PermanentError(STAGE, where, "url is missing")
    where = f"{where} ({url})"
    name = table.get("name")
    if name is not None and not isinstance(name, str):
        raise PermanentError(STAGE, where, "name must be a string")
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise PermanentError(STAGE, where, "tags must be a list of strings")
    intervals = [_seconds(table, option, where) for option in ("min_interval", "max_interval")]
    low, high = intervals
    if low is not None and high is not None and low > high:
        raise PermanentError(STAGE, where, "min_interval exceeds max_interval")
    return ListedFeed(url.strip(), name, tuple(tags), low, high)


def _seconds(table: dict[str, Any], option: str, where: str) -> float | None:
    value = table.get(option)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 10:
        raise PermanentError(STAGE, where, f"{option} must be a number of seconds, at least 10")
    return float(value)
