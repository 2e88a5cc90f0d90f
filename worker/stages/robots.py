"""robots.txt (RFC 9309): what a host's answer means, and what its rules allow.

A host's answer becomes a :class:`RobotsPolicy`, which is what the politeness adapter caches:

- 2xx: the rules in the body (its first 500 KiB, as the RFC allows), parsed by protego;
- 4xx ("unavailable"): no rules, everything is allowed;
- 5xx or no answer at all ("unreachable"): everything is disallowed until the cache entry
  expires and the file is asked for again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from protego import Protego

ROBOTS_MAX_BYTES = 500 * 1024

Verdict = Literal["rules", "allow_all", "disallow_all"]


@dataclass(frozen=True)
class RobotsPolicy:
    verdict: Verdict
    rules: str = ""

    def to_json(self) -> str:
        return json.dumps({"verdict": self.verdict, "rules": self.rules})

    @classmethod
    def from_json(cls, text: str) -> RobotsPolicy:
        document = json.loads(text)
        verdict = document.get("verdict")
        if verdict not in ("rules", "allow_all", "disallow_all"):
            raise ValueError(f"unknown robots verdict {verdict!r}")
        return cls(verdict, str(document.get("rules", "")))

    def allows(self, url: str, agent: str) -> bool:
        if self.verdict != "rules":
            return self.verdict == "allow_all"
        return bool(_parsed(self.rules).can_fetch(url, agent))

    def crawl_delay(self, agent: str) -> float | None:
        """The host's Crawl-delay for ``agent`` in seconds, if it states a usable one."""
        if self.verdict != "rules":
            return None
        delay = _parsed(self.rules).crawl_delay(agent)
        return float(delay) if delay is not None and delay > 0 else None


def policy_from_answer(status: int, body: bytes) -> RobotsPolicy:
    """The policy a successful or 4xx answer to ``/robots.txt`` sets."""
    if 200 <= status < 300:
        text = body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").lstrip("\ufeff")
        return RobotsPolicy("rules", text)
    if 400 <= status < 500:
        return RobotsPolicy("allow_all")
    return RobotsPolicy("disallow_all")


UNREACHABLE = RobotsPolicy("disallow_all")


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups are matched against: ``wirestream/0.1 (...)``
    -> ``wirestream``."""
    return user_agent.split("/", 1)[0].split(" ", 1)[0] or user_agent


@lru_cache(maxsize=256)
def _parsed(rules: str) -> Protego:
    return Protego.parse(rules)
