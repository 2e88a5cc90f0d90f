"""Publish stage: content hash, article URL, the v1 message and its JSON Schema."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from jsonschema import Draft202012Validator

from worker.models import (
    Article,
    DatedValue,
    ExtractedPage,
    FeedEntry,
    FeedRef,
    KeywordTag,
    Response,
    Tags,
)
from worker.stages.publish import (
    CREATED,
    DUPLICATE,
    SCHEMA,
    are_different_stories,
    article_url,
    build_article,
    build_message,
    canonical_claim,
    claimed_canonical,
    content_hash,
    dated_from_feed,
)

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "worker" / "schema" / "article-v1.json"

DISCOVERED = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
FETCHED = datetime(2025, 3, 1, 12, 0, 5, 250_000, tzinfo=UTC)
PROCESSED = datetime(2025, 3, 1, 12, 0, 6, tzinfo=UTC)
PAGE_DATE = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
FEED_DATE = datetime(2025, 3, 1, 10, 0, tzinfo=UTC)

TEXT = "Ministers met on Monday. The talks ended without a deal, officials said."


def make_entry(**changes: Any) -> FeedEntry:
    entry = FeedEntry(
        feed=FeedRef(id="0123456789abcdef", url="https://news.example.com/rss", title="News"),
        url="https://news.example.com/story",
        source_url="https://news.example.com/story?utm_source=rss",
        guid="story-1",
        title="Talks end",
        published=FEED_DATE,
        discovered_at=DISCOVERED,
        feed_tags=("World",),
    )
    return replace(entry, **changes)


def make_response(final_url: str = "https://www.news.example.com/story") -> Response:
    return Response(
        requested_url="https://news.example.com/story",
        final_url=final_url,
        status=200,
        headers={"content-type": "text/html; charset=utf-8"},
        body=b"<html></html>",
        fetched_at=FETCHED,
        redirects=(final_url,),
    )


def make_page(**changes: Any) -> ExtractedPage:
    page = ExtractedPage(
        title="Talks end without a deal",
        authors=("A. Reporter",),
        published=DatedValue(PAGE_DATE, "jsonld"),
        modified=None,
        language="en",
        site_name="Example News",
        image="https://news.example.com/img.jpg",
        description="No deal.",
        canonical_url=None,
        text=TEXT,
        extractor="trafilatura",
    )
    return replace(page, **changes)


def make_tags() -> Tags:
    return Tags(
        language="en",
        feed=("World",),
        categories=("Politics",),
        keywords=(KeywordTag("talks", 0.9, "keywords:yake"),),
    )


def make_article(**page_changes: Any) -> Article:
    return build_article(
        make_entry(),
        make_response(),
        make_page(**page_changes),
        make_tags(),
        processed_at=PROCESSED,
    )


def schema_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def complete_message(
    *, event: str = CREATED, duplicate_of: str | None = None, **page_changes: Any
) -> dict[str, Any]:
    """A stream entry as a consumer sees it: flat fields, event, cluster and decoded data."""
    article = make_article(**page_changes)
    outgoing = build_message(article)
    dedupe = {
        "content_hash": outgoing.content_hash,
        "cluster_id": duplicate_of or article.id,
        "duplicate_of": duplicate_of,
        "similarity": 1.0 if duplicate_of else None,
    }
    data_text = outgoing.data_without_dedupe + ',"dedupe":' + json.dumps(dedupe) + "}"
    message: dict[str, Any] = {
        **outgoing.flat_fields,
        "event": event,
        "cluster": dedupe["cluster_id"],
        "data": json.loads(data_text),
    }
    if duplicate_of:
        message["duplicate_of"] = duplicate_of
    return message


# --- content_hash ---------------------------------------------------------------------------


def test_content_hash_ignores_case() -> None:
    assert content_hash("Talks End Without A Deal") == content_hash("talks end without a deal")


def test_content_hash_ignores_white_space_differences() -> None:
    assert content_hash("  talks\n\nend\t without   a deal ") == content_hash(
        "talks end without a deal"
    )


def test_content_hash_ignores_unicode_normalisation_form() -> None:
    composed = "Caf\u00e9 \ufb01nal"  # é precomposed, "fi" ligature
    decomposed = "Cafe\u0301 final"

    assert content_hash(composed) == content_hash(decomposed)


def test_content_hash_differs_for_different_text() -> None:
    assert content_hash("talks ended without a deal") != content_hash("talks ended with a deal")


def test_content_hash_is_32_lower_hex_digits() -> None:
    digest = content_hash(TEXT)

    assert len(digest) == 32
    assert set(digest) <= set("0123456789abcdef")


# --- article_url ----------------------------------------------------------------------------


def test_article_url_without_canonical_is_the_canonical_landing_url() -> None:
    url = article_url(
        make_response("https://www.news.example.com/story?utm_source=x#a"),
        make_page(),
    )

    assert url == "https://www.news.example.com/story"


def test_article_url_prefers_a_same_site_rel_canonical() -> None:
    page = make_page(canonical_url="https://news.example.com/2025/03/story?utm_medium=x")

    url = article_url(make_response("https://www.news.example.com/story"), page)

    assert url == "https://news.example.com/2025/03/story"


def test_article_url_ignores_a_cross_site_rel_canonical() -> None:
    page = make_page(canonical_url="https://other-outlet.example.org/their-story")

    url = article_url(make_response("https://news.example.com/story"), page)

    assert url == "https://news.example.com/story"


def test_a_page_claims_a_canonical_only_when_it_names_another_address() -> None:
    section = "https://news.example.com/politics/"
    story = make_response("https://news.example.com/politics/story-1")

    assert claimed_canonical(story, make_page(canonical_url=section)) == section
    assert claimed_canonical(story, make_page(canonical_url=story.final_url)) is None
    assert claimed_canonical(story, make_page(canonical_url=None)) is None


def test_two_stories_claiming_one_canonical_are_told_from_two_copies_of_one() -> None:
    section = "https://news.example.com/politics/"
    first = canonical_claim(
        make_response("https://news.example.com/politics/story-1"),
        make_page(canonical_url=section, title="Budget passes", text="The budget passed."),
    )
    other_story = canonical_claim(
        make_response("https://news.example.com/politics/story-2"),
        make_page(canonical_url=section, title="Mayor resigns", text="The mayor resigned."),
    )
    amp_copy = canonical_claim(
        make_response("https://news.example.com/amp/politics/story-1"),
        make_page(canonical_url=section, title="Budget passes", text="The budget passed. Ad."),
    )

    assert are_different_stories(other_story, first)
    assert not are_different_stories(amp_copy, first)
    assert not are_different_stories(first, first)


def test_article_url_survives_a_protocol_relative_same_site_canonical() -> None:
    page = make_page(canonical_url="//news.example.com/2025/03/story")
    landed = "https://news.example.com/story"

    url = article_url(make_response(landed), page)

    assert url == "https://news.example.com/2025/03/story"


def test_article_id_follows_the_article_url() -> None:
    same_site = make_article(canonical_url="https://news.example.com/canonical")
    cross_site = make_article(canonical_url="https://elsewhere.example.org/canonical")

    assert same_site.url == "https://news.example.com/canonical"
    assert cross_site.url == "https://www.news.example.com/story"
    assert same_site.id != cross_site.id


# --- build_message --------------------------------------------------------------------------


def test_build_article_fills_identity_counts_and_times() -> None:
    article = make_article()

    assert article.source_url == make_entry().source_url
    assert article.final_url == "https://www.news.example.com/story"
    assert article.word_count == 12
    assert article.content_hash == content_hash(TEXT)
    assert (article.discovered_at, article.fetched_at, article.processed_at) == (
        DISCOVERED,
        FETCHED,
        PROCESSED,
    )


def test_data_without_dedupe_plus_dedupe_object_is_valid_json_with_every_contract_field() -> None:
    article = make_article()
    outgoing = build_message(article)
    dedupe = json.dumps(
        {
            "content_hash": outgoing.content_hash,
            "cluster_id": article.id,
            "duplicate_of": None,
            "similarity": None,
        }
    )

    data = json.loads(outgoing.data_without_dedupe + ',"dedupe":' + dedupe + "}")

    required = set(json.loads(SCHEMA_FILE.read_text())["$defs"]["data"]["required"])
    assert set(data) == required
    assert data["id"] == article.id
    assert data["url"] == article.url
    assert data["text"] == TEXT
    assert data["published_at"] == "2025-03-01T09:30:00Z"
    assert data["published_at_source"] == "jsonld"
    assert data["fetched_at"] == "2025-03-01T12:00:05.250000Z"
    assert data["dedupe"]["cluster_id"] == article.id


def test_data_without_dedupe_is_an_object_missing_only_its_closing_brace() -> None:
    outgoing = build_message(make_article(text='Quoted "}" braces {} and ünïcödé.'))

    assert outgoing.data_without_dedupe.startswith("{")
    with pytest.raises(json.JSONDecodeError):
        json.loads(outgoing.data_without_dedupe)
    assert json.loads(outgoing.data_without_dedupe + "}")["text"] == (
        'Quoted "}" braces {} and ünïcödé.'
    )


def test_flat_fields_copy_schema_id_url_feed_and_language() -> None:
    article = make_article()

    fields = build_message(article).flat_fields

    assert fields == {
        "schema": SCHEMA,
        "id": article.id,
        "url": article.url,
        "feed": "0123456789abcdef",
        "lang": "en",
    }
    assert all(isinstance(value, str) for value in fields.values())


def test_complete_message_validates_against_the_shipped_json_schema() -> None:
    message = complete_message()

    schema_validator().validate(message)
    # The installed jsonschema has no "uri" format checker, so check absoluteness here.
    for url in (message["url"], message["data"]["url"], message["data"]["final_url"]):
        assert urlsplit(url).scheme == "https" and urlsplit(url).hostname


def test_duplicate_message_validates_against_the_shipped_json_schema() -> None:
    original = "f" * 32

    schema_validator().validate(complete_message(event=DUPLICATE, duplicate_of=original))


def test_message_without_language_or_dates_validates_against_the_schema() -> None:
    article = build_article(
        make_entry(published=None),
        make_response(),
        make_page(published=None, language=None, site_name=None, image=None, authors=()),
        Tags(language=None),
        processed_at=PROCESSED,
    )
    outgoing = build_message(article)
    dedupe = {
        "content_hash": outgoing.content_hash,
        "cluster_id": article.id,
        "duplicate_of": None,
        "similarity": None,
    }
    message = {
        **outgoing.flat_fields,
        "event": CREATED,
        "cluster": article.id,
        "data": json.loads(outgoing.data_without_dedupe + ',"dedupe":' + json.dumps(dedupe) + "}"),
    }

    assert message["lang"] == ""
    schema_validator().validate(message)


def test_schema_rejects_a_message_with_a_missing_or_extra_field() -> None:
    validator = schema_validator()
    missing = complete_message()
    del missing["data"]["dedupe"]
    extra = complete_message()
    extra["data"]["surprise"] = 1
    bad_event = complete_message(event="article.deleted")

    assert not validator.is_valid(missing)
    assert not validator.is_valid(extra)
    assert not validator.is_valid(bad_event)


# --- dated_from_feed ------------------------------------------------------------------------


def test_dated_from_feed_keeps_the_page_date() -> None:
    page = make_page()

    assert dated_from_feed(make_entry(), page).published == DatedValue(PAGE_DATE, "jsonld")


def test_dated_from_feed_falls_back_to_the_feed_date_with_source_feed() -> None:
    page = make_page(published=None)

    dated = dated_from_feed(make_entry(), page)

    assert dated.published == DatedValue(FEED_DATE, "feed")
    assert dated.text == page.text


def test_dated_from_feed_leaves_the_page_undated_when_the_feed_has_no_date() -> None:
    page = make_page(published=None)

    assert dated_from_feed(make_entry(published=None), page).published is None


def test_dated_from_feed_prefers_the_feed_timestamp_over_a_bare_day_on_the_same_date() -> None:
    midnight = datetime(2025, 3, 1, tzinfo=UTC)
    page = make_page(published=DatedValue(midnight, "htmldate"))

    assert dated_from_feed(make_entry(), page).published == DatedValue(FEED_DATE, "feed")


def test_dated_from_feed_keeps_a_bare_page_day_far_from_the_feed_date() -> None:
    long_before = DatedValue(datetime(2024, 1, 5, tzinfo=UTC), "htmldate")
    page = make_page(published=long_before)

    assert dated_from_feed(make_entry(), page).published == long_before


def test_the_content_hash_is_of_the_page_identity_not_its_learnt_text() -> None:
    whole = make_article()
    learnt = make_article(text="Only the story.", identity_text=whole.page.text)

    assert learnt.content_hash == whole.content_hash
    assert learnt.page.text == "Only the story."
