"""extract_page's body on a page whose story carries the furniture news sites put in it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.models import ExtractedPage
from worker.stages.extract import extract_page

PAGE = Path(__file__).resolve().parents[1] / "fixtures" / "pages" / "furniture-in-body.html"


@pytest.fixture(scope="module")
def page() -> ExtractedPage:
    return extract_page(
        PAGE.read_bytes(),
        now=datetime(2026, 11, 30, tzinfo=UTC),
        url="https://harbourgazette.example/local/new-harbour-bridge",
        content_type="text/html; charset=utf-8",
    )


def test_the_story_paragraphs_are_all_there_without_the_headline(page: ExtractedPage) -> None:
    paragraphs = page.text.split("\n\n")
    assert len(paragraphs) == 4
    assert paragraphs[0].startswith("The city council voted on Tuesday")
    assert paragraphs[3].startswith("Opponents say the money")


def test_a_linked_headline_between_paragraphs_is_not_story(page: ExtractedPage) -> None:
    assert "FERRY OPERATORS" not in page.text


def test_a_link_inside_a_sentence_keeps_its_words_in_place(page: ExtractedPage) -> None:
    assert "have asked for a public hearing before any building permit" in page.text


def test_cards_for_other_stories_and_the_newsletter_promotion_go(page: ExtractedPage) -> None:
    for furniture in ("Harbour pilots strike", "Talks resume", "lighthouse", "Sign up"):
        assert furniture not in page.text


def test_code_in_the_story_keeps_its_lines_and_spacing() -> None:
    code = "def align(rows):\n    width  =  max(len(r) for r in rows)\n    return width"
    sentence = "The council's data team published the script it uses to align the timetable."
    html = (
        f"<html><body><article><h1>Align</h1><p>{sentence}</p>"
        f"<pre><code>{code}</code></pre><p>{sentence}</p><p>{sentence}</p></article></body></html>"
    )
    page = extract_page(
        html.encode(), now=datetime(2026, 11, 30, tzinfo=UTC), url="https://example.com/align"
    )
    assert code in page.text


def test_a_body_that_shares_nothing_with_the_headline_gives_way_to_the_story() -> None:
    """The recall focus takes the one <article>, a card for another story; the page's
    headline and description say what its story is, and the precision focus finds it."""
    headline = "Ferry terminal opens after three years of building work"
    story = "".join(
        f"<p>The harbour authority opened the new ferry terminal on Monday after three years "
        f"of building work, and crossing number {n} left on time with two hundred passengers "
        "aboard the vessel.</p>"
        for n in range(8)
    )
    card = (
        "<p>Electric carmaker recalls thousands of vehicles over faulty seat belts, regulators "
        "said, in the third such recall this year for the company and its suppliers.</p>"
    )
    html = (
        f"<html><head><title>{headline}</title><meta name='description' content='The harbour "
        "authority opened the new ferry terminal on Monday.'></head><body><main><article>"
        f"<h2>Recall</h2>{card}</article></main><section class='comments'>{story}</section>"
        "</body></html>"
    )
    now = datetime(2026, 11, 30, tzinfo=UTC)

    def body(disabled: frozenset[str]) -> str:
        return extract_page(
            html.encode(), now=now, url="https://port.example/ferry", disabled=disabled
        ).text

    assert "ferry terminal" not in body(frozenset({"wrong_story_guard"}))
    assert body(frozenset()).count("ferry terminal") == 8
