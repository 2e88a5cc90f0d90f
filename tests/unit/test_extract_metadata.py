"""The metadata rules of extract_page, each pinned on a small page written here."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from worker.models import ExtractedPage
from worker.stages.extract import extract_page

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
STORY = (
    "<p>The harbour authority opened the new ferry terminal on Monday after three years of "
    "building work, and the first crossing left on time with two hundred passengers.</p>"
    "<p>Officials said the terminal would halve waiting times on the busiest summer days.</p>"
)


def extract(
    *, head: str = "", byline: str = "", after: str = "", url: str = "https://port.example/a"
) -> ExtractedPage:
    page = (
        f"<html><head><title>Ferry terminal opens</title>{head}</head><body>"
        f"<article><h1>Ferry terminal opens</h1>{byline}{STORY}</article>{after}</body></html>"
    )
    return extract_page(page.encode(), url=url, now=NOW, content_type="text/html")


def json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


class TestTitle:
    def test_the_declared_headline_wins_over_the_h1(self) -> None:
        page = extract_page(
            b'<html><head><meta property="og:title" content="Ferry terminal opens - Port News">'
            b'<meta property="og:site_name" content="Port News"></head><body>'
            b"<h1>Port News</h1><article>" + STORY.encode() + b"</article></body></html>",
            url="https://port.example/a",
            now=NOW,
        )
        assert page.title == "Ferry terminal opens"

    @pytest.mark.parametrize(
        ("title", "logo_and_story"),
        [
            (
                "Ferry terminal opens - Port News",
                '<h1><img alt="">PORT NEWS Port News Logo</h1><article>',
            ),
            (
                "Port News: the ferry story",
                "<h1>Port News</h1><article><h1>Ferry terminal opens</h1>",
            ),
        ],
        ids=["the logo alone: the <title> decides", "the other <h1> is the headline"],
    )
    def test_an_h1_naming_the_site_is_its_logo_not_the_headline(
        self, title: str, logo_and_story: str
    ) -> None:
        page = extract_page(
            f"<html><head><title>{title}</title></head><body>{logo_and_story}{STORY}"
            "</article></body></html>".encode(),
            url="https://portnews.example/a",
            now=NOW,
        )
        assert page.title == "Ferry terminal opens"

    def test_a_site_name_after_a_double_hyphen_is_dropped(self) -> None:
        page = extract(head='<meta property="og:title" content="Ferry terminal opens -- Sott.net">')
        assert page.title == "Ferry terminal opens"

    def test_soft_hyphens_and_zero_width_spaces_leave_the_title(self) -> None:
        page = extract(
            head='<meta property="og:title" content="Fähr&shy;terminal er&#x200b;öffnet">'
        )
        assert page.title == "Fährterminal eröffnet"


class TestBylineElements:
    def test_a_by_in_an_element_of_its_own_is_not_the_author(self) -> None:
        page = extract(
            byline='<p class="byline"><span class="byline__preamble">By</span> '
            '<a class="byline__name" href="/staff/jane-doe">Jane Doe</a></p>'
        )
        assert page.authors == ("Jane Doe",)

    def test_by_run_into_the_name_is_dropped(self) -> None:
        page = extract(byline='<div class="author">ByJane Doe</div>')
        assert page.authors == ("Jane Doe",)

    def test_names_in_elements_of_their_own_are_separate_people(self) -> None:
        page = extract(
            byline='<div class="article-byline"><span>Birgit Baumann</span>'
            "<span>Jan Michael Marchart</span></div>"
        )
        assert page.authors == ("Birgit Baumann", "Jan Michael Marchart")

    def test_the_date_after_the_names_goes_but_a_name_like_a_month_stays(self) -> None:
        page = extract(
            byline='<div class="byline">By Jan Marchart and Theresa May, Dec 16, 2016 at '
            "1:38 pm</div>"
        )
        assert page.authors == ("Jan Marchart", "Theresa May")

    def test_a_comment_form_does_not_name_the_author(self) -> None:
        page = extract(
            byline='<div class="c-byline">By Samya Kullab</div>',
            after='<form><p class="comment-form-author">Name</p>'
            '<div class="comment-author">Paul Coker</div></form>',
        )
        assert page.authors == ("Samya Kullab",)
        before = extract(
            byline='<p class="comment-form-author">Name</p>',
            after='<div class="c-byline">By Samya Kullab</div>',
        )
        assert before.authors == ("Samya Kullab",)

    def test_the_agency_after_the_people_is_the_agency_not_a_name(self) -> None:
        page = extract(
            byline='<div class="c-byline__attribution">By Samya Kullab and Vasilisa Stepanenko '
            '<span class="c-byline__source">The Associated Press</span></div>'
        )
        assert page.authors == ("Samya Kullab", "Vasilisa Stepanenko")
        assert page.agency == ("AP",)

    def test_lower_case_labels_are_not_names(self) -> None:
        page = extract(
            byline='<div class="byline">red, ORF.at/Agenturen</div>', url="https://orf.at/stories/1"
        )
        assert page.authors == ()
        initials = extract(byline='<p class="article__author">amw</p>')
        assert initials.authors == ()

    def test_the_bylines_own_label_and_buttons_are_not_names(self) -> None:
        page = extract(
            byline='<a href="/autoren">Autoren</a> <a class="author-share">Share on Facebook</a>'
            '<a href="/autoren/name/max-kolter">Dr. Max Kolter</a>'
        )
        assert page.authors == ("Dr Max Kolter",)

    def test_a_staff_byline_is_no_author_and_later_bylines_are_other_stories(self) -> None:
        page = extract(
            byline='<div class="byline">Our Foreign Staff</div>',
            after='<aside><div class="item-author-name">Philip Johnston</div></aside>',
        )
        assert page.authors == ()

    def test_a_source_credit_is_no_author(self) -> None:
        page = extract(byline='<div class="backlink__author">Quelle: sid/dpa</div>')
        assert page.authors == ()

    def test_a_role_after_a_korean_name_is_not_part_of_it(self) -> None:
        page = extract(head='<meta name="author" content="신현주 기자">')
        assert page.authors == ("신현주",)


class TestDeclaredAuthors:
    def test_a_picture_credit_in_the_author_meta_is_no_author(self) -> None:
        page = extract(
            head='<meta itemprop="author" content="(Image: Getty Images/iStockphoto)">'
            '<meta name="author" content="Emma Mackenzie">'
        )
        assert page.authors == ("Emma Mackenzie",)

    def test_a_company_is_no_author(self) -> None:
        page = extract(
            head='<meta name="author" content="Nikkei Inc.">',
            byline='<p class="author">Kenji Sato</p>',
        )
        assert page.authors == ("Kenji Sato",)

    def test_the_site_after_par_is_no_author(self) -> None:
        page = extract(
            head='<meta property="og:site_name" content="Le Figaro">'
            '<meta name="author" content="Par Le Figaro">'
        )
        assert page.authors == ()

    def test_a_json_ld_author_given_by_reference_is_looked_up_in_the_graph(self) -> None:
        graph = {
            "@context": "https://schema.org",
            "@graph": [
                {
                    "@type": "NewsArticle",
                    "headline": "Ferry terminal opens",
                    "author": {"@id": "https://port.example/#/person/1"},
                },
                {
                    "@type": "Person",
                    "@id": "https://port.example/#/person/1",
                    "name": "Timo Shihepo",
                },
            ],
        }
        page = extract(head=json_ld(graph), byline='<span class="author-by">By</span>')
        assert page.authors == ("Timo Shihepo",)


@pytest.mark.parametrize(
    "page",
    [
        {
            "byline": '<p class="author">Written by <a href="/staff/jane-doe">Jane Doe</a> in '
            '<a href="/harbours">Harbours</a> on 1 June 2019 at 08:34 PM</p>'
        },
        {
            "head": '<meta name="author" content="HBL">',
            "byline": '<p class="byline">By Jane Doe</p>',
            "url": "https://www.hbl.example/a",
        },
        {"byline": '<div><span>By </span><a href="/profile/jane-doe">Jane Doe</a></div>'},
        {"byline": '<div>By <a href="/jane-doe">Jane Doe</a>, December 16th 2016</div>'},
        {
            "byline": '<div class="article_byline"><div>By <span>Jane Doe</span></div>'
            "<div>PORT DAILY NEWS</div></div>",
            "url": "https://www.pdailynews.example/a",
        },
        {
            "head": '<meta name="author" content="Jane Doe, The Harbour Times">',
            "url": "https://www.htimes.example/a",
        },
    ],
    ids=[
        "where the story is filed",
        "an author tag naming the host is the site",
        "an unmarked By line",
        "a date with an ordinal day",
        "the site as its host spells it, in initials and words",
        "the site as its host spells it, after The",
    ],
)
def test_only_the_person_is_the_author(page: dict[str, str]) -> None:
    assert extract(**page).authors == ("Jane Doe",)


@pytest.mark.parametrize("name", ["Nick Young", "Anna Beth Clark"])
def test_a_person_whose_initials_are_a_short_label_of_the_host_stays(name: str) -> None:
    """Two letters are as likely initials; the three-letter host here is a different site."""
    page = extract(byline=f'<p class="byline">By {name}</p>', url="https://ny.abd.example/a")
    assert page.authors == (name,)


class TestMicrodataAuthor:
    PERSON = 'itemprop="author" itemscope itemtype="http://schema.org/Person"'

    def test_a_person_item_names_the_author_over_an_advert_byline(self) -> None:
        page = extract(
            byline=f'<span {self.PERSON}><link itemprop="name" content="Jane Doe"></span>',
            after='<div class="promo"><span class="byline">By Crunchy Biscuits</span></div>',
        )
        assert page.authors == ("Jane Doe",)

    def test_each_name_of_the_person_counts_and_its_employers_does_not(self) -> None:
        byline = (
            f'<div {self.PERSON}><span itemprop="name">Jane Doe</span>'
            '<span itemprop="name">John Roe</span><span itemprop="worksFor" itemscope '
            'itemtype="http://schema.org/Organization"><span itemprop="name">Port Gazette'
            "</span></span></div>"
        )
        assert extract(byline=byline).authors == ("Jane Doe", "John Roe")

    def test_a_comments_author_is_a_reader_not_the_author(self) -> None:
        comment = (
            '<article itemscope itemtype="https://schema.org/Comment"><footer>'
            f'<div {self.PERSON}><span itemprop="name">Rita Reader</span></div></footer>'
            "<p>Great story.</p></article>"
        )
        byline = '<p class="byline">By Jane Doe</p>'
        assert extract(byline=byline, after=comment).authors == ("Jane Doe",)


@pytest.mark.parametrize(
    "quotation",
    [
        '<div class="pull-quote"><blockquote>We halved the wait.</blockquote>'
        '<div class="pull-quote__author"><span class="author">Rita Speaker</span></div></div>',
        '<blockquote><p>We halved the wait.</p><span class="author">Rita Speaker</span>'
        "</blockquote>",
    ],
    ids=["a pull quote beside the story", "a blockquote's attribution"],
)
def test_who_is_quoted_is_not_the_author(quotation: str) -> None:
    assert extract(after=quotation).authors == ()
    assert extract(byline='<p class="byline">By Jane Doe</p>', after=quotation).authors == (
        "Jane Doe",
    )


def test_a_handle_in_lower_case_is_a_name_where_the_link_says_it_is_the_author() -> None:
    byline = (
        '<span class="by-author">by <span class="author vcard">'
        '<a class="url fn n" href="/archives/author/jdoe" rel="author">jdoe</a></span></span>'
    )
    assert extract(byline=byline).authors == ("jdoe",)


def test_a_word_in_lower_case_in_a_byline_is_no_name() -> None:
    byline = '<span class="by-author">by <span class="author"><a href="/s">share</a></span></span>'
    assert extract(byline=byline).authors == ()


def test_a_sentence_starting_with_by_is_no_byline() -> None:
    assert extract(byline="<p>by signing up you agree to our Terms</p>").authors == ()


@pytest.mark.parametrize("byline", ["By", "by", "Von"])
def test_a_byline_with_nothing_but_by_names_no_one(byline: str) -> None:
    assert extract(byline=f'<span class="byline">{byline}</span>').authors == ()


@pytest.mark.parametrize(
    ("footer", "day"),
    [
        ("<footer><p>Copyright © 2022 Port News. All rights reserved.</p></footer>", None),
        (
            '<footer><p>Posted on <span class="date">1 January 2019</span></p></footer>',
            datetime(2019, 1, 1),
        ),
        (
            '<p class="meta">Published 2019-01-01</p>'
            "<footer><p>Copyright © 2022 Port News.</p></footer>",
            datetime(2019, 1, 1),
        ),
    ],
    ids=["a copyright year", "a new year's day in a date element", "a new year's day stamped"],
)
def test_a_year_alone_is_no_publication_day(footer: str, day: datetime | None) -> None:
    """htmldate's extensive search gives a copyright year as 1 January; its plain search, which
    reads stamps and date elements and not copyright lines, confirms a real 1 January."""
    published = extract(after=footer).published
    assert (published.value if published else None) == (day.replace(tzinfo=UTC) if day else None)


@pytest.mark.parametrize(
    ("url", "day"),
    [
        ("https://port.example/article/Ferry-Terminal-Opens-20161013", datetime(2016, 10, 13)),
        ("https://port.example/2016-10-13-ferry-terminal-opens", datetime(2016, 10, 13)),
        ("https://port.example/story/3000000218734/ferry-terminal", None),
        ("https://port.example/alert20161013.html", None),
    ],
    ids=["slug ends in YYYYMMDD", "slug starts with the ISO day", "long id", "glued to a word"],
)
def test_a_date_standing_alone_in_the_url_dates_a_page_without_one(
    url: str, day: datetime | None
) -> None:
    published = extract(url=url).published
    assert (published.value if published else None) == (day.replace(tzinfo=UTC) if day else None)


class TestDateWithoutZone:
    DAY_ONLY = '<meta property="article:published_time" content="2019-04-04">'

    def test_a_day_alone_starts_at_midnight_where_the_pages_other_stamps_are(self) -> None:
        modified = '<meta property="article:modified_time" content="2019-04-05T10:00:00+09:00">'
        published = extract(head=self.DAY_ONLY + modified).published
        assert published is not None
        assert published.value == datetime(2019, 4, 3, 15, tzinfo=UTC)

    def test_a_time_without_a_zone_is_read_in_the_zone_of_the_modified_stamp(self) -> None:
        published = extract(
            head=json_ld(
                {
                    "@type": "NewsArticle",
                    "datePublished": "2016-12-19T19:08:44",
                    "dateModified": "2016-12-20T10:00:00-05:00",
                }
            )
        ).published
        assert published is not None
        assert published.value == datetime(2016, 12, 20, 0, 8, 44, tzinfo=UTC)

    def test_a_day_alone_on_a_page_stating_no_zone_is_taken_in_utc(self) -> None:
        published = extract(head=self.DAY_ONLY).published
        assert published is not None
        assert published.value == datetime(2019, 4, 4, tzinfo=UTC)


def test_the_visible_h1_leaves_the_body_when_the_declared_headline_differs() -> None:
    page = extract(head='<meta property="og:title" content="New ferry terminal cuts waits">')
    assert page.title == "New ferry terminal cuts waits"
    assert not page.text.startswith("Ferry terminal opens")
    assert page.text.startswith("The harbour authority")


class TestAuthorClasses:
    """What unseen publishers' bylines showed: each class pinned, not a page."""

    def test_initials_in_parentheses_after_the_name_are_not_part_of_it(self) -> None:
        person = {"@type": "Person", "name": "Anna Berger (ab)"}
        page = extract(head=json_ld({"@type": "NewsArticle", "author": person}))
        assert page.authors == ("Anna Berger",)

    def test_the_related_stories_authors_are_not_the_pages(self) -> None:
        own = {"@type": "NewsArticle", "url": "https://port.example/a", "headline": "Ferry",
               "author": {"@type": "Person", "name": "Jane Doe"}}  # fmt: skip
        cards = [
            {
                "@type": "NewsArticle",
                "url": f"https://port.example/{n}",
                "headline": f"Other {n}",
                "author": {"@type": "Person", "name": f"Writer {n}"},
            }
            for n in ("b", "c")
        ]
        page = extract(head=json_ld(cards[0]) + json_ld(own) + json_ld(cards[1]))
        assert page.authors == ("Jane Doe",)
