"""Body cleanup: learnt per-host lines, prompts, related blocks, photo credits."""

from __future__ import annotations

import pytest
from lxml import etree

from worker.stages.boilerplate import (
    clean_body,
    line_key,
    line_keys,
    remove_link_teasers,
    site_key,
    without_recurring,
    without_unconfirmed_furniture,
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


def test_furniture_the_stricter_extraction_drops_goes_and_its_sentences_stay() -> None:
    """A short line that is no sentence stays only when the precision focus kept it too; a
    sentence, a line introducing a quotation, and a long line stay whatever it judged."""
    quote_intro = "The union's general secretary said on Friday:"
    heading = "A walkout long in the making"
    blocks = [
        "Datum 28.04.2023\nPermalink https://p.dw.com/p/4QgGF",
        STORY[0],
        heading,
        quote_intro,
        "Interimstrainer Uwe Schubert",
        STORY[1],
    ]
    confirming = [STORY[0], heading.upper(), STORY[1]]

    assert without_unconfirmed_furniture(blocks, confirming) == [
        STORY[0],
        heading,
        quote_intro,
        STORY[1],
    ]


def test_a_list_keeps_the_items_the_stricter_extraction_kept() -> None:
    blocks = ["- Maschinen\n- Permalink https://p.dw.com/p/4QgGF\n- chemische Erzeugnisse"]

    assert without_unconfirmed_furniture(blocks, ["- Maschinen", "- chemische Erzeugnisse"]) == [
        "- Maschinen\n- chemische Erzeugnisse"
    ]


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
    ],
)
def test_contact_lines_are_removed(line: str) -> None:
    assert clean_body([STORY[0], line, STORY[1]]) == STORY


def _body(xml: str) -> etree._Element:
    return etree.fromstring(f"<body>{xml}</body>")


def _texts(body: etree._Element) -> list[str]:
    return [" ".join("".join(block.itertext()).split()) for block in body]


def test_a_paragraph_that_is_one_headline_link_is_a_teaser_and_goes() -> None:
    body = _body(
        f"<p>{STORY[0]}</p>"
        '<p><hi><ref target="/tv/dwts">SEAN SPICER ELIMINATED FROM THE SHOW</ref></hi></p>'
        '<p><ref target="/a">Bus drivers vote to strike</ref> [VIDEO]</p>'
        f"<p>{STORY[1]}</p>"
    )
    remove_link_teasers(body)
    assert _texts(body) == STORY


def test_linked_headlines_listed_under_the_story_go_and_their_list_with_them() -> None:
    body = _body(
        f"<p>{STORY[0]}</p>"
        '<list><item><ref target="/a">Ferry crossings cancelled</ref></item>'
        '<item><ref target="/b">Photos: the storm in pictures</ref></item></list>'
    )
    remove_link_teasers(body)
    assert _texts(body) == [STORY[0]]


def test_list_items_that_are_not_only_a_link_stay() -> None:
    body = _body(
        '<list><item><ref target="/a">Ferry crossings cancelled</ref></item>'
        "<item>Drivers in Leeds vote on Monday</item></list>"
    )
    remove_link_teasers(body)
    assert _texts(body) == ["Drivers in Leeds vote on Monday"]


def test_a_linked_sentence_or_a_paragraph_with_a_link_in_it_stays() -> None:
    paragraphs = [
        '<p><ref target="/n">[1] Alarm fatigue, Curr Opin Anaesthesiol. 2015; 28: 685.</ref></p>',
        '<p>The union <ref target="/u">said in a statement</ref> that talks had failed.</p>',
    ]
    body = _body("".join(paragraphs))
    remove_link_teasers(body)
    assert len(body) == len(paragraphs)


@pytest.mark.parametrize(
    "promotion",
    [
        "Start your day with the Morning Brief. Ten thousand commuters read it on the way in. "
        "Sign up for the free daily newsletter.",
        "Get The Weekly Rider delivered through your letterbox every month. 12 issues for "
        "£11.99. Click here for more information.",
        'Get Example Pro for as little as $5 a month. Use the code "SAVE5" at checkout.',
        'Jane Doe\'s book about rivers, "Downstream", is out now. Follow her on Twitter @jdoe.',
        "Copyright ©2019 Example Media, Inc. All Rights Reserved.",
        "This copy is for your personal, non-commercial use only. To order copies for "
        "distribution to your colleagues, visit our reprints desk.",
    ],
)
def test_promotions_and_licence_notices_go_whole(promotion: str) -> None:
    assert clean_body([STORY[0], promotion, STORY[1]]) == STORY


