"""Regulation pack validation: whole-pack checks, every error with its path, never a crash."""

from __future__ import annotations

import copy
import json
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.packs.validate import (
    MAX_PACK_BYTES,
    DeadlineSpec,
    EventSpec,
    ExistingKeys,
    MemberSpec,
    Pack,
    PackInvalid,
    load_pack_text,
    validate_pack,
)

EXAMPLE = {
    "pack": "ai-closure-2026",
    "teams": [
        {
            "key": "procurement",
            "name": "Procurement",
            "timezone": "America/Los_Angeles",
            "members": [{"email": "buyer@example.com", "name": "Buyer", "role": "editor"}],
        }
    ],
    "sources": [
        {
            "key": "chip-security-act",
            "title": "Chip Security Act",
            "kind": "bill",
            "jurisdiction": "US",
            "citation": "",
            "url": "",
            "summary": "",
        },
        {
            "key": "ca-eo-n-5-26",
            "title": "California Executive Order N-5-26",
            "kind": "executive_order",
            "jurisdiction": "US-CA",
        },
    ],
    "events": [
        {
            "key": "csa-committee",
            "source": "chip-security-act",
            "title": "Passed House Foreign Affairs Committee 42-0",
            "status": "occurred",
            "date": "2026-03-26",
        },
        {
            "key": "csa-enacted",
            "source": "chip-security-act",
            "title": "Chip Security Act enacted",
            "status": "expected",
            "date": "2026-09",
            "precision": "month",
        },
        {
            "key": "ca-eo-signed",
            "source": "ca-eo-n-5-26",
            "title": "Executive order signed",
            "status": "occurred",
            "date": "2026-03-30",
        },
    ],
    "obligations": [
        {
            "key": "csa-location-verification",
            "title": "Location verification on export-controlled AI chips",
            "team": "procurement",
            "events": ["csa-committee", "csa-enacted"],
            "deadline": {"rule": "relative", "anchor": "csa-enacted", "offset": 180, "unit": "days"},
        },
        {
            "key": "ca-vendor-cert",
            "title": "California vendor self-certification",
            "team": "procurement",
            "events": ["ca-eo-signed"],
            "deadline": {"rule": "fixed", "date": "2026-07", "precision": "month"},
        },
        {
            "key": "annual-recert",
            "title": "Annual vendor re-certification",
            "team": "procurement",
            "deadline": {"rule": "recurring", "date": "2027-07-01", "rrule": "FREQ=YEARLY"},
        },
    ],
}


def example() -> dict:
    return copy.deepcopy(EXAMPLE)


def errors_of(data: object, existing: ExistingKeys = ExistingKeys()) -> list[str]:
    with pytest.raises(PackInvalid) as info:
        validate_pack(data, existing)
    assert str(info.value) == "\n".join(info.value.errors)
    return info.value.errors


def only_error(data: object, existing: ExistingKeys = ExistingKeys()) -> str:
    errors = errors_of(data, existing)
    assert len(errors) == 1, errors
    return errors[0]


def minimal_with_obligation(deadline: dict, **fields) -> dict:
    pack = example()
    pack["obligations"] = [
        {"key": "o", "title": "T", "team": "procurement", "deadline": deadline, **fields}
    ]
    return pack


# ------------------------------------------------------------------ happy path


def test_example_pack_validates_into_typed_normalized_specs():
    pack = validate_pack(example())
    assert isinstance(pack, Pack)
    assert pack.name == "ai-closure-2026"
    assert pack.teams[0].members == (MemberSpec("buyer@example.com", "Buyer", "editor"),)
    assert pack.sources[1].citation == "" and pack.sources[1].url == ""
    assert pack.events[1] == EventSpec(
        key="csa-enacted",
        source="chip-security-act",
        title="Chip Security Act enacted",
        status="expected",
        date=date(2026, 9, 1),
        precision="month",
        description="",
    )
    assert pack.events[0].precision == "day"
    relative, fixed, recurring = (o.deadline for o in pack.obligations)
    assert relative == DeadlineSpec(rule="relative", anchor="csa-enacted", offset=180, unit="days")
    assert fixed == DeadlineSpec(rule="fixed", date=date(2026, 7, 1), precision="month")
    assert recurring == DeadlineSpec(rule="recurring", date=date(2027, 7, 1), rrule="FREQ=YEARLY")
    assert pack.obligations[0].events == ("csa-committee", "csa-enacted")
    assert pack.obligations[2].events == () and pack.obligations[2].owner is None


