"""Key phrases by YAKE's statistics."""

from __future__ import annotations

from worker.stages.keywords import key_phrases

TEXT = (
    "Heavy snowfall cuts roads in Gilgit-Baltistan\n\n"
    "Heavy snowfall closed the Karakoram Highway on Monday, and officials said heavy snowfall "
    "would go on. The Karakoram Highway links the region to China."
)


def test_key_phrases_rank_repeated_capitalised_phrases_first_and_skip_stop_words() -> None:
    found = key_phrases(TEXT, "en", 5)
    phrases = [phrase for phrase, _ in found]
    assert len(found) == 5
    assert phrases[0] in ("Heavy snowfall", "Karakoram Highway")
    assert {"Heavy snowfall", "Karakoram Highway"} <= set(phrases)
    scores = [score for _, score in found]
    assert scores == sorted(scores)
    assert not any(word in ("the", "and", "on", "to") for p in phrases for word in p.split())


def test_key_phrases_drop_near_duplicates_and_handle_empty_text() -> None:
    phrases = [phrase.casefold() for phrase, _ in key_phrases(TEXT, "en", 10)]
    assert len(phrases) == len(set(phrases))
    assert key_phrases("", "en", 5) == []
    assert key_phrases("2026, 42.", "de", 5) == []


def test_key_phrases_scores_stay_those_of_the_reference_implementation() -> None:
    # Computed by the first implementation (statistics.pstdev and statistics.median): a
    # faster one must rank and score alike.
    assert [(phrase, round(score, 6)) for phrase, score in key_phrases(TEXT, "en", 5)] == [
        ("Karakoram Highway", 0.03828),
        ("Heavy snowfall", 0.055294),
        ("cuts roads", 0.066309),
        ("Gilgit-Baltistan", 0.07311),
        ("snowfall cuts", 0.103829),
    ]