@pytest.mark.parametrize(
    "credit",
    [
        "(Reporting by Jane Doe; Editing by John Roe)",
        "Additional reporting by Jane Doe",
        "Jane Doe contributed reporting from Hong Kong.",
        "Contributing: Jane Doe",
        "SOURCE: News agencies",
    ],
)
def test_staff_and_source_credits_under_the_story_are_removed(credit: str) -> None:
    assert clean_body([*STORY, credit]) == STORY


@pytest.mark.parametrize(
    "furniture",
    [
        "Comments",
        "12 comments",
        "Leave a comment",
        "Reach the reporter on Twitter at http://twitter.com/janedoe",
    ],
)
def test_comment_prompts_and_contact_lines_are_removed(
    furniture: str,
) -> None:
    assert clean_body([STORY[0], furniture, STORY[1]]) == STORY


@pytest.mark.parametrize("heading", ["Most read in world news", "Popular on Example News"])
def test_most_read_and_popular_headings_go_with_their_list(heading: str) -> None:
    blocks = [*STORY, heading, "- Ferry crossings cancelled", "- Bus drivers vote to strike"]
    assert clean_body(blocks) == STORY


def test_story_that_speaks_of_copyright_sign_ups_or_comments_is_kept() -> None:
    story = [
        "The dispute over the copyright of her first six albums has kept the singer from "
        "performing them, her lawyers said.",
        "Residents who sign up for the scheme get a discount, the council said.",
        "Leave a comment and let us know which gadgets we missed this year.",
        "Jane Doe, who contributed to the inquiry's report in 2015, declined to comment.",
        " ".join(["The union's members voted again on Monday."] * 9)
        + " Sign up for the newsletter.",
    ]
    assert clean_body(story) == story


def test_the_headline_repeated_above_the_story_goes_but_not_inside_it() -> None:
    headline = "Strike shuts stations across the north"
    blocks = [headline, STORY[0], headline, STORY[1]]
    assert clean_body(blocks, headlines=["Other title", headline]) == [
        STORY[0],
        headline,
        STORY[1],
    ]


def test_a_list_of_cards_each_opening_with_a_linked_headline_goes() -> None:
    body = _body(
        f"<p>{STORY[0]}</p>"
        '<list><item><ref target="/a">Pilots strike over pay</ref><head>Talks resume</head></item>'
        '<item><ref target="/b">Lighthouse reopens</ref><head>It was closed for years</head></item>'
        "</list>"
    )
    remove_link_teasers(body)
    assert _texts(body) == [STORY[0]]


def test_a_list_whose_items_open_with_text_or_end_sentences_stays() -> None:
    lists = [
        '<list><item>Pilots: <ref target="/a">strike over pay</ref></item>'
        '<item>Lighthouse: <ref target="/b">reopens</ref></item></list>',
        '<list><item><ref target="/a">Pilots</ref> went on strike over pay.</item>'
        '<item><ref target="/b">The lighthouse</ref> reopened on Monday.</item></list>',
    ]
    body = _body("".join(lists))
    remove_link_teasers(body)
    assert len(body) == len(lists)


@pytest.mark.parametrize(
    "line",
    [
        "An error has occurred, please try again later.",
        "Related post: Pickled sprouts recipe",
        "Sign Up: Stay on top of the latest news! Sign up for our Email Newsletters here.",
    ],
)
def test_widget_messages_related_posts_and_newsletter_sign_ups_are_removed(line: str) -> None:
    assert clean_body([STORY[0], line, STORY[1]]) == STORY


@pytest.mark.parametrize(
    "stamp",
    ["October 12, 2017", "November 20, 2019 - 11:28 AMT", "20.11.2019 11:28", "2019-11-20"],
)
def test_a_line_that_is_only_a_date_is_the_pages_stamp(stamp: str) -> None:
    assert clean_body([stamp, *STORY]) == STORY


def test_a_line_that_starts_with_a_date_and_goes_on_is_story() -> None:
    story = ["October 12, 2017 was the day the union first voted to strike.", *STORY]
    assert clean_body(story) == story