def test_example_pack_loads_from_text_and_utf8_bytes_with_bom():
    text = json.dumps(example())
    assert load_pack_text(text) == validate_pack(example())
    assert load_pack_text(b"\xef\xbb\xbf" + text.encode("utf-8")) == validate_pack(example())


def test_format_1_is_accepted():
    pack = example()
    pack["format"] = 1
    assert validate_pack(pack).name == "ai-closure-2026"


def test_empty_sections_may_be_omitted_or_null():
    assert validate_pack({"pack": "p"}) == Pack("p", (), (), (), ())
    assert validate_pack({"pack": "p", "teams": None, "events": []}).teams == ()


# ------------------------------------------------------------------ top level


def test_top_level_must_be_an_object():
    assert only_error([1, 2]) == "pack: expected an object, got list"
    assert only_error("x") == "pack: expected an object, got string 'x'"


def test_missing_pack_name_is_reported():
    pack = example()
    del pack["pack"]
    assert only_error(pack) == "pack: required field is missing"


def test_blank_pack_name_is_reported():
    pack = example()
    pack["pack"] = "   "
    assert only_error(pack) == "pack: must not be empty (got '   ')"


def test_unknown_top_level_field_is_reported():
    pack = example()
    pack["colour"] = "red"
    assert only_error(pack) == "colour: unknown field"


def test_format_other_than_integer_1_is_rejected():
    for value, shown in ((2, "2"), (True, "true"), ("1", "'1'"), (1.0, "1.0")):
        pack = example()
        pack["format"] = value
        assert only_error(pack) == f"format: unsupported format {shown} (expected 1)"


def test_section_that_is_not_a_list_is_reported():
    pack = example()
    pack["teams"] = {"key": "procurement"}
    errors = errors_of(pack)
    assert errors[0] == "teams: expected a list, got object"


# ------------------------------------------------------------------------ keys


def test_invalid_key_is_reported_with_its_path():
    pack = example()
    pack["sources"][0]["key"] = "-chip act"
    errors = errors_of(pack)
    assert errors[0] == (
        "sources[0].key: invalid key '-chip act' (must start with a letter or digit and contain"
        " only letters, digits, '.', '_', ':' and '-')"
    )


def test_key_longer_than_100_characters_is_reported():
    pack = example()
    pack["teams"][0]["key"] = "k" * 101
    assert errors_of(pack)[0] == f"teams[0].key: '{'k' * 77}...' is too long (101 characters; at most 100)"


def test_key_that_is_not_a_string_is_reported():
    pack = example()
    pack["sources"][1]["key"] = 7
    errors = errors_of(pack)
    assert errors[0] == "sources[1].key: expected a string, got number 7"


def test_duplicate_key_reports_the_later_path_and_the_first():
    pack = example()
    pack["events"].append(dict(pack["events"][1]))
    assert only_error(pack) == "events[3].key: duplicate key 'csa-enacted' (first at events[1])"


# ----------------------------------------------------------------------- teams


def test_unknown_time_zone_is_reported():
    pack = example()
    pack["teams"][0]["timezone"] = "Mars/Olympus"
    assert only_error(pack) == "teams[0].timezone: unknown time zone 'Mars/Olympus'"


@pytest.mark.parametrize("zone", ["../etc/passwd", "/etc/localtime", "America", "localtime", "Etc//UTC"])
def test_time_zone_paths_and_non_zone_names_are_rejected(zone):
    pack = example()
    pack["teams"][0]["timezone"] = zone
    assert only_error(pack) == f"teams[0].timezone: unknown time zone {zone!r}"


def test_empty_or_missing_time_zone_is_reported():
    pack = example()
    pack["teams"][0]["timezone"] = ""
    assert only_error(pack) == "teams[0].timezone: must not be empty"
    del pack["teams"][0]["timezone"]
    assert only_error(pack) == "teams[0].timezone: required field is missing"


def test_team_name_is_required():
    pack = example()
    pack["teams"][0]["name"] = None
    assert only_error(pack) == "teams[0].name: expected a string, got null"


