"""Body cleanup: learnt per-host lines, prompts, related blocks, photo credits."""

from __future__ import annotations

import pytest

from worker.stages.boilerplate import (
    clean_body,
    line_key,
    line_keys,
    site_key,
    without_recurring,
)

STORY = [
    "Train drivers walked out across the north of England on Friday, leaving commuters "
    "stranded at stations from Liverpool to Newcastle.",
    "The union said more than four thousand drivers had joined the strike.",
]


def test_lines_recurring_on_the_host_are_removed() -> None:
    click = "*Click the Title above to view complete article on https://24newshd.tv/."
    blocks = [click, *STORY, "View More News"]
    recurring = frozenset({line_key(click), line_key("View More News")})

    assert without_recurring(blocks, recurring) == STORY


def test_line_keys_ignore_case_spacing_and_punctuation() -> None:
    assert line_key("View More News") == line_key("  view more   news!")
    assert line_key("View More News") != line_key("View More Sport")


def test_a_long_paragraph_is_never_learnt_or_removed_as_boilerplate() -> None:
    long_paragraph = " ".join(["word"] * 40)
    assert line_key(long_paragraph) not in line_keys([long_paragraph])
    recurring = frozenset({line_key(long_paragraph)})
    assert without_recurring([long_paragraph], recurring) == [long_paragraph]


def test_line_keys_are_those_of_the_short_lines_each_once() -> None:
    keys = line_keys(["View More News", "View More News", "Share this article"])
    assert keys == (line_key("View More News"), line_key("Share this article"))


@pytest.mark.parametrize(
    "prompt",
    [
        "Share this article",
        "Follow us on Twitter",
        "Sign up for our morning newsletter to get the day's top stories in your inbox.",
        "Subscribe to our newsletter",
        "CLICK HERE TO GET THE FOX NEWS APP",
        "Like this story? Share it with a friend!",
        "Tell us what YOU think...",
        "Subscribe to continue reading.",
        "https://www.example.com/news/story-1234",
        "Read more: Alibaba poised to launch record-breaking listing",
        "Also on rt.com Journalists threatened with arrest",
    ],
)
def test_share_newsletter_and_link_prompts_are_removed(prompt: str) -> None:
    assert clean_body([STORY[0], prompt, STORY[1]]) == STORY


@pytest.mark.parametrize(
    "credit",
    [
        "Photo: Jane Doe/Reuters",
        "(AP Photo/Evan Vucci)",
        "Image credit: NASA/JPL",
        "Foto: dpa",
        "Getty Images",
        "© Inexhibit, 2018",
    ],
)
def test_photo_credits_standing_alone_are_removed(credit: str) -> None:
    assert clean_body([STORY[0], credit, STORY[1]]) == STORY


def test_a_related_heading_goes_with_the_list_under_it() -> None:
    blocks = [
        STORY[0],
        "Related",
        "- Bus drivers in Leeds vote to strike",
        "- Ferry crossings cancelled as storm sweeps the Irish Sea",
        STORY[1],
    ]
    assert clean_body(blocks) == STORY


def test_a_related_link_line_takes_the_list_after_it() -> None:
    blocks = [
        STORY[0],
        "Related: Possible Water Plumes on Europa",
        "- NASA Europa Mission Could Spot Signs of Life",
        STORY[1],
    ]
    assert clean_body(blocks) == STORY


def test_story_lines_that_start_like_prompts_are_kept() -> None:
    story = [
        "Follow the money, investigators told the committee on Tuesday, and you will find "
        "that the contracts were awarded to the same three companies for a decade.",
        "Share prices fell by a third after the announcement.",
        "- The first of three list items in the story itself",
    ]
    assert clean_body(story) == story


@pytest.mark.parametrize(
    ("url", "site"),
    [
        ("https://www.24newshd.tv/news/123", "24newshd.tv"),
        ("https://News.Example.ORG/a", "news.example.org"),
        ("http://127.0.0.1:8765/24newsdesk.example/news/4529912/x", "24newsdesk.example"),
        ("http://127.0.0.1:8765/about", "127.0.0.1"),
    ],
)
def test_site_key_is_the_host_or_the_simulated_outlet(url: str, site: str) -> None:
    assert site_key(url) == site


@pytest.mark.parametrize(
    "line",
    [
        "Write to Al Root at allen.root@dowjones.com",
        "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik.",
        "Updated at 1:23 p.m.",
        "UPDATED: Tue., Nov. 19, 2019",
    ],
)
def test_contact_lines_and_update_stamps_are_removed(line: str) -> None:
    assert clean_body([STORY[0], line, STORY[1]]) == STORY
