"""robots.txt policy (RFC 9309): answers become policies, rules and Crawl-delay per agent."""

from __future__ import annotations

import pytest

from worker.stages.robots import RobotsPolicy, agent_token, policy_from_answer
from worker.stages.schedule import deferral_delay

RULES = b"""User-agent: wirestream
Disallow: /private/
Crawl-delay: 3

User-agent: *
Disallow: /
"""


def test_rules_apply_to_the_named_agent() -> None:
    policy = policy_from_answer(200, RULES)

    assert policy.allows("https://news.example/story", "wirestream")
    assert not policy.allows("https://news.example/private/x", "wirestream")
    assert not policy.allows("https://news.example/story", "otherbot")
    assert policy.crawl_delay("wirestream") == 3.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410])
def test_4xx_allows_everything(status: int) -> None:
    policy = policy_from_answer(status, b"User-agent: *\nDisallow: /\n")

    assert policy.allows("https://news.example/private/x", "wirestream")
    assert policy.crawl_delay("wirestream") is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_disallows_everything(status: int) -> None:
    assert not policy_from_answer(status, b"").allows("https://news.example/", "wirestream")


def test_rules_beyond_500_kib_are_ignored() -> None:
    body = b"User-agent: *\n" + b"#" * 600_000 + b"\nDisallow: /\n"

    assert policy_from_answer(200, body).allows("https://news.example/", "wirestream")


def test_policy_survives_its_json_form() -> None:
    policy = policy_from_answer(200, RULES)

    assert RobotsPolicy.from_json(policy.to_json()) == policy


def test_unknown_verdict_in_json_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown robots verdict"):
        RobotsPolicy.from_json('{"verdict": "maybe"}')


def test_agent_token_is_the_product_name() -> None:
    assert agent_token("wirestream/0.1 (+https://github.com/wirestream/wirestream)") == (
        "wirestream"
    )
    assert agent_token("plainbot") == "plainbot"


def test_a_deferral_waits_for_its_turn() -> None:
    assert deferral_delay(2.0, cap=300) == 2.0


def test_deferral_is_capped() -> None:
    assert deferral_delay(1000.0, cap=300) == 300