def test_member_email_is_normalized_and_defaults_fill_name_and_role():
    pack = example()
    pack["teams"][0]["members"] = [{"email": " Ana.Lyst@Example.COM "}]
    member = validate_pack(pack).teams[0].members[0]
    assert member == MemberSpec(email="ana.lyst@example.com", name="ana.lyst", role="viewer")


def test_invalid_member_email_is_reported():
    pack = example()
    pack["teams"][0]["members"][0]["email"] = "not-an-email"
    error = only_error(pack)
    assert error.startswith("teams[0].members[0].email: invalid email 'not-an-email' (")


def test_unknown_member_role_is_reported():
    pack = example()
    pack["teams"][0]["members"][0]["role"] = "owner"
    assert only_error(pack) == (
        "teams[0].members[0].role: unknown role 'owner' (expected one of admin, editor, viewer)"
    )


def test_duplicate_member_email_within_a_team_is_reported():
    pack = example()
    pack["teams"][0]["members"].append({"email": "BUYER@example.com"})
    assert only_error(pack) == (
        "teams[0].members[1].email: duplicate member 'buyer@example.com' (first at teams[0].members[0])"
    )


# --------------------------------------------------------------------- sources


def test_unknown_source_field_is_reported():
    pack = example()
    pack["sources"][0]["colour"] = "blue"
    assert only_error(pack) == "sources[0].colour: unknown field"


def test_unknown_source_kind_is_reported():
    pack = example()
    pack["sources"][0]["kind"] = "tweet"
    assert only_error(pack) == (
        "sources[0].kind: unknown kind 'tweet' (expected one of bill, executive_order, agency_rule,"
        " enforcement_case, vendor_program, announcement, other)"
    )


@pytest.mark.parametrize("code", ["US", "US-CA", "EU", "GB", "DE-BY", "FR-75"])
def test_valid_jurisdictions_are_accepted(code):
    pack = example()
    pack["sources"][0]["jurisdiction"] = code
    assert validate_pack(pack).sources[0].jurisdiction == code


@pytest.mark.parametrize("code", ["us", "USA", "US-", "US-CALI", "U", "US_CA"])
def test_invalid_jurisdiction_is_reported(code):
    pack = example()
    pack["sources"][0]["jurisdiction"] = code
    assert only_error(pack) == (
        f"sources[0].jurisdiction: invalid jurisdiction {code!r} (expected an upper-case ISO 3166"
        " code such as 'US', 'US-CA' or 'EU')"
    )


def test_http_urls_are_accepted():
    pack = example()
    pack["sources"][0]["url"] = "https://www.congress.gov/bill/119th-congress"
    pack["sources"][1]["url"] = "http://gov.ca.gov/eo?n=5"
    assert validate_pack(pack).sources[1].url == "http://gov.ca.gov/eo?n=5"


@pytest.mark.parametrize("url", ["ftp://x.org/a", "javascript:alert(1)", "https://", "www.x.org", "https://a b"])
def test_non_http_url_is_reported(url):
    pack = example()
    pack["sources"][0]["url"] = url
    assert only_error(pack) == f"sources[0].url: {url!r} is not an http(s) URL"


def test_overlong_citation_is_reported():
    pack = example()
    pack["sources"][0]["citation"] = "c" * 301
    assert only_error(pack).startswith("sources[0].citation: 'ccc")
    assert only_error(pack).endswith("...' is too long (301 characters; at most 300)")


# ---------------------------------------------------------------------- events


def test_unknown_event_source_is_reported():
    pack = example()
    pack["events"][0]["source"] = "nowhere"
    assert only_error(pack) == "events[0].source: unknown source 'nowhere'"


def test_unknown_event_status_is_reported():
    pack = example()
    pack["events"][0]["status"] = "rumoured"
    assert only_error(pack) == (
        "events[0].status: unknown status 'rumoured' (expected one of occurred, expected, speculative, withdrawn)"
    )


@pytest.mark.parametrize("status", ["occurred", "expected"])
def test_date_is_required_for_occurred_and_expected_events(status):
    pack = example()
    pack["events"][1]["status"] = status
    del pack["events"][1]["date"]
    del pack["events"][1]["precision"]
    assert only_error(pack) == f"events[1].date: required when status is '{status}'"


