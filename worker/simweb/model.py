"""The shapes of the simulated web's content: outlets, their feeds, stories and articles.

Stories are what we write (``stories/``); articles are what the web serves: one article per
URL, so a wire story republished by four outlets is one ``WireStory`` and four ``Article``\\ s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

FeedFormat = Literal["rss2", "atom", "rdf", "jsonfeed"]
"""RSS 2.0, Atom 1.0, RSS 1.0 (RDF) and JSON Feed 1.1."""

Edit = Literal[
    "headline_rewrite",
    "reworded_lede",
    "cut_ending",
    "local_paragraph",
    "agency_credit",
    "dateline",
    "agency_footer",
    "related_block",
    "tracking_parameters",
    "exact_copy",
]
"""What an outlet changed when it republished a wire story, or ``exact_copy`` for a page
served byte for byte under a second URL. ``agency_credit`` is a changed byline, ``dateline``
a changed or added place-and-agency prefix of the lede, ``tracking_parameters`` a link
carrying campaign parameters (the evaluation set, ``evalset``, uses them all)."""


@dataclass(frozen=True)
class Outlet:
    host: str
    name: str
    language: str
    country: str
    """ISO 3166 code; with the language it makes a locale such as ``de-CH``."""
    utc_offset: timedelta
    """The newsroom's local time in November; pages and feeds show dates in it."""
    template: str | None
    """Key of the page template; None for a syndication host that only serves exact copies."""
    path_pattern: str = ""
    """``str.format`` pattern of article paths: {section} {slug} {id} {yyyy} {mm} {dd} {mon}
    {lang}; empty for a syndication host, whose paths come with its copies."""
    tracking_query: str = ""
    """Appended to article links in the outlet's feeds; the pages live at the clean URLs."""


@dataclass(frozen=True)
class Feed:
    outlet: str
    path: str
    format: FeedFormat
    title: str
    description: str
    sections: tuple[str, ...] = ()
    """The sections this feed lists; empty for every article of the outlet."""
    opaque_guids: bool = False
    """Identify items by a CMS id (``isPermaLink="false"``) rather than by their URL."""
    full_content: bool = False
    """Carry the whole article body (content:encoded, Atom content, content_html)."""

    @property
    def key(self) -> str:
        return self.outlet + self.path


@dataclass(frozen=True)
class Story:
    """An original story written for one outlet; ``text`` holds paragraphs separated by blank
    lines, wrapped freely."""

    outlet: str
    section: str
    topic: str
    slug: str
    published: str
    """Local time at the outlet, ``YYYY-MM-DD HH:MM[:SS]``."""
    title: str
    authors: tuple[str, ...]
    text: str
    modified: str | None = None
    language: str | None = None
    """Only for an outlet publishing in more than one language."""


@dataclass(frozen=True)
class WireStory:
    story_id: str
    agency: str
    language: str
    topic: str
    title: str
    authors: tuple[str, ...]
    text: str


@dataclass(frozen=True)
class Republication:
    """One outlet's version of a wire story; every field that differs from the wire copy is an
    edit, and ``Article.edits`` is derived from them."""

    outlet: str
    section: str
    slug: str
    published: str
    title: str | None = None
    lede: str | None = None
    """A reworded first paragraph."""
    cut: int = 0
    """How many closing paragraphs were dropped."""
    local: tuple[int, str] | None = None
    """A paragraph of local interest and the index it is inserted at."""
    authors: tuple[str, ...] | None = None
    """A byline other than the wire's, e.g. "Staff and agencies"."""


@dataclass(frozen=True)
class ExactCopy:
    """A second URL serving the same bytes as an article: a print view or a syndication host."""

    outlet: str
    path: str
    """``str.format`` pattern: {original} is the original article's path, {slug} its slug."""
    original_outlet: str
    original_slug: str


@dataclass(frozen=True)
class Article:
    outlet: str
    path: str
    language: str
    title: str
    authors: tuple[str, ...]
    published: datetime
    story_id: str
    agency: str | None
    edits: tuple[Edit, ...]
    exact_copy_of: str | None
    paragraphs: tuple[str, ...]
    section: str
    topic: str
    modified: datetime | None = None

    @property
    def key(self) -> str:
        """Host and path: how the catalog and ``exact_copy_of`` name an article."""
        return self.outlet + self.path

    @property
    def summary(self) -> str:
        """The lede's first sentence or two, as feeds and meta descriptions carry it."""
        lede = self.paragraphs[0]
        sentences = re.split(r"(?<=[.!?»\"])\s+(?=[A-ZÀ-ÖØ-Þ«\"¿¡])", lede)
        summary = sentences[0]
        for sentence in sentences[1:]:
            if len(summary) + len(sentence) > 240:
                break
            summary = f"{summary} {sentence}"
        return summary

    @property
    def word_count(self) -> int:
        return sum(len(paragraph.split()) for paragraph in self.paragraphs)

    @property
    def last_modified(self) -> datetime:
        return self.modified or self.published
