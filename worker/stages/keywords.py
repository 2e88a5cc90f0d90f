"""Key phrases: YAKE's statistics (Campos et al., 2020) on the title and the lead, computed in
plain Python. The yake package builds a networkx graph and takes numpy medians for each word,
which made keywords cost more than every other tagger together (benchmarks/tagging.py);
its stop word lists are still the ones used here.

A word scores by its casing, position, frequency, spread over sentences and how many
different words surround it (a word that goes with everything is no key); a phrase of one or
two words that neither starts nor ends with a stop word scores by its words and its own
frequency. Lower is better, as in YAKE; near-duplicates (Jaro similarity from 0.9) are dropped.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from operator import itemgetter
from typing import NamedTuple

from jellyfish import jaro_similarity

from worker.stages.tagtext import stop_words

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"\w+(?:[-'\u2019.]\w+)*|[^\w\s]")
_DIGIT = re.compile(r"\d")
_DEDUP_LIMIT = 0.9


def key_phrases(text: str, language: str, count: int) -> list[tuple[str, float]]:
    """The ``count`` best phrases of up to two words, best first, with YAKE's score."""
    words = _words(text)
    if not words.keys:
        return []
    scores = _word_scores(words, stop_words(language))
    keys, written = words.keys, words.written
    phrases = Counter(key for key in keys if key in scores)
    # Each phrase as first written: reading backwards, the first occurrence is set last.
    as_written = dict(zip(reversed(keys), reversed(written), strict=True))
    ranked = [
        (score / ((score + 1.0) * phrases[key]), key)
        for key, score in scores.items()
        if key in phrases
    ]
    pairs: dict[tuple[str, str], int] = {}  # not a Counter: its += calls a method when new
    for index in words.pairs:
        pair = keys[index], keys[index + 1]
        if pair[0] in scores and pair[1] in scores:
            if pair in pairs:
                pairs[pair] += 1
            else:
                pairs[pair] = 1
                as_written[" ".join(pair)] = f"{written[index]} {written[index + 1]}"
    for (first, second), occurrences in pairs.items():
        product, total = scores[first] * scores[second], scores[first] + scores[second]
        ranked.append((product / ((total + 1.0) * occurrences), f"{first} {second}"))
    ranked.sort()
    kept: list[tuple[str, float]] = []
    for score, key in ranked:
        if all(jaro_similarity(key, other.casefold()) < _DEDUP_LIMIT for other, _ in kept):
            kept.append((as_written[key], score))
            if len(kept) == count:
                break
    return kept


class _Words(NamedTuple):
    """The words of a text YAKE would score, in order, with what it counts of them."""

    keys: list[str]  # lower case
    written: list[str]
    sentence: list[int]  # the sentence of each
    sentences: int
    pairs: list[int]  # i: words i and i + 1 are neighbours
    acronyms: dict[str, int]  # word -> how often
    capitalised: dict[str, int]  # not at a sentence's start


def _words(text: str) -> _Words:
    keys: list[str] = []
    written: list[str] = []
    where: list[int] = []
    pairs: list[int] = []
    acronyms: dict[str, int] = {}
    capitalised: dict[str, int] = {}
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    for sentence_id, sentence in enumerate(sentences):
        digits = _DIGIT.search(sentence) is not None  # most sentences have none to look for
        follows = False  # the token before was a word: punctuation parts neighbours
        for position, token in enumerate(_TOKEN.findall(sentence)):
            if not token[0].isalpha() or (digits and _DIGIT.search(token)):
                # Punctuation, a number or a code such as "A4": no word YAKE would score.
                follows = False
                continue
            key = token.casefold()
            if follows:
                pairs.append(len(keys) - 1)
            keys.append(key)
            written.append(token)
            where.append(sentence_id)
            if len(token) > 1 and token.isupper():
                acronyms[key] = acronyms.get(key, 0) + 1
            elif position > 0 and token[0].isupper():
                capitalised[key] = capitalised.get(key, 0) + 1
            follows = True
    return _Words(keys, written, where, len(sentences), pairs, acronyms, capitalised)


def _word_scores(words: _Words, stops: frozenset[str]) -> dict[str, float]:
    """YAKE's H of each word that is no stop word (lower is better)."""
    counts = Counter(words.keys)
    candidates = [key for key in counts if key not in stops and len(key) >= 3]
    sample = [counts[key] for key in candidates] or [1]
    # statistics.pstdev of integers (up to the last bit), without its exact fractions: they
    # cost more than the rest of this function.
    size, total = len(sample), sum(sample)
    mean = total / size
    deviation = math.sqrt((size * sum(c * c for c in sample) - total * total) / (size * size))
    most = max(counts.values())
    # Neighbours: how many times a word has one on its left (right), and how many different.
    neighbours = [(words.keys[i], words.keys[i + 1]) for i in words.pairs]
    lefts, rights = Counter(map(itemgetter(1), neighbours)), Counter(map(itemgetter(0), neighbours))
    different = set(neighbours)
    different_lefts = Counter(map(itemgetter(1), different))
    different_rights = Counter(map(itemgetter(0), different))
    # The sentences each word occurs in, in order, each once.
    where: dict[str, list[int]] = {}
    for key, sentence in dict.fromkeys(zip(words.keys, words.sentence, strict=True)):
        where.setdefault(key, []).append(sentence)
    scores = {}
    # .get, not a Counter's [] that calls a method for each word it lacks: most words.
    for key in candidates:
        count = counts[key]
        left_count, right_count = lefts.get(key, 0), rights.get(key, 0)
        left = different_lefts[key] / left_count if left_count else 0.0
        right = different_rights[key] / right_count if right_count else 0.0
        relatedness = 1.0 + (left + right) * count / most
        frequency = count / (mean + deviation)
        spread = len(where[key]) / words.sentences
        emphasis = max(words.acronyms.get(key, 0), words.capitalised.get(key, 0))
        casing = emphasis / (1.0 + math.log(count))
        position = math.log(math.log(3.0 + _median(where[key])))
        scores[key] = (position * relatedness) / (
            casing + frequency / relatedness + spread / relatedness
        )
    return scores


def _median(ordered: list[int]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2
