"""Tests for tracker.deadlines.

Every expected date below was checked by hand against a 2026/2027 calendar
(1 Jan 2026 is a Thursday; 4 Jul 2026 is a Saturday, observed Friday 3 Jul;
Thanksgiving is Thursday 26 Nov 2026 and California also closes Friday 27 Nov).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines import (
    PRECISIONS,
    RULES,
    UNITS,
    Anchor,
    DeadlineRule,
    Due,
    DueState,
    EventStatus,
    PartialDate,
    add_offset,
    business_calendar_for,
    compute_due,
    explain,
    is_working_day,
    next_occurrence,
    occurrences,
    parse_partial_date,
    partial_from,
    supported_calendar,
    validate_rrule,
)

D = date.fromisoformat


def test_public_constants_list_the_spec_values():
    assert PRECISIONS == ("day", "month", "quarter", "year")
    assert RULES == ("fixed", "relative", "recurring")
    assert UNITS == ("days", "business_days", "months")
    assert DueState.PROJECTED == "projected" and EventStatus.WITHDRAWN == "withdrawn"


# ---- partial dates ----

@pytest.mark.parametrize("text, first, precision, last", [
    ("2026-07-01", "2026-07-01", "day", "2026-07-01"),
    ("2024-02-29", "2024-02-29", "day", "2024-02-29"),
    ("2026-07", "2026-07-01", "month", "2026-07-31"),
    ("2028-02", "2028-02-01", "month", "2028-02-29"),
    ("2026-Q1", "2026-01-01", "quarter", "2026-03-31"),
    ("2026-Q3", "2026-07-01", "quarter", "2026-09-30"),
    ("2026-Q4", "2026-10-01", "quarter", "2026-12-31"),
    ("2026", "2026-01-01", "year", "2026-12-31"),
    ("1900", "1900-01-01", "year", "1900-12-31"),
    ("2200-12-31", "2200-12-31", "day", "2200-12-31"),
])
def test_valid_partial_dates_parse_to_their_window(text, first, precision, last):
    parsed = parse_partial_date(text)
    assert parsed == PartialDate(D(first), precision)
    assert parsed.last == D(last)
    assert parsed.iso() == text
    assert parse_partial_date(text, precision) == parsed


@pytest.mark.parametrize("text", [
    "2026-02-30", "2026-13", "2026-00", "2026-Q5", "2026-Q0", "2026-q3", "2026-7",
    "2026-07-1", " 2026", "2026 ", "2026\n", "２０２６", "+2026", "-2026",
    "", "2026-07-01T00:00", "2026/07/01", "26", "20260701", "2026-",
])
def test_malformed_partial_dates_are_rejected(text):
    with pytest.raises(ValueError, match="is not a valid date"):
        parse_partial_date(text)


@pytest.mark.parametrize("text", ["1899", "1899-12-31", "2201-01", "0001-01-01", "9999-Q4"])
def test_years_outside_the_supported_range_say_so(text):
    with pytest.raises(ValueError) as exc:
        parse_partial_date(text)
    assert str(exc.value) == f"'{text}' is out of range: the year must be between 1900 and 2200"


def test_invalid_partial_date_message_names_the_accepted_forms():
    with pytest.raises(ValueError) as exc:
        parse_partial_date("2026-13")
    assert str(exc.value) == "'2026-13' is not a valid date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)"


def test_explicit_precision_must_match_the_textual_form():
    with pytest.raises(ValueError) as exc:
        parse_partial_date("2026-07", "day")
    assert str(exc.value) == "precision 'day' does not match '2026-07' (month)"
    with pytest.raises(ValueError, match="unknown precision"):
        parse_partial_date("2026", "week")


@pytest.mark.parametrize("text, label", [
    ("2026-07-01", "2026-07-01"), ("2026-07", "July 2026"), ("2026-09", "September 2026"),
    ("2026-Q3", "Q3 2026"), ("2026", "2026"),
])
def test_labels_are_human_readable(text, label):
    assert parse_partial_date(text).label() == label


@pytest.mark.parametrize("day, precision, first", [
    ("2026-08-15", "day", "2026-08-15"), ("2026-08-15", "month", "2026-08-01"),
    ("2026-08-15", "quarter", "2026-07-01"), ("2026-12-31", "quarter", "2026-10-01"),
    ("2026-08-15", "year", "2026-01-01"),
])
def test_partial_from_normalises_to_the_window_start(day, precision, first):
    assert partial_from(D(day), precision) == PartialDate(D(first), precision)


def test_partial_date_refuses_a_first_day_that_is_not_the_window_start():
    with pytest.raises(ValueError, match="partial_from"):
        PartialDate(D("2026-07-15"), "month")
    with pytest.raises(ValueError, match="unknown precision"):
        partial_from(D("2026-07-15"), "week")


# ---- calendars and offsets ----

@pytest.mark.parametrize("code, ok", [
    ("US", True), ("US-CA", True), ("EU", True), ("DE", True), ("GB", True), ("FR", True),
    ("DE-BY", True), ("XX", False), ("US-ZZ", False), ("", False), ("us", False),
    ("EU-XX", False), ("USA", False),
])
def test_supported_calendar_knows_country_subdivision_and_eu_codes(code, ok):
    assert supported_calendar(code) is ok


@pytest.mark.parametrize("day, calendar, working", [
    ("2026-07-03", "US", False),   # Independence Day observed (4 Jul is a Saturday)
    ("2026-07-02", "US", True),
    ("2026-07-04", "US", False),   # Saturday
    ("2026-11-26", "US", False),   # Thanksgiving
    ("2026-11-27", "US", True),    # federal offices open the day after
    ("2026-11-27", "US-CA", False),  # California closes it
    ("2021-12-31", "US", False),   # New Year's Day 2022 (Saturday) observed in the previous year
    ("2026-04-03", "EU", False),   # Good Friday: TARGET closed
    ("2026-04-06", "EU", False),   # Easter Monday
    ("2026-07-03", "EU", True),    # US holidays do not apply to the EU calendar
])
def test_is_working_day_uses_weekends_and_the_jurisdictions_holidays(day, calendar, working):
    assert is_working_day(D(day), calendar) is working


@pytest.mark.parametrize("start, offset, unit, calendar, expected", [
    # calendar days
    ("2026-08-06", 180, "days", "US", "2027-02-02"),
    ("2026-09-01", 180, "days", "US", "2027-02-28"),
    ("2026-08-06", -30, "days", "US", "2026-07-07"),
    # months, clamped to the end of the month
    ("2026-01-31", 1, "months", "US", "2026-02-28"),
    ("2028-01-31", 1, "months", "US", "2028-02-29"),
    ("2026-03-31", -1, "months", "US", "2026-02-28"),
    ("2026-08-06", -3, "months", "US", "2026-05-06"),
    ("2026-08-31", 3, "months", "US", "2026-11-30"),
    # business days around 4 July 2026 (observed Friday 3 July)
    ("2026-07-01", 1, "business_days", "US", "2026-07-02"),
    ("2026-07-01", 2, "business_days", "US", "2026-07-06"),
    ("2026-07-01", 3, "business_days", "US", "2026-07-07"),
    ("2026-07-02", 1, "business_days", "US", "2026-07-06"),
    ("2026-07-06", -1, "business_days", "US", "2026-07-02"),
    ("2026-07-04", 1, "business_days", "US", "2026-07-06"),
    ("2026-07-04", -1, "business_days", "US", "2026-07-02"),
    # Thanksgiving 2026: federal closes Thu 26; California also Fri 27
    ("2026-11-25", 1, "business_days", "US", "2026-11-27"),
    ("2026-11-25", 1, "business_days", "US-CA", "2026-11-30"),
    ("2026-11-20", 10, "business_days", "US", "2026-12-07"),
    ("2026-11-20", 10, "business_days", "US-CA", "2026-12-08"),
    ("2026-11-30", -1, "business_days", "US", "2026-11-27"),
    ("2026-11-30", -1, "business_days", "US-CA", "2026-11-25"),
    # across a year boundary (1 Jan 2027 is a Friday)
    ("2027-01-04", -1, "business_days", "US", "2026-12-31"),
    ("2026-12-31", 1, "business_days", "US", "2027-01-04"),
    # Easter 2026 on the ECB TARGET calendar
    ("2026-04-02", 1, "business_days", "EU", "2026-04-07"),
])
def test_add_offset_matches_hand_checked_dates(start, offset, unit, calendar, expected):
    assert add_offset(D(start), offset, unit, calendar) == D(expected)


@pytest.mark.parametrize("unit", UNITS)
@pytest.mark.parametrize("start", ["2026-07-04", "2026-07-03", "2026-07-06"])
def test_offset_zero_returns_the_anchor_for_every_unit_even_on_a_holiday(unit, start):
    assert add_offset(D(start), 0, unit, "US") == D(start)


def test_add_offset_rejects_unknown_units_calendars_and_out_of_range_results():
    with pytest.raises(ValueError, match="unknown unit"):
        add_offset(D("2026-01-01"), 1, "weeks")
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        add_offset(D("2026-01-01"), 1, "business_days", "XX")
    for start, offset, unit in [("9999-12-01", 31, "days"), ("9999-12-01", 1, "months"),
                                ("9999-12-01", 30, "business_days"), ("0001-01-05", -10, "business_days"),
                                ("2026-01-01", 10**12, "business_days")]:
        with pytest.raises(ValueError, match="outside the supported date range"):
            add_offset(D(start), offset, unit)


# ---- recurrence ----

@pytest.mark.parametrize("first, rule, start, end, expected", [
    ("2027-07-01", "FREQ=YEARLY", "2027-01-01", "2029-12-31",
     ["2027-07-01", "2028-07-01", "2029-07-01"]),
    ("2024-02-29", "FREQ=YEARLY", "2024-01-01", "2028-12-31",
     ["2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"]),
    ("2026-01-31", "FREQ=MONTHLY", "2026-01-01", "2026-05-31",
     ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]),
    ("2026-01-31", "FREQ=MONTHLY;INTERVAL=3", "2026-01-01", "2027-01-31",
     ["2026-01-31", "2026-04-30", "2026-07-31", "2026-10-31", "2027-01-31"]),
    ("2026-01-05", "FREQ=WEEKLY;INTERVAL=2", "2026-01-10", "2026-02-28",
     ["2026-01-19", "2026-02-02", "2026-02-16"]),
    ("2026-01-15", "FREQ=MONTHLY;COUNT=3", "2026-01-01", "2027-12-31",
     ["2026-01-15", "2026-02-15", "2026-03-15"]),
    ("2026-10-15", "FREQ=MONTHLY;UNTIL=20261215", "2026-01-01", "2027-12-31",
     ["2026-10-15", "2026-11-15", "2026-12-15"]),
    ("2026-01-31", "FREQ=MONTHLY", "2026-06-01", "2026-09-30",
     ["2026-06-30", "2026-07-31", "2026-08-31", "2026-09-30"]),
    ("2026-01-31", "FREQ=MONTHLY", "2026-09-30", "2026-09-01", []),
])
def test_occurrences_clamp_to_month_end_and_stop_at_count_until_and_end(first, rule, start, end, expected):
    assert occurrences(D(first), rule, start=D(start), end=D(end)) == [D(x) for x in expected]


def test_occurrences_over_a_long_window_end_at_the_end_of_the_date_range():
    found = occurrences(D("2026-01-01"), "FREQ=YEARLY;INTERVAL=1000", start=date.min, end=date.max)
    assert found == [D("2026-01-01"), D("3026-01-01"), D("4026-01-01"), D("5026-01-01"),
                     D("6026-01-01"), D("7026-01-01"), D("8026-01-01"), D("9026-01-01")]


@pytest.mark.parametrize("first, rule, after, expected", [
    ("2027-07-01", "FREQ=YEARLY", None, "2027-07-01"),
    ("2027-07-01", "FREQ=YEARLY", "2020-01-01", "2027-07-01"),
    ("2027-07-01", "FREQ=YEARLY", "2027-07-01", "2028-07-01"),
    ("2027-07-01", "FREQ=YEARLY", "2031-06-30", "2031-07-01"),
    ("2026-01-31", "FREQ=MONTHLY", "2026-02-28", "2026-03-31"),
    ("2026-01-31", "FREQ=MONTHLY", "2026-02-27", "2026-02-28"),
    ("2026-03-31", "FREQ=MONTHLY;INTERVAL=3", "2026-06-30", "2026-09-30"),
    ("2026-01-15", "FREQ=MONTHLY;COUNT=3", "2026-03-15", None),
    ("2026-01-15", "FREQ=MONTHLY;COUNT=3", "2026-03-14", "2026-03-15"),
    ("2026-10-15", "FREQ=MONTHLY;UNTIL=20261215", "2026-12-15", None),
    ("2026-10-15", "FREQ=MONTHLY;UNTIL=20260101", None, None),
    ("2026-01-05", "FREQ=WEEKLY", "2026-01-12", "2026-01-19"),
])
def test_next_occurrence_is_strictly_after_the_given_day(first, rule, after, expected):
    result = next_occurrence(D(first), rule, D(after) if after else None)
    assert result == (D(expected) if expected else None)


@pytest.mark.parametrize("rule", [
    "FREQ=YEARLY", "FREQ=MONTHLY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2;COUNT=10",
    "FREQ=MONTHLY;UNTIL=20301231", "freq=yearly", "RRULE:FREQ=YEARLY", "INTERVAL=6;FREQ=MONTHLY",
])
def test_validate_rrule_accepts_the_supported_subset(rule):
    assert validate_rrule(rule) is None


@pytest.mark.parametrize("rule, message", [
    ("", "empty"),
    ("garbage", "not a NAME=VALUE part"),
    ("FREQ=YEARLY;", "not a NAME=VALUE part"),
    ("FREQ=HOURLY", "FREQ=HOURLY is not supported; use YEARLY, MONTHLY or WEEKLY"),
    ("FREQ=DAILY", "FREQ=DAILY is not supported"),
    ("FREQ=YEARLY;BYMONTH=1", "BYMONTH is not supported"),
    ("FREQ=MONTHLY;INTERVAL=0", "INTERVAL must be a whole number"),
    ("FREQ=MONTHLY;INTERVAL=x", "INTERVAL must be a whole number"),
    ("FREQ=YEARLY;COUNT=-1", "COUNT must be a whole number"),
    ("FREQ=YEARLY;COUNT=0", "COUNT must be a whole number"),
    ("INTERVAL=2", "FREQ is required"),
    ("FREQ=YEARLY;FREQ=MONTHLY", "FREQ appears more than once"),
    ("FREQ=YEARLY;UNTIL=20261301", "UNTIL must be a date in YYYYMMDD form"),
    ("FREQ=YEARLY;UNTIL=20260101T000000Z", "UNTIL must be a date in YYYYMMDD form"),
    ("FREQ=YEARLY;COUNT=2;UNTIL=20300101", "COUNT or UNTIL, not both"),
])
def test_validate_rrule_names_the_problem(rule, message):
    assert message in (validate_rrule(rule) or "")
    with pytest.raises(ValueError):
        next_occurrence(D("2026-01-01"), rule, None)


# ---- compute_due ----

ENACTED_OCCURRED = Anchor(EventStatus.OCCURRED, D("2026-08-06"))
ENACTED_EXPECTED = Anchor(EventStatus.EXPECTED, D("2026-09-01"), "month")
PLUS_180 = DeadlineRule("relative", offset=180, unit="days")


@pytest.mark.parametrize("rule, anchor, expected", [
    (DeadlineRule("fixed", date=D("2026-07-01")), None, Due(D("2026-07-01"), "firm", "day")),
    (DeadlineRule("fixed", date=D("2026-07-01"), precision="month"), None,
     Due(D("2026-07-01"), "firm", "month")),
    (DeadlineRule("fixed", date=D("2026-08-20"), precision="quarter"), None,
     Due(D("2026-07-01"), "firm", "quarter")),
    (PLUS_180, ENACTED_OCCURRED, Due(D("2027-02-02"), "firm", "day")),
    (PLUS_180, ENACTED_EXPECTED, Due(D("2027-02-28"), "projected", "month")),
    (PLUS_180, Anchor(EventStatus.OCCURRED, D("2026-07-01"), "quarter"),
     Due(D("2026-12-28"), "firm", "quarter")),
    (PLUS_180, Anchor(EventStatus.EXPECTED, D("2026-09-17"), "month"),
     Due(D("2027-02-28"), "projected", "month")),
    (PLUS_180, Anchor(EventStatus.SPECULATIVE, None), Due(None, "undated")),
    (PLUS_180, Anchor(EventStatus.EXPECTED, None), Due(None, "undated")),
    (PLUS_180, Anchor(EventStatus.WITHDRAWN, D("2026-08-06")), Due(None, "void")),
    (DeadlineRule("relative", offset=-3, unit="months"), ENACTED_OCCURRED,
     Due(D("2026-05-06"), "firm", "day")),
    (DeadlineRule("relative", offset=0, unit="business_days"), ENACTED_OCCURRED,
     Due(D("2026-08-06"), "firm", "day")),
    (DeadlineRule("recurring", date=D("2027-07-01"), rrule="FREQ=YEARLY"), None,
     Due(D("2027-07-01"), "firm", "day")),
])
def test_compute_due_for_every_rule_and_anchor_status(rule, anchor, expected):
    assert compute_due(rule, anchor) == expected


def test_enactment_date_plus_180_days_is_firm_once_the_act_is_enacted():
    due = compute_due(PLUS_180, ENACTED_OCCURRED)
    assert (due.date, due.state, due.precision) == (D("2027-02-02"), DueState.FIRM, "day")


def test_business_days_use_the_anchor_jurisdiction_unless_the_rule_names_a_calendar():
    anchor = Anchor(EventStatus.OCCURRED, D("2026-11-25"), jurisdiction="US-CA")
    rule = DeadlineRule("relative", offset=1, unit="business_days")
    assert business_calendar_for(rule, anchor) == "US-CA"
    assert compute_due(rule, anchor).date == D("2026-11-30")
    explicit = DeadlineRule("relative", offset=1, unit="business_days", calendar="US")
    assert compute_due(explicit, anchor).date == D("2026-11-27")
    unknown = Anchor(EventStatus.OCCURRED, D("2026-11-25"), jurisdiction="XX")
    assert business_calendar_for(rule, unknown) == "US"
    assert business_calendar_for(rule, None) == "US"
    with pytest.raises(ValueError, match="unknown holiday calendar"):
        compute_due(DeadlineRule("relative", offset=1, unit="business_days", calendar="XX"), anchor)


def test_completing_a_recurring_occurrence_moves_the_obligation_to_the_next():
    rule = DeadlineRule("recurring", date=D("2026-01-31"), rrule="FREQ=MONTHLY;INTERVAL=3;COUNT=3")
    assert compute_due(rule).date == D("2026-01-31")
    assert compute_due(rule, completed_through=D("2026-01-31")).date == D("2026-04-30")
    assert compute_due(rule, completed_through=D("2026-05-15")).date == D("2026-07-31")
    assert compute_due(rule, completed_through=D("2026-07-31")) == Due(None, "firm")


@pytest.mark.parametrize("rule, anchor, message", [
    (PLUS_180, None, "needs an anchor"),
    (PLUS_180, Anchor("rumoured", D("2026-01-01")), "unknown event status"),
    (DeadlineRule("fixed"), None, "needs a date"),
    (DeadlineRule("recurring", date=D("2026-01-01")), None, "recurrence rule"),
    (DeadlineRule("recurring", date=D("2026-01-01"), rrule="FREQ=DAILY"), None, "not supported"),
    (DeadlineRule("sliding"), None, "unknown rule kind"),
])
def test_compute_due_rejects_incomplete_rules(rule, anchor, message):
    with pytest.raises(ValueError, match=message):
        compute_due(rule, anchor)


# ---- explain ----

ACT = "Chip Security Act enacted"


@pytest.mark.parametrize("rule, anchor, text", [
    (PLUS_180, ENACTED_EXPECTED,
     "180 days after Chip Security Act enacted (expected September 2026) = 2027-02-28, projected"),
    (PLUS_180, ENACTED_OCCURRED,
     "180 days after Chip Security Act enacted (occurred 2026-08-06) = 2027-02-02, firm"),
    (DeadlineRule("relative", offset=10, unit="business_days", calendar="US-CA"),
     Anchor(EventStatus.OCCURRED, D("2026-11-20")),
     "10 business days (US-CA holidays) after Chip Security Act enacted (occurred 2026-11-20)"
     " = 2026-12-08, firm"),
    (DeadlineRule("relative", offset=-30), ENACTED_OCCURRED,
     "30 days before Chip Security Act enacted (occurred 2026-08-06) = 2026-07-07, firm"),
    (DeadlineRule("relative", offset=3, unit="months"), ENACTED_OCCURRED,
     "3 months after Chip Security Act enacted (occurred 2026-08-06) = 2026-11-06, firm"),
    (DeadlineRule("relative", offset=1, unit="months"), ENACTED_OCCURRED,
     "1 month after Chip Security Act enacted (occurred 2026-08-06) = 2026-09-06, firm"),
    (PLUS_180, Anchor(EventStatus.SPECULATIVE, None),
     "180 days after Chip Security Act enacted (not yet dated)"
     " — undated until Chip Security Act enacted gets a date"),
    (PLUS_180, Anchor(EventStatus.WITHDRAWN, None),
     "180 days after Chip Security Act enacted — void: Chip Security Act enacted was withdrawn"),
    (DeadlineRule("fixed", date=D("2026-07-01"), precision="month"), None,
     "Fixed date July 2026 (due 2026-07-01, the first day of that window), firm"),
    (DeadlineRule("fixed", date=D("2026-07-01")), None, "Fixed date 2026-07-01, firm"),
    (DeadlineRule("recurring", date=D("2027-07-01"), rrule="FREQ=YEARLY"), None,
     "Every year from 2027-07-01 (FREQ=YEARLY); next due 2027-07-01"),
    (DeadlineRule("recurring", date=D("2026-03-31"), rrule="FREQ=MONTHLY;INTERVAL=3"), None,
     "Every 3 months from 2026-03-31 (FREQ=MONTHLY;INTERVAL=3); next due 2026-03-31"),
    (DeadlineRule("recurring", date=D("2026-01-05"), rrule="FREQ=WEEKLY;COUNT=4"), None,
     "Every week from 2026-01-05, 4 times (FREQ=WEEKLY;COUNT=4); next due 2026-01-05"),
])
def test_explain_spells_out_the_computation(rule, anchor, text):
    assert explain(rule, compute_due(rule, anchor), anchor_title=ACT, anchor=anchor) == text


def test_explain_says_when_a_recurring_series_is_over():
    rule = DeadlineRule("recurring", date=D("2026-01-01"), rrule="FREQ=YEARLY;UNTIL=20261231")
    due = compute_due(rule, completed_through=D("2026-01-01"))
    assert explain(rule, due) == ("Every year from 2026-01-01, until 2026-12-31"
                                  " (FREQ=YEARLY;UNTIL=20261231); no further occurrences")


# ---- properties ----

CALENDARS = st.sampled_from(["US", "US-CA", "DE", "GB", "EU"])
DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))
BOUNDED = settings(max_examples=150, deadline=None)


@BOUNDED
@given(start=DAYS, offset=st.integers(-400, 400).filter(bool), calendar=CALENDARS)
def test_a_nonzero_business_day_offset_always_lands_on_a_working_day(start, offset, calendar):
    result = add_offset(start, offset, "business_days", calendar)
    assert is_working_day(result, calendar)
    assert (result > start) if offset > 0 else (result < start)


@BOUNDED
@given(start=DAYS, unit=st.sampled_from(UNITS), calendar=CALENDARS)
def test_offset_zero_returns_the_start_for_every_unit(start, unit, calendar):
    assert add_offset(start, 0, unit, calendar) == start


@BOUNDED
@given(start=DAYS, n=st.integers(1, 300), calendar=CALENDARS)
def test_adding_then_subtracting_business_days_returns_to_the_start_or_the_working_day_before(
        start, n, calendar):
    back = add_offset(add_offset(start, n, "business_days", calendar), -n, "business_days", calendar)
    assert is_working_day(back, calendar) and back <= start
    if is_working_day(start, calendar):
        assert back == start
    else:  # the last working day before start
        assert add_offset(back, 1, "business_days", calendar) > start


@BOUNDED
@given(start=DAYS, offset=st.integers(-5000, 5000))
def test_a_days_offset_is_exactly_a_timedelta(start, offset):
    assert add_offset(start, offset, "days") == start + timedelta(days=offset)


@BOUNDED
@given(start=DAYS, offset=st.integers(-240, 240))
def test_a_months_offset_keeps_the_day_when_it_exists_and_clamps_otherwise(start, offset):
    result = add_offset(start, offset, "months")
    assert (result.year * 12 + result.month) - (start.year * 12 + start.month) == offset
    assert result.day <= start.day
    try:
        same_day = result.replace(day=start.day)
    except ValueError:  # the target month is too short: clamped to its last day
        assert (result + timedelta(days=1)).day == 1
    else:
        assert result == same_day


@pytest.mark.parametrize("day, precision, note", [
    ("2026-07-01", "month", "July 2026"),          # a fixed month: the window itself
    ("2026-07-01", "quarter", "Q3 2026"),
    ("2027-02-28", "month", "from a month estimate"),  # counted from an estimate
    ("2027-02-02", "day", ""),
])
def test_due_date_note_names_windows_and_flags_estimates(day, precision, note):
    from tracker.deadlines import due_date_note

    assert due_date_note(D(day), precision) == note


def test_a_projected_date_on_the_first_of_a_month_is_not_called_that_month():
    """30 days after an enactment expected in September 2026 is 1 October, not 'October 2026'."""
    from tracker.deadlines import due_date_note, due_wording

    due = compute_due(DeadlineRule("relative", offset=30), Anchor("expected", D("2026-09-01"), "month"))
    assert (due.date, due.state, due.precision) == (D("2026-10-01"), "projected", "month")
    assert due_wording(due.date, due.precision, state=due.state) == "2026-10-01 (from a month estimate)"
    assert due_date_note(D("2026-10-01"), "month", "firm") == "October 2026"  # a fixed month is its window