def test_speculative_event_must_not_have_a_date():
    pack = example()
    pack["events"][1]["status"] = "speculative"
    assert only_error(pack) == "events[1].date: must be empty when status is 'speculative' (got '2026-09')"


def test_speculative_event_with_null_date_and_withdrawn_without_date_are_fine():
    pack = example()
    pack["events"][1].update(status="speculative", date=None)
    del pack["events"][1]["precision"]
    pack["events"][0]["status"] = "withdrawn"
    del pack["events"][0]["date"]
    events = validate_pack(pack).events
    assert (events[1].date, events[1].precision) == (None, "day")
    assert (events[0].status, events[0].date) == ("withdrawn", None)


def test_withdrawn_event_keeps_its_last_estimate():
    pack = example()
    pack["events"][1]["status"] = "withdrawn"
    assert validate_pack(pack).events[1].date == date(2026, 9, 1)


def test_invalid_event_date_is_reported_with_the_value():
    pack = example()
    pack["events"][1]["date"] = "2026-13"
    del pack["events"][1]["precision"]
    error = only_error(pack)
    assert error.startswith("events[1].date: '2026-13' is not a valid date (")
    assert error.endswith(")")


def test_event_date_with_a_year_out_of_range_says_so():
    pack = example()
    pack["events"][1]["date"] = "1850-03-01"
    del pack["events"][1]["precision"]
    assert only_error(pack) == "events[1].date: '1850-03-01' is out of range: the year must be between 1900 and 2200"


def test_event_date_that_is_not_a_string_is_reported():
    pack = example()
    pack["events"][0]["date"] = 20260326
    assert only_error(pack) == "events[0].date: expected a string, got number 20260326"


def test_precision_that_disagrees_with_the_date_is_reported_on_precision():
    pack = example()
    pack["events"][1]["precision"] = "day"
    assert only_error(pack) == (
        "events[1].precision: 'day' does not match the date '2026-09' (which has 'month' precision)"
    )


def test_unknown_precision_is_reported():
    pack = example()
    pack["events"][1]["precision"] = "week"
    assert only_error(pack).startswith("events[1].precision: unknown precision 'week' (expected one of day, month")


# ----------------------------------------------------------------- obligations


def test_unknown_obligation_team_is_reported():
    pack = example()
    pack["obligations"][1]["team"] = "legal"
    assert only_error(pack) == "obligations[1].team: unknown team 'legal'"


def test_unknown_linked_event_is_reported_with_its_index():
    pack = example()
    pack["obligations"][1]["events"] = ["ca-eo-signed", "ca-eo-vetoed"]
    assert only_error(pack) == "obligations[1].events[1]: unknown event 'ca-eo-vetoed'"


def test_duplicate_linked_event_is_reported():
    pack = example()
    pack["obligations"][0]["events"].append("csa-committee")
    assert only_error(pack) == (
        "obligations[0].events[2]: duplicate event 'csa-committee' (first at obligations[0].events[0])"
    )


def test_obligation_events_must_be_a_list_of_strings():
    pack = example()
    pack["obligations"][0]["events"] = "csa-committee"
    assert only_error(pack) == "obligations[0].events: expected a list, got string 'csa-committee'"
    pack["obligations"][0]["events"] = [{"key": "csa-committee"}]
    assert only_error(pack) == "obligations[0].events[0]: expected a string, got object"


def test_owner_must_be_a_pack_member_or_existing_user():
    pack = example()
    pack["obligations"][0]["owner"] = "stranger@example.com"
    assert only_error(pack) == (
        "obligations[0].owner: 'stranger@example.com' is not a member of a team in this pack or an existing user"
    )


def test_owner_is_normalized_and_matched_against_members():
    pack = example()
    pack["obligations"][0]["owner"] = "Buyer@EXAMPLE.com"
    assert validate_pack(pack).obligations[0].owner == "buyer@example.com"


def test_invalid_owner_email_is_reported():
    pack = example()
    pack["obligations"][0]["owner"] = "buyer at example"
    assert only_error(pack).startswith("obligations[0].owner: invalid email 'buyer at example' (")


