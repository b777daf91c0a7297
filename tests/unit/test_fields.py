"""Whole numbers typed by users: only plain ASCII digits, never an exception."""

import pytest

from tracker.fields import whole_number


@pytest.mark.parametrize("text, maximum, expected", [
    ("0", 6, 0), ("6", 6, 6), ("007", 365, 7), ("365", 365, 365),
    ("366", 365, None), ("7", 6, None), ("9" * 5000, 365, None), ("0" * 5000 + "1", 365, 1),
    ("", 6, None), (None, 6, None), (" 3", 6, None), ("-1", 6, None), ("+1", 6, None), ("1.0", 6, None),
    ("²", 6, None), ("٣", 6, None), ("３", 6, None),
])
def test_whole_number_accepts_only_plain_digits_within_the_maximum(text, maximum, expected):
    assert whole_number(text, maximum) == expected


# ---- one definition per rule: the same verdict and words for every door ----

from datetime import date  # noqa: E402

from tracker.deadlines import due_wording  # noqa: E402
from tracker.fields import (  # noqa: E402
    check_jurisdiction, check_key, check_line, check_text, check_timezone, check_url, normalize_email,
)
from tracker.packs.validate import PackInvalid, validate_pack  # noqa: E402


@pytest.mark.parametrize("name", ["localtime", "posixrules", "posix/UTC", "right/UTC", "Mars/Olympus",
                                  "../etc/passwd", "/UTC", "utc", ""])
def test_only_iana_time_zone_names_are_accepted(name):
    assert check_timezone(name) is not None


@pytest.mark.parametrize("name", ["UTC", "Europe/Berlin", "America/Los_Angeles", "Etc/GMT+5"])
def test_iana_time_zone_names_are_accepted(name):
    assert check_timezone(name) is None


@pytest.mark.parametrize("url", ["https://example.com", "HTTPS://Example.com/a?b=c", "http://127.0.0.1:8080/x"])
def test_http_urls_in_any_scheme_case_are_accepted(url):
    assert check_url(url) is None


@pytest.mark.parametrize("url", ["https://example.com/a b", "http://exa mple.com", "javascript:alert(1)",
                                 "ftp://example.com", "https://", "http://[::1", "https://example.com/\x00"])
def test_other_addresses_are_refused_in_the_same_words(url):
    assert check_url(url).endswith("is not an http(s) URL")


def test_reasons_name_the_character_and_quote_the_value():
    assert check_line("a\nb", 10) == "character U+000A is not allowed in 'a\\nb'"
    assert check_line("a\ud800", 10) == "character U+D800 is not allowed in 'a\\ud800'"
    assert check_text("two\r\nlines", 20) is None  # a browser's line ends
    assert check_text("lone\rcr", 20) == "character U+000D is not allowed in 'lone\\rcr'"
    assert check_key("-x").startswith("invalid key '-x' (must start with a letter or digit")
    assert check_jurisdiction("usa").startswith("invalid jurisdiction 'usa' (expected an upper-case ISO 3166")
    assert normalize_email("Buyer@Example.COM") == ("buyer@example.com", None)
    assert normalize_email("not-an-email")[1].startswith("invalid email 'not-an-email' (")


def _pack_error(section: str, field: str, value: str) -> str:
    pack = {"pack": "p", "teams": [{"key": "t", "name": "T", "timezone": "UTC"}],
            "sources": [{"key": "s", "title": "S", "kind": "bill", "jurisdiction": "US"}]}
    pack[section][0][field] = value
    with pytest.raises(PackInvalid) as info:
        validate_pack(pack)
    return info.value.errors[0]


@pytest.mark.parametrize("section, field, value, check", [
    ("teams", "timezone", "localtime", check_timezone),
    ("teams", "key", "has space", check_key),
    ("sources", "url", "https://example.com/a b", check_url),
    ("sources", "jurisdiction", "US-", check_jurisdiction),
    ("sources", "title", "tab\there", lambda value: check_line(value, 300)),
])
def test_a_pack_refuses_in_the_words_of_the_services(section, field, value, check):
    assert _pack_error(section, field, value) == f"{section}[0].{field}: {check(value)}"


def test_due_dates_have_one_wording():
    assert due_wording(date(2027, 2, 28), "month") == "2027-02-28 (from a month estimate)"
    assert due_wording(date(2026, 7, 1), "month") == "2026-07-01 (July 2026)"
    assert due_wording(date(2026, 7, 1), "day") == "2026-07-01"
    assert due_wording(None, "day") == "no date yet"
    assert due_wording(date(2027, 2, 28), "month", lambda d: f"{d:%a} {d.day} {d:%b %Y}") \
        == "Sun 28 Feb 2027 (from a month estimate)"


def test_search_text_loses_exactly_the_characters_the_one_line_rule_refuses():
    from tracker.fields import forbidden_character, without_forbidden

    typed = "a\x00b\x1bc\x85d\u2028e\ud800f\x7fg h\tí"
    cleaned = without_forbidden(typed)
    assert cleaned == "abcdefg hí" and forbidden_character(cleaned) is None
    assert without_forbidden(None) == ""
