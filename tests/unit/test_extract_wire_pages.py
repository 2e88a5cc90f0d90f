"""extract_page on golden pages of the simulated outlets' templates and on pages we wrote:
agency credits, the seed-style wrapper's boilerplate, dates with time zones, quality flags.

The ``simweb-*`` fixtures are pages rendered once from ``worker/simweb/templates.py``; the
24 News Desk ones wrap a story the way the seed document's outlet does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.models import DatedValue, ExtractedPage
from worker.stages.boilerplate import line_key
from worker.stages.extract import extract_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
CLICK_LINE = "*Click the Title above to view complete article on https://24newsdesk.example/."
NEWSDESK_PAGES = ("simweb-24newsdesk-afp.html", "simweb-24newsdesk-imf.html")


def extract(name: str, url: str, **options: object) -> ExtractedPage:
    return extract_page(
        (FIXTURES / name).read_bytes(),
        url=url,
        content_type="text/html; charset=utf-8",
        now=NOW,
        **options,  # type: ignore[arg-type]
    )


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


class TestSeedStyleWrapper:
    URL = "https://24newsdesk.example/news/4529912/south-korea-summons-russian-ambassador"

    def test_the_outlets_call_to_action_leaves_the_body_of_the_hosts_first_page(self) -> None:
        page = extract("simweb-24newsdesk-afp.html", self.URL)
        assert page.text.startswith("South Korea summoned Russia's ambassador")
        assert "Click the Title above" not in page.text
        assert "View More News" not in page.text

    def test_lines_recurring_on_the_host_leave_the_body(self) -> None:
        page = extract(
            "simweb-24newsdesk-afp.html",
            self.URL,
            recurring_lines=frozenset({line_key(CLICK_LINE)}),
        )
        assert page.text.startswith("South Korea summoned Russia's ambassador")
        assert "Click the Title above" not in page.text
        assert "View More News" not in page.text
        assert page.text.endswith('"not directed against third countries".')

    def test_the_click_line_recurs_on_every_story_page_of_the_host(self) -> None:
        keys = [set(extract(name, self.URL).line_keys) for name in NEWSDESK_PAGES]
        assert line_key(CLICK_LINE) in keys[0] & keys[1]

    def test_the_visible_plus_five_hours_stamp_becomes_utc(self) -> None:
        page = extract("simweb-24newsdesk-afp.html", self.URL)
        assert page.published == DatedValue(utc(2026, 11, 19, 20, 28, 4), "text")

    def test_the_credit_after_the_stamp_is_the_agency(self) -> None:
        page = extract("simweb-24newsdesk-afp.html", self.URL)
        assert page.agency == ("AFP",)
        assert page.authors == ()

    def test_a_staff_story_credits_no_agency(self) -> None:
        page = extract("simweb-24newsdesk-imf.html", self.URL)
        assert page.agency == ()

    def test_title_drops_the_site_suffix(self) -> None:
        page = extract("simweb-24newsdesk-afp.html", self.URL)
        assert page.title == "South Korea summons Russian ambassador over Pyongyang arms pact"


@pytest.mark.parametrize(
    ("name", "url", "agency", "authors"),
    [
        (
            "simweb-harbourgazette-afp.html",
            "https://www.harbourgazette.example/world/2026/nov/19/south-korea-russia",
            ("AFP",),
            (),
        ),
        (
            "simweb-meridiantimes-ap.html",
            "https://news.meridiantimes.example/2026/11/25/us/tornadoes.html",
            ("AP",),
            ("Dana Whitfield", "Marcus Bell"),
        ),
        (
            "simweb-pacificledger-afp.html",
            "https://www.pacificledger.example/world/south-korea-summons-russian-ambassador",
            ("AFP",),
            (),
        ),
        (
            "simweb-alpenrundschau-dpa.html",
            "https://www.alpenrundschau.example/chronik/3068039/sturmtief-henrike",
            ("dpa", "APA"),
            (),
        ),
        (
            "simweb-northbridgepost-reuters.html",
            "https://www.northbridgepost.example/news/business/oil-opec-cuts-1.6847038",
            ("Reuters",),
            (),
        ),
    ],
    ids=["source line", "byline with agency", "byline 'with'", "APA/dpa", "byline source"],
)
def test_wire_credits_are_agencies_not_authors(
    name: str, url: str, agency: tuple[str, ...], authors: tuple[str, ...]
) -> None:
    page = extract(name, url)
    assert page.agency == agency
    assert page.authors == authors


def test_eastern_time_stamp_of_a_time_element_outside_the_story_becomes_utc() -> None:
    page = extract(
        "simweb-northbridgepost-reuters.html",
        "https://www.northbridgepost.example/news/business/oil-opec-cuts-1.6847038",
    )
    assert page.published == DatedValue(utc(2026, 11, 26, 13, 5), "time")


@pytest.fixture(scope="module")
def prompts() -> ExtractedPage:
    return extract("wire-prompts.html", "https://echo.example/news/2024/06/22/rail-strike")


class TestPromptsAndCreditsAroundAWireStory:
    def test_prompts_related_block_and_photo_credit_leave_the_body(
        self, prompts: ExtractedPage
    ) -> None:
        for not_story in (
            "Share this article",
            "Photo: Jane Doe/Reuters",
            "Related",
            "Bus drivers in Leeds",
            "Ferry crossings",
            "Sign up for our morning newsletter",
            "© AFP",
        ):
            assert not_story not in prompts.text
        assert prompts.text.count("\n\n") == 3

    def test_dateline_and_credit_line_name_the_agency_once(self, prompts: ExtractedPage) -> None:
        assert prompts.agency == ("AFP",)

    def test_byline_meta_is_split_into_people(self, prompts: ExtractedPage) -> None:
        assert prompts.authors == ("Priya Raman", "Tom Okafor")

    def test_a_future_date_is_rejected_for_the_time_element(self, prompts: ExtractedPage) -> None:
        # The meta tag says 2031; the <time> in the article says 2024-06-22T01:28:04+05:00.
        assert prompts.published == DatedValue(utc(2024, 6, 21, 20, 28, 4), "time")

    def test_an_absurd_modified_date_is_rejected(self, prompts: ExtractedPage) -> None:
        assert prompts.modified is None

    def test_section_and_keywords_the_page_declares(self, prompts: ExtractedPage) -> None:
        assert prompts.section == "Transport"
        assert prompts.keywords == ("rail", "strike", "unions")

    def test_a_whole_free_story_is_neither_truncated_nor_paywalled(
        self, prompts: ExtractedPage
    ) -> None:
        assert (prompts.truncated, prompts.paywalled) == (False, False)
        assert prompts.extractor == "trafilatura"


@pytest.fixture(scope="module")
def teaser() -> ExtractedPage:
    return extract("paywalled-teaser.html", "https://ledger.example/business/terminal")


class TestPaywalledTeaser:
    def test_not_free_in_json_ld_is_paywalled(self, teaser: ExtractedPage) -> None:
        assert teaser.paywalled is True

    def test_far_fewer_words_than_the_declared_count_is_truncated(
        self, teaser: ExtractedPage
    ) -> None:
        assert teaser.truncated is True

    def test_the_subscribe_prompt_is_not_body_text(self, teaser: ExtractedPage) -> None:
        assert "Subscribe" not in teaser.text
        assert teaser.text.endswith("could move services elsewhere.")


def test_learnt_lines_leave_the_text_but_not_the_identity_of_the_page() -> None:
    paragraphs = [
        f"Paragraph {n} of the story, with enough words to count as text." for n in range(4)
    ]
    furniture = "Listen to this story on our podcast"
    page_html = f"""<html><head><title>Story</title></head><body><article><h1>Story</h1>
<p>{furniture}</p>{"".join(f"<p>{p}</p>" for p in paragraphs)}</article></body></html>"""
    url = "https://site.example/story"

    before = extract_page(page_html.encode(), url=url, now=NOW)
    after = extract_page(
        page_html.encode(), url=url, now=NOW, recurring_lines=frozenset({line_key(furniture)})
    )

    assert after.text.split("\n\n") == paragraphs
    assert after.identity_text == before.identity_text == before.text
