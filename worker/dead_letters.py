"""Dead letters by hand: what each one looks like as a JSON line, and how it is retried.

A dead letter's ``task`` and ``input`` say how to try again:

- ``process_entry``: the input is the task's payload, sent again as it was;
- ``poll_feed`` (a feed that failed, or an entry its poll could not use): the feed is polled
  again, which also reconsiders its rejected entries (they were never marked seen).

A letter whose input cannot be sent again (a malformed task message) stays where it is.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from worker.errors import WirestreamError
from worker.models import FeedEntry


@dataclass(frozen=True)
class Retry:
    task: str  # process_entry or poll_feed
    argument: Any  # the payload dict, or the feed id


def describe(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    """A dead letter as one JSON object: its id, its fields, ``input`` decoded."""
    described: dict[str, Any] = {"id": entry_id, **fields}
    with contextlib.suppress(ValueError):  # else shown as stored
        described["input"] = json.loads(fields.get("input", "null"))
    if fields.get("attempts", "").isdigit():
        described["attempts"] = int(fields["attempts"])
    return described


def retry_for(entry_id: str, fields: dict[str, str]) -> Retry:
    """How to retry one dead letter; :class:`WirestreamError` says why it cannot be."""

    def refuse(reason: str) -> WirestreamError:
        return WirestreamError(f"dead retry: {entry_id} cannot be retried: {reason}")

    try:
        payload = json.loads(fields.get("input", ""))
    except ValueError:
        raise refuse("its input is not JSON") from None
    if not isinstance(payload, dict):
        raise refuse("its input is not an object")
    task = fields.get("task")
    if task == "process_entry":
        try:
            FeedEntry.from_payload(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise refuse(f"its input is no feed entry ({error!r})") from None
        return Retry("process_entry", payload)
    if task == "poll_feed":
        feed_id = payload.get("feed_id")
        if not isinstance(feed_id, str) or not feed_id:
            raise refuse("its input names no feed")
        return Retry("poll_feed", feed_id)
    raise refuse(f"unknown task {task!r}")
