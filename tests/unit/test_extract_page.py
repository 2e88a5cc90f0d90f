"""extract_page, decode_document on pages, detect_language: page bytes in, an ExtractedPage out."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from worker.errors import PermanentError
from worker.models import DatedValue, ExtractedPage
from worker.stages.charset import decode_document
from worker.stages.extract import detect_language, extract_page

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "pages"


def page_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


NOW = utc(2026, 11, 30, 12)


@pytest.fixture(scope="module")
def news() -> ExtractedPage:
    return extract_page(
        page_bytes("news-jsonld.html"),
        now=NOW,
        url="https://courier.example/news/2024/06/22/new-tram-line-opens?utm_source=rss",
        content_type="text/html; charset=utf-8",
    )


class TestNewsPageWithJsonLd:
    def test_title_is_the_headline_without_the_site_name(self, news: ExtractedPage) -> None:
        assert news.title == "New tram line opens across the old city"

    def test_authors_are_the_json_ld_people_in_order(self, news: ExtractedPage) -> None:
        assert news.authors == ("Dilnoza Karimova", "Farrukh Yusupov")

    def test_published_keeps_the_time_and_becomes_utc(self, news: ExtractedPage) -> None:
        assert news.published == DatedValue(utc(2024, 6, 21, 20, 28, 4), "jsonld")

    def test_modified_comes_from_json_ld_too(self, news: ExtractedPage) -> None:
        assert news.modified == DatedValue(utc(2024, 6, 22, 4, 10), "jsonld")

    def test_language_site_name_and_section(self, news: ExtractedPage) -> None:
        assert news.language == "en"
        assert news.site_name == "Tashkent Courier"
        assert news.categories == ("City",)
        assert news.extractor == "trafilatura"

    def test_relative_canonical_and_image_are_made_absolute(self, news: ExtractedPage) -> None:
        assert news.canonical_url == "https://courier.example/news/2024/06/22/new-tram-line-opens"
        assert news.image == "https://courier.example/media/2024/06/tram-lead.jpg"

    def test_description_comes_from_the_meta_tag(self, news: ExtractedPage) -> None:
        assert news.description == (
            "The eleven-kilometre line links the northern bus station with the central market."
        )

    def test_body_is_the_story_paragraphs_separated_by_blank_lines(
        self, news: ExtractedPage
    ) -> None:
        paragraphs = news.text.split("\n\n")
        assert len(paragraphs) == 5
        assert paragraphs[0].startswith("The first passengers boarded the new tram line")
        assert paragraphs[0].endswith("stops at fourteen places along the way.")
        assert paragraphs[4] == (
            "A second line, running east to the university campus, is due to open next "
            "spring if the remaining bridge works finish on time."
        )

    def test_body_leaves_out_navigation_sidebar_footer_and_headline(
        self, news: ExtractedPage
    ) -> None:
        for boilerplate in (
            "Subscribe to our morning newsletter",
            "Most read",
            "Cup final goes to penalties",
            "All rights reserved",
            "Privacy policy",
            "New tram line opens",
        ):
            assert boilerplate not in news.text


@pytest.fixture(scope="module")
def meta_only() -> ExtractedPage:
    return extract_page(
        page_bytes("meta-only.html"),
        now=NOW,
        url="https://foerde-kurier.example/hafen/faehrstreik?ref=feed",
        content_type="text/html",
    )


class TestPageWithOnlyMetaTags:
    def test_title_drops_the_site_suffix(self, meta_only: ExtractedPage) -> None:
        assert meta_only.title == "Fährstreik legt den Hafen lahm"

    def test_author_comes_from_the_author_meta(self, meta_only: ExtractedPage) -> None:
        assert meta_only.authors == ("Jana Petersen",)

    def test_article_times_with_negative_offset_become_utc(self, meta_only: ExtractedPage) -> None:
        assert meta_only.published == DatedValue(utc(2024, 3, 5, 17, 15), "meta")
        assert meta_only.modified == DatedValue(utc(2024, 3, 5, 19, 0), "meta")

    def test_og_url_is_the_canonical_when_no_link_says_so(self, meta_only: ExtractedPage) -> None:
        assert meta_only.canonical_url == "https://foerde-kurier.example/hafen/faehrstreik"
        assert meta_only.image == "https://cdn.foerde-kurier.example/bilder/faehre.jpg"

    def test_german_text_is_german(self, meta_only: ExtractedPage) -> None:
        assert meta_only.language == "de"
        assert meta_only.site_name == "Förde Kurier"

    def test_body_has_the_paragraphs_and_no_menu_or_footer(self, meta_only: ExtractedPage) -> None:
        assert meta_only.text.startswith("Seit dem frühen Morgen liegen alle Fähren im Hafen fest.")
        assert meta_only.text.count("\n\n") == 2
        assert "Jetzt abonnieren" not in meta_only.text
        assert "Impressum" not in meta_only.text


@pytest.fixture(scope="module")
def cafes() -> ExtractedPage:
    return extract_page(
        page_bytes("windows-1252.html"), now=NOW, url="https://quayside.example/news/storm-cafes"
    )


class TestWindows1252PageDeclaredInMeta:
    def test_meta_charset_decodes_quotes_euro_and_accents(self, cafes: ExtractedPage) -> None:
        assert cafes.title == "Café owners count the cost of the storm"
        assert "“We have never seen waves come over the wall like that,”" in cafes.text
        assert "more than €40,000" in cafes.text
        assert "Wednesday evening — earlier" in cafes.text
        assert "Crêperie du Port" in cafes.text

    def test_time_element_in_the_article_dates_it(self, cafes: ExtractedPage) -> None:
        assert cafes.published == DatedValue(utc(2023, 11, 2, 14, 0), "time")
        assert cafes.modified is None

    def test_missing_metadata_is_none(self, cafes: ExtractedPage) -> None:
        assert cafes.authors == ()
        assert cafes.image is None
        assert cafes.canonical_url is None

    def test_the_page_decodes_as_windows_1252(self) -> None:
        assert decode_document(page_bytes("windows-1252.html"), "text/html").encoding == "cp1252"


@pytest.mark.parametrize(
    "content_type",
    [None, "text/html", "text/html; charset=iso-8859-1"],
    ids=["no header", "header without charset", "header with a wrong charset"],
)
def test_utf8_page_without_a_declaration_is_read_as_utf8(content_type: str | None) -> None:
    page = extract_page(
        page_bytes("utf8-undeclared.html"),
        now=NOW,
        url="https://przyroda.example/2024/03/18/zurawie-biebrza",
        content_type=content_type,
    )

    assert page.title == "Żurawie wracają nad rozlewiska Biebrzy"
    assert page.text.startswith("Pierwsze stada żurawi pojawiły się nad rozlewiskami Biebrzy")
    assert page.language == "pl"


def test_date_without_page_metadata_falls_back_to_the_url_day_at_midnight_utc() -> None:
    page = extract_page(
        page_bytes("utf8-undeclared.html"),
        now=NOW,
        url="https://przyroda.example/2024/03/18/zurawie-biebrza",
    )

    assert page.published == DatedValue(utc(2024, 3, 18), "url")


def test_timestamp_with_zone_wins_over_an_earlier_source_without_one() -> None:
    body = page_bytes("news-jsonld.html").replace(
        b'"datePublished": "2024-06-22T01:28:04+05:00"', b'"datePublished": "2024-06-22"'
    )

    page = extract_page(body, now=NOW, url="https://courier.example/news/tram")

    assert page.published == DatedValue(utc(2024, 6, 21, 20, 28, 4), "time")


def test_dates_before_1990_are_ignored() -> None:
    body = (
        page_bytes("meta-only.html")
        .replace(b"2024-03-05T09:15:00-08:00", b"1970-01-01T00:00:00Z")
        .replace(b"2024-03-05T11:00:00-08:00", b"1989-12-31T23:59:59Z")
    )

    page = extract_page(body, now=NOW, url="https://foerde-kurier.example/hafen/faehrstreik")

    assert page.published is None
    assert page.modified is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html><head><title></title></head><body></body></html>",
        b'<html><body><nav><a href="/">Home</a> <a href="/news">News</a></nav></body></html>',
    ],
    ids=["empty body", "empty page", "navigation only"],
)
def test_page_without_article_text_is_a_permanent_error(body: bytes) -> None:
    with pytest.raises(PermanentError) as raised:
        extract_page(body, now=NOW, url="https://empty.example/page")

    assert raised.value.stage == "extract"
    assert raised.value.subject == "https://empty.example/page"
    assert raised.value.reason == "no article text found"


@pytest.mark.parametrize(
    "body",
    [
        bytes(range(256)) * 40,
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(2000),
        b"<html><body><p>" + b"A story. " * 10 + b"\x00\x01\x02</p></body></html>",
    ],
    ids=["every byte", "an image", "markup with binary bytes"],
)
def test_binary_content_is_refused_whatever_its_encoding_reads_it_as(body: bytes) -> None:
    with pytest.raises(PermanentError) as raised:
        extract_page(body, now=NOW, url="https://files.example/download")

    assert raised.value.reason == "binary content, not a page"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("\ufeff".encode("utf-16-le") + page_bytes("news-jsonld.html").decode().encode("utf-16-le"),
         "text/html"),
        (page_bytes("news-jsonld.html").decode().encode("utf-16-le"),
         "text/html; charset=UTF-16LE"),
    ],
    ids=["byte order mark", "no byte order mark"],
)  # fmt: skip
def test_a_utf16_page_is_text(body: bytes, content_type: str) -> None:
    page = extract_page(body, now=NOW, url="https://courier.example/a", content_type=content_type)

    assert page.title == "New tram line opens across the old city"


def test_links_no_browser_could_open_are_ignored_and_the_page_extracted() -> None:
    body = page_bytes("news-jsonld.html").replace(
        b"<head>",
        b'<head><base href="https://[::1/"><link rel="canonical" href="https://[::1/x">'
        b'<meta property="og:image" content="//[cdn/a.jpg">',
        1,
    )
    body = body.replace(b'<link rel="canonical" href="/news/2024/06/22/new-tram-line-opens">', b"")

    page = extract_page(body, now=NOW, url="https://courier.example/a")

    assert page.title == "New tram line opens across the old city"
    assert page.canonical_url is None


class TestDecodePage:
    def test_byte_order_mark_wins_over_the_header(self) -> None:
        body = "\ufeff<p>Grüße</p>".encode("utf-16-le")
        decoded = decode_document(body, "text/html; charset=iso-8859-1")
        assert (decoded.text, decoded.encoding) == ("<p>Grüße</p>", "utf-16-le")

    def test_header_charset_wins_over_the_meta_charset(self) -> None:
        body = '<meta charset="iso-8859-1"><p>Привет</p>'.encode("cp1251")
        decoded = decode_document(body, "text/html; charset=windows-1251")
        assert "Привет" in decoded.text
        assert decoded.encoding == "cp1251"

    def test_meta_charset_is_used_without_a_header_charset(self) -> None:
        body = '<meta charset="koi8-r"><p>Привет</p>'.encode("koi8_r")
        decoded = decode_document(body, "text/html")
        assert "Привет" in decoded.text
        assert decoded.encoding == "koi8-r"

    def test_ascii_page_without_any_declaration_is_utf8(self) -> None:
        decoded = decode_document(b"<p>Hello</p>", None)
        assert (decoded.text, decoded.encoding) == ("<p>Hello</p>", "utf-8")

    @pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
    def test_a_wide_page_without_a_byte_order_mark_is_told_by_its_first_tag(
        self, codec: str
    ) -> None:
        page = "\n<!DOCTYPE html><html><p>Grüße</p></html>"
        decoded = decode_document(page.encode(codec), "text/html")
        assert (decoded.text, decoded.encoding) == (page, codec)


class TestDetectLanguage:
    def test_clear_text_is_identified(self) -> None:
        assert detect_language("Der Stadtrat hat am Montag den neuen Haushalt beschlossen.") == "de"

    def test_confident_detection_wins_over_a_wrong_declaration(self) -> None:
        text = "The council approved the new budget on Monday after a long debate."
        assert detect_language(text, declared="fr-FR") == "en"

    def test_unclear_text_takes_the_declared_language(self) -> None:
        assert detect_language("OK", declared="nb-NO") == "nb"
        assert detect_language("Mr. Smith", declared="en_GB") == "en"

    def test_unclear_text_without_a_declaration_has_no_language(self) -> None:
        assert detect_language("Mr. Smith") is None
        assert detect_language("") is None

    def test_declaration_that_is_not_a_language_tag_is_ignored(self) -> None:
        assert detect_language("OK", declared="english please") is None


def test_a_bare_host_and_port_is_not_taken_for_the_site_name() -> None:
    page = extract_page(
        page_bytes("utf8-undeclared.html"),
        now=NOW,
        url="http://127.0.0.1:8765/przyroda.example/2024/03/18/zurawie-biebrza",
    )

    assert page.site_name is None
