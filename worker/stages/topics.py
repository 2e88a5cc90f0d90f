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
from worker.stages.tagtext import ArticleText, stop_words

KEYWORDS = "topics:keywords"
DECLARED = "topics:keywords+categories"


@dataclass(frozen=True)
class Topic:
    code: str
    iptc: str
    label: str
    weights: Mapping[str, float]  # lower-case keyword -> weight


class TopicClassifier:
    def __init__(self, topics: tuple[Topic, ...], min_score: float, min_share: float) -> None:
        self._topics = topics
        self._min_score = min_score
        self._min_share = min_share
        # One pass over the text for every topic: each keyword to the topics it counts for.
        self._counts_for: dict[str, list[tuple[int, float]]] = {}
        for index, topic in enumerate(topics):
            for word, weight in topic.weights.items():
                self._counts_for.setdefault(word, []).append((index, weight))
        ordered = sorted(self._counts_for, key=len, reverse=True)
        self._pattern = re.compile(
            r"(?<!\w)(?:" + "|".join(_inflected(word) for word in ordered) + r")(?!\w)",
            re.IGNORECASE,
        )

    @classmethod
    def from_config(cls, table: Mapping[str, Any]) -> TopicClassifier:
        topics = []
        for code, spec in table.items():
            if not isinstance(spec, dict):
                continue
            weights = {
                str(word).casefold(): float(weight) for word, weight in spec["keywords"].items()
            }
            topics.append(Topic(code, str(spec["iptc"]), str(spec.get("label", code)), weights))
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
        # A keyword of one language that is a stop word of the article's is no evidence:
        # German "war" is "was".
        stops = stop_words(text.language)
        scores = [0.0] * len(self._topics)
        self._add(scores, text.title, 2.0, stops)
        self._add(scores, f"{text.lead}\n{text.body}", 1.0, stops)
        tags = []
        for topic, score in zip(self._topics, scores, strict=True):
            by = KEYWORDS
            if any(_declares(topic, category) for category in declared):
                score += self._min_score
                by = DECLARED
            if score >= self._min_score:
                tags.append(TopicTag(topic.code, topic.iptc, round(score, 2), by))
        tags.sort(key=lambda tag: (-tag.score, tag.code))
        best = tags[0].score if tags else 0.0
        return tuple(tag for tag in tags if tag.score >= self._min_share * best)

    def _add(self, scores: list[float], text: str, factor: float, stops: frozenset[str]) -> None:
        for match in self._pattern.finditer(text):
            folded = match.group().casefold()
            if folded in stops:
                continue
            for index, weight in self._counts_for[self._keyword(folded)]:
                scores[index] += factor * weight

    def _keyword(self, folded: str) -> str:
        """The keyword an inflected match stands for: the longest that starts it."""
        for end in range(len(folded), 0, -1):
            if folded[:end] in self._counts_for:
                return folded[:end]
        raise KeyError(folded)


def _inflected(keyword: str) -> str:
    """A keyword and its inflections: a few more letters after a long keyword ("sanction",
    "sanctions", "sanctioned"), only a plural or a German ending after a short one ("war",
    "wars", not "warned" or "warm")."""
    suffix = r"\w{0,4}" if len(keyword) >= 5 else "(?:s|e|es|en|n)?"
    return re.escape(keyword) + suffix


def _declares(topic: Topic, category: str) -> bool:
    if category in (topic.code, topic.label.casefold()):
        return True
    return any(category.startswith(keyword) for keyword in topic.weights)
