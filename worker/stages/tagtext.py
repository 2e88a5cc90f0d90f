"""The article as the taggers read it: its sections, its words, and each language's stop words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Any

TAG_LANGUAGES = ("en", "de", "fr", "es")

_WORD = re.compile(r"\w+")
_WORD_IN_GAPS = re.compile(r"(\w+)")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class ArticleText:
    """Title, lead paragraph and the rest of the body, in the article's language."""

    title: str
    lead: str
    body: str
    language: str

    @classmethod
    def of(cls, title: str | None, text: str, language: str | None) -> ArticleText:
        paragraphs = [part.strip() for part in _PARAGRAPH_BREAK.split(text) if part.strip()]
        return cls(
            title=title or "",
            lead=paragraphs[0] if paragraphs else "",
            body="\n\n".join(paragraphs[1:]),
            language=language if language in TAG_LANGUAGES else "en",
        )

    def sections(self) -> tuple[tuple[str, str], ...]:
        return (("title", self.title), ("lead", self.lead), ("body", self.body))

    def pieces(self, section: str) -> list[str]:
        """:func:`words_and_gaps` of the section ("title", "lead" or "body"), cut once for all
        the taggers; not to be changed."""
        return self._pieces[section]

    @cached_property
    def _pieces(self) -> dict[str, list[str]]:
        return {section: words_and_gaps(part) for section, part in self.sections()}

    @property
    def full(self) -> str:
        return "\n\n".join(part for _, part in self.sections() if part)


def any_of(phrases: Iterable[str]) -> str:
    """A regular expression for any of ``phrases``, the longest that matches first, shaped as
    a trie: the engine then reads each character once where an alternation of a hundred
    phrases tries each in turn at every word (benchmarks/tagging.py)."""
    return _trie_pattern(_trie(phrases))


def any_word_of(phrases: Iterable[str]) -> str:
    """A regular expression for any of ``phrases`` as whole words (no word character right
    before or after), the longest that matches first. The check before a phrase comes after
    its first character: a pattern that starts with a literal lets the engine jump to the
    places where a first character occurs, where a leading look-behind makes it stop at
    every character (the known names of config/tags.toml: 17 µs an article instead of 59)."""
    trie = _trie(phrases)
    branches = [
        rf"{re.escape(char)}(?<!\w{re.escape(char)}){_trie_pattern(trie[char])}"
        for char in sorted(trie)
        if char
    ]
    return rf"(?:{'|'.join(branches)})(?!\w)" if branches else "(?!)"


def _trie(phrases: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each phrase as a path of characters; "" marks where one ends."""
    trie: dict[str, dict[str, Any]] = {}
    for phrase in phrases:
        node = trie
        for char in phrase:
            node = node.setdefault(char, {})
        node[""] = {}
    return trie


def _trie_pattern(node: dict[str, dict[str, Any]]) -> str:
    branches = [re.escape(char) + _trie_pattern(node[char]) for char in sorted(node) if char]
    if "" not in node:
        return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return "(?:" + "|".join(branches) + ")?" if branches else ""


def words_and_gaps(text: str) -> list[str]:
    """``text`` cut into gaps and words in turn: ``[gap, word, gap, ..., word, gap]``, word i
    at 2i + 1 and the gap before it at 2i (either gap may be empty). One split gives the words,
    what separates them and so every stretch of text, without a match object per word."""
    return _WORD_IN_GAPS.split(text)


def folded(words: list[str]) -> list[str]:
    """The words without accents, as :func:`fold` makes them."""
    return [word if word.isascii() else fold(word) for word in words]


def name_key(name: str) -> str:
    """A name as a sequence of words without accents: "U.S." is "U S", "Korea-Russia" is
    "Korea Russia", "Córdoba" is "Cordoba" (data sets spell names with and without)."""
    return " ".join(fold(word) for word in _WORD.findall(name))


@lru_cache(maxsize=65_536)  # the same accented words recur from article to article
def fold(word: str) -> str:
    """The word without accents (case kept)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def is_capitalised(word: str) -> bool:
    return word[:1].isupper()


@cache
def stop_words(language: str) -> frozenset[str]:
    """YAKE's stop word list for the language (lower case)."""
    name = f"stopwords_{language if language in TAG_LANGUAGES else 'en'}.txt"
    text = resources.files("yake").joinpath("core", "StopwordsList", name).read_text("utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())
