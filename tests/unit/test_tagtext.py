"""The article text helpers the taggers share."""

from __future__ import annotations

import re

from worker.stages.tagtext import any_of


def test_any_of_matches_the_longest_phrase_and_escapes_special_characters() -> None:
    pattern = re.compile(any_of(["Minister", "Vice Minister", "Gen.", "General", "a+b"]))
    text = "Vice Minister Kim, General Lee, Gen. Park, Genx and a+b but not aab"
    assert pattern.findall(text) == ["Vice Minister", "General", "Gen.", "a+b"]


def test_any_of_a_single_phrase_is_that_phrase() -> None:
    assert re.fullmatch(any_of(["Kim Jong Un"]), "Kim Jong Un")
    assert not re.search(any_of(["Kim Jong Un"]), "Kim Jong-un")
