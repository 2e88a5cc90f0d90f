"""member_name: the names a consumer group or a consumer may be given on the command line."""

from __future__ import annotations

import argparse

import pytest

from worker.consumer_commands import member_name


@pytest.mark.parametrize("name", ["archive", "archive-1", "webhook_eu", "vm-1234", "Müller"])
def test_a_plain_name_is_taken_as_given(name: str) -> None:
    assert member_name(name) == name


@pytest.mark.parametrize("name", ["", "a b", "tab\there", "line\nbreak", "-x", "bell\x07"])
def test_an_empty_spaced_control_or_option_like_name_is_refused(name: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="without spaces or control characters"):
        member_name(name)