def test_missing_deadline_is_reported():
    pack = example()
    del pack["obligations"][2]["deadline"]
    assert only_error(pack) == "obligations[2].deadline: required field is missing"


def test_deadline_that_is_not_an_object_is_reported():
    pack = example()
    pack["obligations"][2]["deadline"] = "2027-07-01"
    assert only_error(pack) == "obligations[2].deadline: expected an object, got string '2027-07-01'"


def test_missing_or_unknown_deadline_rule_is_reported():
    assert only_error(minimal_with_obligation({"date": "2026-07"})) == (
        "obligations[0].deadline.rule: required field is missing"
    )
    assert only_error(minimal_with_obligation({"rule": "whenever"})) == (
        "obligations[0].deadline.rule: must be one of fixed, relative, recurring, earliest, latest, got 'whenever'"
    )


def test_fixed_deadline_needs_a_date():
    assert only_error(minimal_with_obligation({"rule": "fixed"})) == (
        "obligations[0].deadline.date: required field is missing"
    )


def test_fixed_deadline_precision_must_agree_with_the_date():
    error = only_error(minimal_with_obligation({"rule": "fixed", "date": "2026-07", "precision": "year"}))
    assert error == "obligations[0].deadline.date: precision 'year' does not match '2026-07' (month)"


def test_fields_of_another_rule_are_rejected():
    error = only_error(minimal_with_obligation({"rule": "fixed", "date": "2026-07", "anchor": "csa-enacted"}))
    assert error == "obligations[0].deadline.anchor: not used by a 'fixed' deadline"


def test_unknown_deadline_field_is_reported():
    error = only_error(minimal_with_obligation({"rule": "fixed", "date": "2026-07", "grace": 3}))
    assert error == "obligations[0].deadline.grace: unknown field"


def test_unknown_anchor_is_reported_with_its_path():
    pack = example()
    pack["obligations"][0]["deadline"]["anchor"] = "x"
    assert only_error(pack) == "obligations[0].deadline.anchor: unknown event 'x'"


def test_relative_deadline_needs_an_offset():
    error = only_error(minimal_with_obligation({"rule": "relative", "anchor": "csa-enacted"}))
    assert error == "obligations[0].deadline.offset: required field is missing"


@pytest.mark.parametrize(
    "offset, shown",
    [(True, "True"), (180.5, "180.5"), ("180", "'180'"), (None, "None"), ([180], "[180]")],
)
def test_offset_must_be_a_real_integer(offset, shown):
    error = only_error(minimal_with_obligation({"rule": "relative", "anchor": "csa-enacted", "offset": offset}))
    assert error == f"obligations[0].deadline.offset: must be a whole number, got {shown}"


def test_a_whole_float_offset_is_the_same_whole_number():
    pack = minimal_with_obligation({"rule": "relative", "anchor": "csa-enacted", "offset": 180.0})
    assert validate_pack(pack).obligations[0].deadline.offset == 180


@pytest.mark.parametrize(
    "offset, unit, ok",
    [
        (3650, "days", True),
        (-3650, "business_days", True),
        (3651, "days", False),
        (-3651, "business_days", False),
        (120, "months", True),
        (-121, "months", False),
    ],
)
def test_offset_range_depends_on_the_unit(offset, unit, ok):
    pack = minimal_with_obligation({"rule": "relative", "anchor": "csa-enacted", "offset": offset, "unit": unit})
    if ok:
        assert validate_pack(pack).obligations[0].deadline.offset == offset
    else:
        limit = 120 if unit == "months" else 3650
        assert only_error(pack) == (
            f"obligations[0].deadline.offset: {offset} is out of range for unit '{unit}'"
            f" (allowed -{limit} to {limit})"
        )


def test_unit_defaults_to_days_and_unknown_unit_is_reported():
    pack = minimal_with_obligation({"rule": "relative", "anchor": "csa-enacted", "offset": 5})
    assert validate_pack(pack).obligations[0].deadline.unit == "days"
    pack["obligations"][0]["deadline"]["unit"] = "weeks"
    assert only_error(pack) == (
        "obligations[0].deadline.unit: must be one of days, business_days, months, got 'weeks'"
    )


