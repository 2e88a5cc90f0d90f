"""Fixtures of the multi-host suite: a test network of namespaces, removed at the end even
when the test fails, after the leftovers of earlier runs that were killed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from netns import Network, remove_leftovers, why_unavailable


@pytest.fixture
def network() -> Iterator[Network]:
    reason = why_unavailable()
    if reason is not None:
        pytest.skip(reason)
    remove_leftovers()
    net = Network()
    try:
        yield net
    finally:
        net.remove()
