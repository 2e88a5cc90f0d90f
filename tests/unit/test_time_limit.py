"""A task stopped by its soft time limit is retried, however the limit surfaced: billiard
raises it from a signal handler wherever the task is, and a library that turns every
exception into its own hides it (issue 19: spaCy's first import, reading YAML through
srsly, dead-lettered an article at its first attempt)."""

from __future__ import annotations

import pytest
from celery.exceptions import SoftTimeLimitExceeded

from worker.errors import PermanentError
from worker.tasks import stopped_by_time_limit


class StoppedRead:
    """A file whose read is interrupted by the soft time limit's signal handler."""

    def read(self, *_: object) -> str:
        raise SoftTimeLimitExceeded()


def test_the_limit_hidden_by_srsly_is_found() -> None:
    srsly = pytest.importorskip("srsly")
    with pytest.raises(ValueError, match="Invalid YAML: SoftTimeLimitExceeded") as raised:
        srsly.yaml_loads(StoppedRead())
    assert stopped_by_time_limit(raised.value)


def test_the_limit_itself_and_an_error_raised_from_it_are_found() -> None:
    assert stopped_by_time_limit(SoftTimeLimitExceeded())
    try:
        try:
            raise SoftTimeLimitExceeded()
        except SoftTimeLimitExceeded as limit:
            raise PermanentError("extract", "https://example.com/", "unreadable") from limit
    except PermanentError as error:
        assert stopped_by_time_limit(error)


def test_other_errors_are_not_taken_for_the_limit() -> None:
    assert not stopped_by_time_limit(ValueError("Invalid YAML: a tab"))
    try:
        try:
            raise KeyError("title")
        except KeyError:
            raise ValueError("no title") from None
    except ValueError as error:
        assert not stopped_by_time_limit(error)