def test_calendar_is_only_allowed_with_business_days():
    pack = minimal_with_obligation(
        {"rule": "relative", "anchor": "csa-enacted", "offset": 5, "unit": "days", "calendar": "US"}
    )
    assert only_error(pack) == (
        "obligations[0].deadline.calendar: only used with unit 'business_days' or a roll"
    )


def test_supported_calendar_is_accepted_and_unknown_calendar_is_reported():
    deadline = {"rule": "relative", "anchor": "csa-enacted", "offset": 5, "unit": "business_days", "calendar": "US-CA"}
    pack = minimal_with_obligation(deadline)
    assert validate_pack(pack).obligations[0].deadline.calendar == "US-CA"
    pack["obligations"][0]["deadline"]["calendar"] = "Narnia"
    assert only_error(pack) == ("obligations[0].deadline.calendar: unknown holiday calendar 'Narnia'"
                                " (use e.g. US, US-CA, DE, GB or EU)")


def test_recurring_deadline_needs_a_day_precision_date():
    pack = example()
    pack["obligations"][2]["deadline"]["date"] = "2027-07"
    assert only_error(pack) == (
        "obligations[2].deadline.date: '2027-07' is not a full date (a recurring deadline needs"
        " day precision)"
    )


def test_invalid_rrule_is_reported():
    pack = example()
    pack["obligations"][2]["deadline"]["rrule"] = "FREQ=SOMETIMES"
    assert only_error(pack).startswith("obligations[2].deadline.rrule: invalid recurrence rule 'FREQ=SOMETIMES' (")


def test_recurring_deadline_needs_an_rrule():
    pack = example()
    del pack["obligations"][2]["deadline"]["rrule"]
    assert only_error(pack) == "obligations[2].deadline.rrule: required field is missing"


def test_read_only_export_fields_are_ignored_but_other_unknown_fields_are_not():
    pack = example()
    pack["obligations"][0].update(due_date="2027-03-01", due_state="upcoming", revision=3, status={"x": 1})
    assert validate_pack(pack).obligations[0].key == "csa-location-verification"
    pack["obligations"][0]["due"] = "soon"
    assert only_error(pack) == "obligations[0].due: unknown field"


def test_existing_keys_satisfy_references():
    pack = {
        "pack": "follow-up",
        "events": [{"key": "e2", "source": "old-source", "title": "T", "status": "speculative"}],
        "obligations": [
            {
                "key": "o",
                "title": "T",
                "team": "old-team",
                "events": ["old-event", "e2"],
                "owner": "Boss@Example.com",
                "deadline": {"rule": "relative", "anchor": "old-event", "offset": 1, "unit": "months"},
            }
        ],
    }
    existing = ExistingKeys(
        teams=frozenset({"old-team"}),
        sources=frozenset({"old-source"}),
        events=frozenset({"old-event"}),
        users=frozenset({"boss@example.com"}),
    )
    obligation = validate_pack(pack, existing).obligations[0]
    assert (obligation.team, obligation.events, obligation.owner) == ("old-team", ("old-event", "e2"), "boss@example.com")
    assert errors_of(pack) == [
        "events[0].source: unknown source 'old-source'",
        "obligations[0].team: unknown team 'old-team'",
        "obligations[0].events[0]: unknown event 'old-event'",
        "obligations[0].owner: 'boss@example.com' is not a member of a team in this pack or an existing user",
        "obligations[0].deadline.anchor: unknown event 'old-event'",
    ]


# --------------------------------------------------------------------- strings


@pytest.mark.parametrize(
    "bad, code, shown",
    [("a\nb", "000A", "a\\nb"), ("a\x00b", "0000", "a\\x00b"), ("a\x85b", "0085", "a\\x85b"),
     ("a\u2028b", "2028", "a\\u2028b"), ("a\x7fb", "007F", "a\\x7fb")],
)
def test_control_characters_in_single_line_strings_are_rejected(bad, code, shown):
    pack = example()
    pack["sources"][0]["title"] = bad
    assert only_error(pack) == f"sources[0].title: character U+{code} is not allowed in '{shown}'"


