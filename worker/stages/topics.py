"""Topics: the IPTC Media Topics top level by weighted multilingual keywords (``[topics]`` of
config/tags.toml), plus the categories the feed or the page declares.

A keyword matches a word or its inflections, without regard to case ("sanction" finds
"Sanctions"); each occurrence adds its weight, twice in the title. A topic is assigned from
``min_score`` on, and only when it scores at least ``min_share`` of the best topic's score:
the main subjects, not every word's. A declared category that
names a topic's keyword or label adds ``min_score``: the outlet's own word counts as much as
the text's evidence.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from worker.models import TopicTag
from worker.stages.tagtext import ArticleText

KEYWORDS = "topics:keywords"
DECLARED = "topics:keywords+categories"


@dataclass(frozen=True)
class Topic:
    code: str
    iptc: str
    label: str
    pattern: re.Pattern[str]
    weights: Mapping[str, float]  # lower-case keyword -> weight


class TopicClassifier:
    def __init__(self, topics: tuple[Topic, ...], min_score: float, min_share: float) -> None:
        self._topics = topics
        self._min_score = min_score
        self._min_share = min_share

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> TopicClassifier:
        topics = []
        for code, spec in table.items():
            if not isinstance(spec, dict):
                continue
            weights = {
                str(word).casefold(): float(weight) for word, weight in spec["keywords"].items()
            }
            ordered = sorted(weights, key=len, reverse=True)
            pattern = re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(word) for word in ordered) + ")", re.IGNORECASE
            )
            topics.append(
                Topic(code, str(spec["iptc"]), str(spec.get("label", code)), pattern, weights)
            )
        return cls(
            tuple(topics),
            float(table.get("min_score", 4.0)),
            float(table.get("min_share", 0.0)),
        )

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(topic.code for topic in self._topics)

    def classify(self, text: ArticleText, categories: tuple[str, ...]) -> tuple[TopicTag, ...]:
        declared = [category.casefold() for category in categories]
        tags = []
        for topic in self._topics:
            score = 2 * self._score(topic, text.title) + self._score(
                topic, f"{text.lead}\n{text.body}"
            )
            by = KEYWORDS
            if any(_declares(topic, category) for category in declared):
                score += self._min_score
                by = DECLARED
            if score >= self._min_score:
                tags.append(TopicTag(topic.code, topic.iptc, round(score, 2), by))
        tags.sort(key=lambda tag: (-tag.score, tag.code))
        best = tags[0].score if tags else 0.0
        return tuple(tag for tag in tags if tag.score >= self._min_share * best)

    @staticmethod
    def _score(topic: Topic, text: str) -> float:
        return sum(
            topic.weights[match.group().casefold()] for match in topic.pattern.finditer(text)
        )


def _inflected(keyword: str) -> str:
    """A keyword and its inflections: a few more letters after a long keyword ("sanction",
    "sanctions", "sanctioned"), only a plural or a German ending after a short one ("war",
    "wars", not "warned" or "warm")."""
    suffix = r"\w{0,4}" if len(keyword) >= 5 else "(?:s|e|es|en|n)?"
    return re.escape(keyword) + suffix


def _keyword(topic: Topic, matched: str) -> str:
    """The keyword an inflected match stands for: the longest that starts it."""
    folded = matched.casefold()
    return max((word for word in topic.weights if folded.startswith(word)), key=len)


def _declares(topic: Topic, category: str) -> bool:
    if category in (topic.code, topic.label.casefold()):
        return True
    return any(category.startswith(keyword) for keyword in topic.weights)
