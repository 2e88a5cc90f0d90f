"""The truncated and paywalled flags."""

from __future__ import annotations

from worker.stages.quality import is_paywalled, is_truncated

STORY = [
    "The port authority's board will decide in March whether to spend up to four hundred "
    "million pounds on a second container terminal on the north bank of the estuary.",
    "Shipping lines have warned that vessels already wait up to two days for a berth.",
]


def test_a_body_far_shorter_than_the_declared_word_count_is_truncated() -> None:
    assert is_truncated(STORY, declared_words=850, description=None)
    assert not is_truncated(STORY, declared_words=45, description=None)


def test_a_read_more_ending_or_an_ellipsis_is_truncated() -> None:
    assert is_truncated([*STORY, "Read more"], declared_words=None, description=None)
    assert is_truncated([*STORY, "Continue reading"], declared_words=None, description=None)
    assert is_truncated(
        [STORY[0], "The board said it would …"], declared_words=None, description=None
    )
    assert not is_truncated(STORY, declared_words=None, description=None)


def test_a_body_shorter_than_the_page_description_is_truncated() -> None:
    description = " ".join(["word"] * 60)
    assert is_truncated(STORY[:1], declared_words=None, description=description)
    assert not is_truncated(STORY, declared_words=None, description="A short summary.")


def test_not_free_in_json_ld_or_a_locked_tier_is_paywalled() -> None:
    assert is_paywalled(STORY, accessible_for_free=["False"], content_tiers=[])
    assert is_paywalled(STORY, accessible_for_free=["false"], content_tiers=[])
    assert is_paywalled(STORY, accessible_for_free=[], content_tiers=["locked"])
    assert not is_paywalled(STORY, accessible_for_free=["True"], content_tiers=["free"])


def test_a_subscribe_prompt_at_the_end_is_paywalled() -> None:
    prompt = "Subscribe to continue reading. Already a subscriber? Sign in."
    assert is_paywalled([*STORY, prompt], accessible_for_free=[], content_tiers=[])
    assert not is_paywalled(STORY, accessible_for_free=[], content_tiers=[])
