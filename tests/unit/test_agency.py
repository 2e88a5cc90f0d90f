"""Wire agency detection: bylines, datelines and credit lines, never the story's own text."""

from __future__ import annotations

import pytest

from worker.stages.agency import (
    credited_in_byline,
    credited_in_dateline,
    credited_in_line,
    detect_agencies,
    is_agency,
)


@pytest.mark.parametrize(
    ("byline", "agencies"),
    [
        ("Agence France-Presse", ["AFP"]),
        ("The Associated Press", ["AP"]),
        ("APA/dpa", ["APA", "dpa"]),
        ("Reuters", ["Reuters"]),
        ("Yonhap News Agency", ["Yonhap"]),
        ("Press Trust of India", ["PTI"]),
        ("Dana Whitfield", []),
    ],
)
def test_agencies_named_in_a_byline(byline: str, agencies: list[str]) -> None:
    assert credited_in_byline([byline]) == agencies


@pytest.mark.parametrize(
    ("first_paragraph", "agencies"),
    [
        ("SEOUL (AFP) - South Korea summoned Russia's ambassador on Friday.", ["AFP"]),
        ("Hamburg (dpa) \u2013 Der Sturm hat den Bahnverkehr lahmgelegt.", ["dpa"]),
        ("WASHINGTON (AP) — The Senate voted on Tuesday.", ["AP"]),
        ("TOKYO (Kyodo) -- Japan's cabinet approved the budget.", ["Kyodo"]),
        ("Seoul summoned the ambassador (the second time this year) - officials said.", []),
    ],
)
def test_agencies_in_the_dateline(first_paragraph: str, agencies: list[str]) -> None:
    assert credited_in_dateline(first_paragraph) == agencies


def test_a_dateline_is_only_looked_for_before_the_first_sentence() -> None:
    late = "The minister spoke for an hour. " * 8 + "PARIS (AFP) - It was late."
    assert credited_in_dateline(late) == []


@pytest.mark.parametrize(
    ("line", "agencies"),
    [
        ("© AFP", ["AFP"]),
        ("(c) AFP 2024", ["AFP"]),
        ("Source: Agence France-Presse", ["AFP"]),
        ("Quelle: dpa", ["dpa"]),
        ("with Reuters", ["Reuters"]),
        ("AP contributed to this report", ["AP"]),
        ("2024-06-22T01:28:04+05:00 AFP", ["AFP"]),
        ("Reuters", ["Reuters"]),
    ],
)
def test_credit_lines_name_their_agency(line: str, agencies: list[str]) -> None:
    assert credited_in_line(line) == agencies


@pytest.mark.parametrize(
    "line",
    [
        "Reuters reported on Tuesday that the talks had stalled.",
        "The ap was downloaded a million times.",
        "Officials told Reuters and the BBC that the deal was close, and that details would "
        "follow within a week of the summit.",
    ],
)
def test_an_agency_named_in_the_story_is_not_a_credit(line: str) -> None:
    assert credited_in_line(line) == []


def test_acronyms_match_in_capitals_only() -> None:
    assert credited_in_byline(["afp"]) == []
    assert credited_in_byline(["Reporting by pa"]) == []
    assert credited_in_byline(["reuters"]) == ["Reuters"]


def test_agency_names_are_not_people() -> None:
    assert is_agency("Agence France-Presse")
    assert is_agency("APA/dpa")
    assert is_agency("AFP and Reuters")
    assert not is_agency("Dana Whitfield")
    assert not is_agency("Paul Wiseman, AP Economics Writer")


def test_detect_agencies_lists_each_once_in_the_order_found() -> None:
    found = detect_agencies(
        bylines=["Staff and agencies", "Agence France-Presse"],
        lines=["Source: Reuters", "© AFP"],
        first_paragraph="SEOUL (AFP) - South Korea summoned the ambassador.",
    )
    assert found == ("AFP", "Reuters")


def test_long_names_in_capitals_match_in_any_case() -> None:
    assert credited_in_byline(["ITAR-TASS", "Itar-Tass"]) == ["TASS", "TASS"]
