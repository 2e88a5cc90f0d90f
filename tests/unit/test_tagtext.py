"""The article text helpers the taggers share."""

from __future__ import annotations

import re

from worker.stages.tagtext import any_of, any_word_of, words_and_gaps


def test_any_of_matches_the_longest_phrase_and_escapes_special_characters() -> None:
    pattern = re.compile(any_of(["Minister", "Vice Minister", "Gen.", "General", "a+b"]))
    text = "Vice Minister Kim, General Lee, Gen. Park, Genx and a+b but not aab"
    assert pattern.findall(text) == ["Vice Minister", "General", "Gen.", "a+b"]


def test_any_of_a_single_phrase_is_that_phrase() -> None:
    assert re.fullmatch(any_of(["Kim Jong Un"]), "Kim Jong Un")
    assert not re.search(any_of(["Kim Jong Un"]), "Kim Jong-un")


def test_any_word_of_matches_whole_words_only_the_longest_first() -> None:
    pattern = re.compile(any_word_of(["Kim", "Kim Jong Un", "UN", "U.S."]))
    text = "Kim Jong Un, Kimchi, UNESCO, the UN and U.S. envoys; SKim, Kim_2, (Kim)"
    assert pattern.findall(text) == ["Kim Jong Un", "UN", "U.S.", "Kim"]


def test_any_word_of_checks_the_word_before_as_a_leading_look_behind_would() -> None:
    phrases = ["Bank", "Bank of Korea", "Council", "é"]
    leading = re.compile(rf"(?<!\w){any_of(phrases)}(?!\w)")
    text = "Bank of Korea, xBank, \nBank, _Council, -Council, Counciled, é, café, Bank of Koreas"
    assert re.findall(any_word_of(phrases), text) == leading.findall(text)
    assert [m.span() for m in re.finditer(any_word_of(phrases), text)] == [
        m.span() for m in leading.finditer(text)
    ]


def test_any_word_of_nothing_matches_nothing() -> None:
    assert re.search(any_word_of([]), "anything") is None


def test_words_and_gaps_alternate_and_make_up_the_text() -> None:
    text = "  Korea-Russia relations, Séoul 2026!"
    pieces = words_and_gaps(text)
    assert pieces[1::2] == ["Korea", "Russia", "relations", "Séoul", "2026"]
    assert pieces[::2] == ["  ", "-", " ", ", ", " ", "!"]
    assert "".join(pieces) == text
    assert words_and_gaps("") == [""]
