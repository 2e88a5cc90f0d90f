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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from worker.models import TopicTag
from worker.stages.tagtext import ArticleText, stop_words, words_and_gaps

KEYWORDS = "topics:keywords"
DECLARED = "topics:keywords+categories"

_LONG_SUFFIX = 4
_START = 3
_SHORT_SUFFIXES = frozenset({"", "s", "e", "es", "en", "n"})
_REMEMBERED_WORDS = 200_000  # a language's vocabulary of news, a few tens of megabytes
# What a word may start: the keyword it inflects (or None), and (keyword, its other words)
# of the phrases it is the first word of.
_Clue = tuple[str | None, Sequence[tuple[str, str]]]


@dataclass(frozen=True)
class Topic:
    code: str
    iptc: str
    label: str
    weights: Mapping[str, float]  # lower-case keyword -> weight

    @cached_property
    def keywords(self) -> tuple[str, ...]:
        return tuple(self.weights)


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
        # Matching is by word look-ups, not one alternation of every keyword: a regular
        # expression tries each alternative at each word (benchmarks/tagging.py).
        self._single = frozenset(key for key in self._counts_for if " " not in key)
        # Most words start no keyword: one look-up of their first letters says so.
        self._starts = frozenset(key[:_START] for key in self._counts_for)
        self._phrases: dict[str, list[tuple[str, str]]] = {}  # first word -> (keyword, rest)
        for keyword in sorted(self._counts_for, key=len, reverse=True):
            if " " in keyword:
                first, rest = keyword.split(" ", 1)
                self._phrases.setdefault(first, []).append((keyword, rest))
        self._clues: dict[str, _Clue | None] = {}

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
        self._add(scores, text.title, text.pieces("title"), 2.0, stops)
        lead, body = text.pieces("lead"), text.pieces("body")
        # The words of the lead and the body as one text, the lead's last gap and the body's
        # first one joined by a line break.
        self._add(
            scores,
            f"{text.lead}\n{text.body}",
            [*lead[:-1], f"{lead[-1]}\n{body[0]}", *body[1:]],
            1.0,
            stops,
        )
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

    def _add(
        self,
        scores: list[float],
        text: str,
        pieces: list[str],
        factor: float,
        stops: frozenset[str],
    ) -> None:
        for folded in self._matches(text, pieces):
            if folded in stops:
                continue
            for index, weight in self._counts_for[self._keyword(folded)]:
                scores[index] += factor * weight

    def _matches(self, text: str, pieces: list[str]) -> Iterable[str]:
        """Each keyword occurrence (lower case, as written): whole words, longest keyword
        first, a phrase's words one space apart. ``pieces`` are the text's words and gaps
        (tagtext.words_and_gaps): each word lower-cased alone is a word of the lower-cased
        text, but for "İ", the one character that lower-cases to two."""
        if "\u0130" in text:
            pieces = words_and_gaps(text.lower())
        clues, end = self._clues, len(pieces)  # read once: this loop visits every word
        index = 1  # the first word; the gap after it is at index + 1
        while index < end:
            word = pieces[index]
            try:
                clue = clues[word]
            except KeyError:
                clue = self._clue(word)
            if clue is None:
                index += 2
                continue
            match, phrases = clue
            word = word.lower()
            size = 1
            if phrases and pieces[index + 1] == " " and index + 2 < end:
                following = pieces[index + 2].lower()
                for keyword, rest in phrases:
                    if len(match or "") < len(keyword) and _inflects(rest, following, keyword):
                        match, size = f"{word} {following}", 2
                        break
            if match is not None:
                yield (word if size == 1 else match).casefold()
            index += 2 * size

    def _clue(self, word: str) -> _Clue | None:
        """What ``word`` may start: the single keyword it inflects, the phrases whose first
        word it is; None for most words. Remembered: the same words recur in every article,
        and a look-up costs less than the inflection rules."""
        clue = None
        written, word = word, word.lower()
        if word[:_START] in self._starts:
            match = self._inflection_of(word, self._single)
            phrases = self._phrases.get(word, ())
            if match is not None or phrases:
                clue = (match, phrases)
        if len(self._clues) >= _REMEMBERED_WORDS:
            self._clues.clear()
        self._clues[written] = clue
        return clue

    @staticmethod
    def _inflection_of(word: str, keywords: frozenset[str]) -> str | None:
        """The longest keyword that ``word`` inflects."""
        for end in range(len(word), max(len(word) - _LONG_SUFFIX, 1) - 1, -1):
            if word[:end] in keywords and _inflects(word[:end], word, word[:end]):
                return word[:end]
        return None

    def _keyword(self, folded: str) -> str:
        """The keyword an inflected match stands for: the longest that starts it."""
        for end in range(len(folded), 0, -1):
            if folded[:end] in self._counts_for:
                return folded[:end]
        raise KeyError(folded)


def _inflects(stem: str, word: str, keyword: str) -> bool:
    """``word`` is ``stem`` or one of its inflections: a few more letters after a long keyword
    ("sanction", "sanctions", "sanctioned"), only a plural or a German ending after a short
    one ("war", "wars", not "warned" or "warm")."""
    if not word.startswith(stem):
        return False
    suffix = word[len(stem) :]
    return len(suffix) <= _LONG_SUFFIX if len(keyword) >= 5 else suffix in _SHORT_SUFFIXES


def _declares(topic: Topic, category: str) -> bool:
    if category in (topic.code, topic.label.casefold()):
        return True
    return category.startswith(topic.keywords)