def test_multi_line_fields_allow_newline_and_tab_only():
    pack = example()
    pack["sources"][0]["summary"] = "line one\n\tline two\n"
    pack["events"][0]["description"] = "first\nsecond"
    valid = validate_pack(pack)
    assert valid.sources[0].summary == "line one\n\tline two\n"
    assert valid.events[0].description == "first\nsecond"
    pack["sources"][0]["summary"] = "windows\r\nline"
    assert only_error(pack) == "sources[0].summary: character U+000D is not allowed in 'windows\\r\\nline'"


def test_single_line_strings_are_stripped():
    pack = example()
    pack["sources"][0]["title"] = "  Chip Security Act  "
    pack["events"][0]["source"] = " chip-security-act "
    valid = validate_pack(pack)
    assert valid.sources[0].title == "Chip Security Act"
    assert valid.events[0].source == "chip-security-act"


def test_required_string_empty_after_stripping_is_reported():
    pack = example()
    pack["obligations"][0]["title"] = "   "
    assert only_error(pack) == "obligations[0].title: must not be empty (got '   ')"


def test_overlong_title_and_description_are_reported():
    pack = example()
    pack["events"][0]["title"] = "t" * 301
    pack["events"][0]["description"] = "d" * 10_001
    assert [e.split(":")[0] for e in errors_of(pack)] == ["events[0].title", "events[0].description"]
    pack["events"][0]["title"] = "t" * 300
    pack["events"][0]["description"] = "d" * 10_000
    validate_pack(pack)


def test_offending_values_are_shortened_and_escaped_into_one_line():
    pack = example()
    pack["teams"][0]["timezone"] = "Mars/" + "x\u2029" * 40
    error = only_error(pack)
    assert "\n" not in error and error.isprintable()
    value = error.split("character U+2029 is not allowed in ", 1)[1]
    assert value.startswith("'Mars/x\\u2029") and value.endswith("...'")
    assert len(value) <= 82


def test_wrong_typed_list_items_are_reported_and_the_rest_still_checked():
    pack = example()
    pack["sources"].insert(1, "ca-eo-n-5-26")
    pack["events"][2]["title"] = 5
    assert errors_of(pack) == [
        "sources[1]: expected an object, got string 'ca-eo-n-5-26'",
        "events[2].title: expected a string, got number 5",
    ]


def test_many_problems_are_all_listed_in_document_order():
    pack = example()
    pack["teams"][0]["timezone"] = "Mars/Olympus"
    pack["teams"][0]["members"][0]["role"] = "boss"
    pack["sources"][0]["kind"] = "rumour"
    pack["sources"][1]["url"] = "gopher://x"
    pack["events"][0]["status"] = "maybe"
    pack["events"][1]["date"] = "2026-13"
    pack["obligations"][0]["deadline"]["anchor"] = "x"
    pack["obligations"][0]["deadline"]["offset"] = 4000
    pack["obligations"][1]["team"] = "legal"
    pack["obligations"][2]["deadline"]["rrule"] = 12
    pack["zzz"] = 1
    errors = errors_of(pack)
    assert [e.split(": ")[0] for e in errors] == [
        "teams[0].timezone",
        "teams[0].members[0].role",
        "sources[0].kind",
        "sources[1].url",
        "events[0].status",
        "events[1].date",
        "obligations[0].deadline.anchor",
        "obligations[0].deadline.offset",
        "obligations[1].team",
        "obligations[2].deadline.rrule",
        "zzz",
    ]


def test_errors_follow_document_order_even_when_sections_come_first():
    pack = {"obligations": [{"key": "o", "title": "T", "team": "t", "deadline": {"rule": "x"}}], "pack": ""}
    assert errors_of(pack) == [
        "obligations[0].team: unknown team 't'",
        "obligations[0].deadline.rule: must be one of fixed, relative, recurring, earliest, latest, got 'x'",
        "pack: must not be empty",
    ]


# ------------------------------------------------------------------- loading


def load_errors(text: str | bytes) -> list[str]:
    with pytest.raises(PackInvalid) as info:
        load_pack_text(text)
    return info.value.errors


def test_non_json_text_gives_one_error_with_line_and_column():
    assert load_errors('{\n  "pack": }') == ["pack: not valid JSON (line 2, column 11: Expecting value)"]


def test_nan_and_infinity_are_rejected_with_their_path():
    text = json.dumps(example()).replace('"offset": 180', '"offset": NaN').replace('"name": "Buyer"', '"name": -Infinity')
    assert load_errors(text) == [
        "teams[0].members[0].name: -Infinity is not allowed",
        "obligations[0].deadline.offset: NaN is not allowed",
    ]


