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
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from jellyfish import jaro_similarity

from worker.stages.tagtext import stop_words

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_TOKEN = re.compile(r"\w+(?:[-'\u2019.]\w+)*|[^\w\s]")
_DIGIT = re.compile(r"\d")
_DEDUP_LIMIT = 0.9
_MAX_WORDS = 2


@dataclass
class _Term:
    count: int = 0
    capitalised: int = 0  # not at a sentence's start
    acronym: int = 0
    sentences: list[int] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # the word before each occurrence
    right: list[str] = field(default_factory=list)


def key_phrases(text: str, language: str, count: int) -> list[tuple[str, float]]:
    """The ``count`` best phrases of up to two words, best first, with YAKE's score."""
    stops = stop_words(language)
    terms: dict[str, _Term] = defaultdict(_Term)
    blocks: list[list[tuple[str, str]]] = []  # runs of words between punctuation: (word, key)
    sentences = [s for s in _SENTENCE_END.split(text) if s.strip()]
    for sentence_id, sentence in enumerate(sentences):
        block: list[tuple[str, str]] = []
        digits = _DIGIT.search(sentence) is not None  # most sentences have none to look for
        for position, token in enumerate(_TOKEN.findall(sentence)):
            if not token[:1].isalpha() or (digits and _DIGIT.search(token)):
                # Punctuation, a number or a code such as "A4": no word YAKE would score.
                if block:
                    blocks.append(block)
                block = []
                continue
            key = token.casefold()
            term = terms[key]
            term.count += 1
            term.sentences.append(sentence_id)
            if len(token) > 1 and token.isupper():
                term.acronym += 1
            elif token[:1].isupper() and position > 0:
                term.capitalised += 1
            if block:
                previous = block[-1][1]
                terms[previous].right.append(key)
                term.left.append(previous)
            block.append((token, key))
        if block:
            blocks.append(block)
    if not terms:
        return []
    scores = _word_scores(terms, stops, len(sentences))
    phrases: Counter[str] = Counter()
    written: dict[str, str] = {}
    parts: dict[str, tuple[str, ...]] = {}
    for block in blocks:
        for index, (word, key) in enumerate(block):
            if key not in scores:
                continue
            phrases[key] += 1
            written.setdefault(key, word)
            parts[key] = (key,)
            if index + 1 < len(block) and block[index + 1][1] in scores:
                following, following_key = block[index + 1]
                pair = f"{key} {following_key}"
                phrases[pair] += 1
                written.setdefault(pair, f"{word} {following}")
                parts[pair] = (key, following_key)
    ranked = sorted(
        (_phrase_score([scores[k] for k in parts[key]], occurrences), key)
        for key, occurrences in phrases.items()
    )
    kept: list[tuple[str, float]] = []
    for score, key in ranked:
        if all(jaro_similarity(key, other.casefold()) < _DEDUP_LIMIT for other, _ in kept):
            kept.append((written[key], score))
            if len(kept) == count:
                break
    return kept


def _word_scores(
    terms: dict[str, _Term], stops: frozenset[str], sentences: int
) -> dict[str, float]:
    """YAKE's H of each word that is no stop word (lower is better)."""
    candidates = {key: term for key, term in terms.items() if key not in stops and len(key) >= 3}
    counts = [term.count for term in candidates.values()] or [1]
    # statistics.pstdev of integers (up to the last bit), without its exact fractions: they
    # cost more than the rest of this function.
    size, total = len(counts), sum(counts)
    mean = total / size
    deviation = math.sqrt((size * sum(c * c for c in counts) - total * total) / (size * size))
    most = max(term.count for term in terms.values())
    scores = {}
    for key, term in candidates.items():
        left = len(set(term.left)) / len(term.left) if term.left else 0.0
        right = len(set(term.right)) / len(term.right) if term.right else 0.0
        relatedness = 1.0 + (left + right) * term.count / most
        frequency = term.count / (mean + deviation)
        # The sentences a word occurs in, in order: each once.
        where = list(dict.fromkeys(term.sentences))
        spread = len(where) / sentences
        casing = max(term.acronym, term.capitalised) / (1.0 + math.log(term.count))
        position = math.log(math.log(3.0 + _median(where)))
        scores[key] = (position * relatedness) / (
            casing + frequency / relatedness + spread / relatedness
        )
    return scores


def _median(ordered: list[int]) -> float:
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def _phrase_score(word_scores: list[float], occurrences: int) -> float:
    return math.prod(word_scores) / ((sum(word_scores) + 1.0) * occurrences)