def test_duplicate_json_object_keys_are_rejected():
    text = json.dumps(example()).replace('"key": "csa-committee",', '"key": "csa-committee", "title": "x",', 1)
    assert load_errors(text) == ["events[0]: duplicate field 'title'"]


def test_bytes_must_be_utf8():
    assert load_errors(b'{"pack": "\xff"}') == ["pack: not valid UTF-8 (byte 0xff at offset 10)"]


def test_oversized_input_is_refused_before_parsing():
    text = '{"pack": "p", "sources": [' + " " * MAX_PACK_BYTES + "]}"
    errors = load_errors(text)
    assert errors == [f"pack: too large ({len(text)} bytes; at most {MAX_PACK_BYTES})"]
    assert load_errors(text.encode()) == errors


def test_deeply_nested_json_is_an_error_not_a_crash():
    errors = load_errors('{"pack": "p", "teams": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert len(errors) == 1 and errors[0].startswith("pack: ")


def test_non_text_input_is_an_error_not_a_crash():
    assert load_errors(42) == ["pack: expected JSON text, got int"]  # type: ignore[arg-type]


# -------------------------------------------------------------------- fuzzing

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            yield from _paths(child, prefix + (i,))


ALL_PATHS = list(_paths(EXAMPLE))
FIELD_NAMES = sorted({p[-1] for p in ALL_PATHS if p and isinstance(p[-1], str)} | {"format", "owner", "calendar"})


def _check_outcome(data):
    try:
        result = validate_pack(data)
    except PackInvalid as exc:
        assert exc.errors, "PackInvalid without errors"
        for error in exc.errors:
            assert isinstance(error, str) and "\n" not in error and ": " in error
            assert error.isprintable()
    else:
        assert isinstance(result, Pack)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzz_replacing_any_part_of_the_pack_never_raises(data):
    pack = example()
    for _ in range(data.draw(st.integers(1, 4))):
        path = data.draw(st.sampled_from(ALL_PATHS))
        value = data.draw(json_values)
        if not path:
            pack = value
            continue
        target = pack
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    _check_outcome(pack)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["teams", "sources", "events", "obligations"]),
    st.dictionaries(st.sampled_from(FIELD_NAMES + ["deadline"]), json_values, max_size=8),
    st.dictionaries(st.sampled_from(["rule", "date", "precision", "anchor", "offset", "unit", "calendar", "rrule"]),
                    json_values, max_size=6),
)
def test_fuzz_items_with_known_field_names_and_arbitrary_values_never_raise(section, item, deadline):
    pack = example()
    if section == "obligations" and "deadline" in item and isinstance(item["deadline"], dict):
        item["deadline"] = deadline
    pack[section].append(item)
    _check_outcome(pack)


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.binary(), json_values.map(json.dumps)))
def test_fuzz_loading_arbitrary_text_never_raises(text):
    try:
        load_pack_text(text)
    except PackInvalid as exc:
        assert exc.errors and all("\n" not in e for e in exc.errors)


# ----------------------------------------------------------------- performance


def big_pack(n: int) -> dict:
    pack = example()
    pack["obligations"] = [
        {
            "key": f"obligation-{i}",
            "title": f"Obligation number {i}",
            "team": "procurement",
            "events": ["csa-committee", "csa-enacted"],
            "owner": "buyer@example.com",
            "description": "Line one\nLine two",
            "deadline": (
                {"rule": "relative", "anchor": "csa-enacted", "offset": i % 365, "unit": "business_days", "calendar": "US"}
                if i % 3 == 0
                else {"rule": "fixed", "date": f"2026-{i % 12 + 1:02d}", "precision": "month"}
                if i % 3 == 1
                else {"rule": "recurring", "date": "2027-07-01", "rrule": "FREQ=YEARLY"}
            ),
        }
        for i in range(n)
    ]
    return pack


def test_five_thousand_obligations_validate():
    # Timing lives in benchmarks/bench_engine.py; this checks the big pack is accepted whole.
    pack = load_pack_text(json.dumps(big_pack(5000)))
    assert len(pack.obligations) == 5000
