"""Tests for deadline expressions: derived events, earliest/latest, rolling, the JSON forms.

Calendar facts used below (checked by hand): 5 Jul 2026 is a Sunday; 4 Jul
2026 is a Saturday, observed by the US on Friday 3 Jul; 1 Jan 2027 is a
Friday; 1 May 2027 is a Saturday; 25-26 Dec 2026 are Friday and Saturday.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.deadlines import (
    Combined,
    DeadlineRule,
    DerivationCycleError,
    DerivationError,
    DerivedEvent,
    DueState,
    ExpressionError,
    PlainEvent,
    RuleExpr,
    check_deadline,
    check_derivation,
    combine_dues,
    describe_chain,
    describe_moves,
    evaluate,
    expression_to_json,
    find_cycle,
    is_working_day,
    parse_deadline,
    resolve_events,
    roll_date,
)
from tracker.deadlines.engine import Due

D = date.fromisoformat

ENACTED = "csa-enacted"
EFFECTIVE = "csa-effective"


def csa(status="expected", on=D("2027-01-01"), precision="month", offset=90, unit="days"):
    return {
        ENACTED: PlainEvent(status, on, precision, "US", "Chip Security Act enacted"),
        EFFECTIVE: DerivedEvent(ENACTED, offset, unit, title="Act takes effect"),
    }


def fixed(text, roll="none", calendar=None):
    return RuleExpr(DeadlineRule("fixed", date=D(text), calendar=calendar), roll=roll)


def relative(anchor, offset, unit="days", roll="none", calendar=None):
    return RuleExpr(DeadlineRule("relative", offset=offset, unit=unit, calendar=calendar), anchor, roll)


# ---- Derived events ----

@pytest.mark.parametrize("status, on, precision, want_status, want_on, want_state", [
    ("occurred", D("2026-12-03"), "day", "occurred", D("2027-03-03"), DueState.FIRM),
    ("expected", D("2027-01-01"), "month", "expected", D("2027-04-01"), DueState.PROJECTED),
    ("expected", D("2026-09-17"), "month", "expected", D("2026-11-30"), DueState.PROJECTED),  # from 09-01
    ("speculative", None, "day", "speculative", None, DueState.UNDATED),
    ("withdrawn", None, "day", "withdrawn", None, DueState.VOID),
    ("expected", None, "day", "expected", None, DueState.UNDATED),
])
def test_derived_event_takes_the_certainty_of_its_base(status, on, precision, want_status, want_on, want_state):
    effective = resolve_events(csa(status, on, precision))[EFFECTIVE]
    assert (effective.status, effective.on, effective.state) == (want_status, want_on, want_state)
    assert effective.precision == precision


def test_derived_event_wording_names_the_base_and_its_estimate():
    resolved = resolve_events(csa())
    assert describe_chain(EFFECTIVE, resolved) == (
        "90 days after Chip Security Act enacted (expected January 2027) = 2027-04-01, projected")
    assert describe_chain(ENACTED, resolved) == "Chip Security Act enacted: expected January 2027"


def test_chain_of_three_resolves_in_dependency_order_and_reads_as_one_sentence():
    events = {"late": DerivedEvent(EFFECTIVE, 1, "months", title="Reporting starts"), **csa()}
    resolved = resolve_events(events)
    assert list(resolved) == [ENACTED, EFFECTIVE, "late"]
    assert resolved["late"].on == D("2027-05-01")
    assert resolved["late"].chain == ("late", EFFECTIVE, ENACTED)
    assert describe_chain("late", resolved) == (
        "1 month after Act takes effect, which is 90 days after Chip Security Act enacted "
        "(expected January 2027) = 2027-05-01, projected")


def test_undated_and_void_chains_say_what_they_wait_for():
    assert describe_chain(EFFECTIVE, resolve_events(csa("speculative", None, "day"))) == (
        "90 days after Chip Security Act enacted (not yet dated) — undated until "
        "Chip Security Act enacted gets a date")
    assert describe_chain(EFFECTIVE, resolve_events(csa("withdrawn", None, "day"))).endswith(
        "— void: Chip Security Act enacted was withdrawn")


def test_business_day_derivation_uses_the_base_jurisdiction_calendar():
    # 10 US business days after Thu 2026-12-24: skips Fri 25 Dec (Christmas) and Fri 1 Jan.
    resolved = resolve_events(csa("occurred", D("2026-12-24"), "day", offset=10, unit="business_days"))
    assert resolved[EFFECTIVE].on == D("2027-01-11")
    assert "10 business days (US holidays) after" in describe_chain(EFFECTIVE, resolved)


def test_recording_the_root_moves_the_chain_and_the_history_names_it():
    before = resolve_events(csa())
    after = resolve_events(csa("occurred", D("2026-12-03"), "day"))
    assert describe_moves(before, after) == [
        "Act takes effect (90 days after Chip Security Act enacted): projected 2027-04-01 -> firm 2027-03-03"]
    assert describe_moves(after, after) == []


def test_deadline_on_a_derived_event_counts_from_its_exact_day_not_a_window_start():
    # The derived day 2026-11-30 comes from a September estimate; the engine's
    # compute_due would read a month-precision anchor as 2026-11-01.
    resolved = resolve_events(csa("expected", D("2026-09-01"), "month"))
    out = evaluate(relative(EFFECTIVE, 30), resolved)
    assert (out.due.date, out.due.state, out.due.precision) == (D("2026-12-30"), DueState.PROJECTED, "month")


@pytest.mark.parametrize("length", [1, 2, 3, 7])
def test_cycles_of_every_length_are_refused_naming_the_cycle(length):
    keys = [f"e{i}" for i in range(length)]
    events = {k: DerivedEvent(keys[(i + 1) % length], 1) for i, k in enumerate(keys)}
    events["root"] = PlainEvent("occurred", D("2026-01-01"))
    with pytest.raises(DerivationCycleError) as info:
        resolve_events(events)
    assert isinstance(info.value, ValueError)
    assert info.value.cycle == tuple(keys) + (keys[0],)
    assert str(info.value) == "derived events form a cycle: " + " -> ".join(keys + [keys[0]])
    assert find_cycle(events) == tuple(keys) + (keys[0],)


def test_unknown_base_event_is_refused_by_name():
    with pytest.raises(DerivationError, match="'a' derives from unknown event 'nope'"):
        resolve_events({"a": DerivedEvent("nope", 1)})


def test_very_long_chain_resolves_without_recursion_limits():
    events = {"e0": PlainEvent("occurred", D("2026-01-01"))}
    events.update({f"e{i}": DerivedEvent(f"e{i - 1}", 1) for i in range(1, 3000)})
    assert resolve_events(events)["e2999"].on == D("2026-01-01") + timedelta(days=2999)


# ---- Earliest / latest ----

def test_later_of_fixed_date_and_enactment_offset_matches_the_spec_example():
    resolved = resolve_events({ENACTED: PlainEvent("expected", D("2026-03-01"), "day", "US",
                                                   "enactment")})
    out = evaluate(Combined("latest", (fixed("2027-01-01"), relative(ENACTED, 180))), resolved)
    assert (out.due.date, out.due.state, out.deciding) == (D("2027-01-01"), DueState.PROJECTED, 0)
    assert out.explanation.startswith(
        "The later of 2027-01-01 and 180 days after enactment (2026-08-28): 2027-01-01, projected")
    assert "decided by 2027-01-01" in out.explanation


@pytest.mark.parametrize("states, want", [
    (["firm", "firm"], DueState.FIRM),
    (["firm", "projected"], DueState.PROJECTED),
    (["firm", "undated"], DueState.PROJECTED),
    (["firm", "void"], DueState.FIRM),
    (["undated", "void"], DueState.UNDATED),
    (["undated", "undated"], DueState.UNDATED),
    (["void", "void"], DueState.VOID),
])
def test_combined_due_state_follows_the_spec_rule(states, want):
    dues = [Due(D("2027-01-01") + timedelta(days=i) if s in ("firm", "projected") else None, s)
            for i, s in enumerate(states)]
    for how in ("earliest", "latest"):
        assert combine_dues(how, dues)[0].state == want


def test_earliest_ignores_void_parts_and_mentions_undated_ones():
    events = {"a": PlainEvent("withdrawn", None, title="Bill A passed"),
              "b": PlainEvent("speculative", None, title="Rule B final"),
              "c": PlainEvent("occurred", D("2026-05-01"), title="Order C signed")}
    out = evaluate(Combined("earliest", (relative("a", 1), relative("b", 1), relative("c", 30))),
                   resolve_events(events))
    assert (out.due.date, out.due.state, out.deciding) == (D("2026-05-31"), DueState.PROJECTED, 2)
    assert "not yet dated: 1 day after Rule B final (not yet dated)" in out.explanation
    assert "ignored as void: 1 day after Bill A passed (void)" in out.explanation


def test_combination_over_a_derived_event_part():
    out = evaluate(Combined("earliest", (fixed("2027-06-30"), relative(EFFECTIVE, 0))), resolve_events(csa()))
    assert (out.due.date, out.deciding) == (D("2027-04-01"), 1)


def test_recurring_part_is_refused():
    recurring = RuleExpr(DeadlineRule("recurring", date=D("2027-01-01"), rrule="FREQ=YEARLY"))
    with pytest.raises(ValueError, match="not 'recurring'"):
        evaluate(Combined("latest", (fixed("2027-01-01"), recurring)))


# ---- Rolling ----

@pytest.mark.parametrize("day, roll, calendar, want", [
    ("2026-07-05", "following", "US", "2026-07-06"),
    ("2026-07-05", "preceding", "US", "2026-07-02"),  # Fri 3 Jul is the observed holiday
    ("2026-07-03", "following", "US", "2026-07-06"),
    ("2026-07-03", "following", "DE", "2026-07-03"),  # not a German holiday
    ("2026-07-05", "none", "US", "2026-07-05"),
    ("2026-12-25", "following", "US", "2026-12-28"),
    ("2026-12-26", "preceding", "GB", "2026-12-24"),  # Boxing Day; Christmas Friday
])
def test_roll_date(day, roll, calendar, want):
    assert roll_date(D(day), roll, calendar) == D(want)


def test_rolled_rule_says_so_in_words():
    out = evaluate(fixed("2026-07-05", roll="following"))
    assert out.due.date == D("2026-07-06") and out.rolled_from == D("2026-07-05")
    assert out.explanation == "Fixed date 2026-07-05, firm; 2026-07-05 is a Sunday: rolled to Monday 2026-07-06"
    holiday = evaluate(fixed("2026-07-03", roll="following"))
    assert "2026-07-03 is a US holiday (Independence Day (observed)): rolled to Monday 2026-07-06" in \
        holiday.explanation


def test_unmoved_roll_adds_no_words():
    out = evaluate(fixed("2026-07-06", roll="following"))
    assert out.explanation == "Fixed date 2026-07-06, firm" and out.rolled_from is None


def test_relative_rule_rolls_with_the_anchor_jurisdiction_calendar():
    events = {"signed": PlainEvent("occurred", D("2026-06-05"), jurisdiction="US", title="Order signed")}
    out = evaluate(relative("signed", 28, roll="following"), resolve_events(events))  # Fri 3 Jul
    assert out.due.date == D("2026-07-06") and out.calendar == "US"
    events = {"signed": PlainEvent("occurred", D("2026-06-05"), jurisdiction="DE", title="Order signed")}
    assert evaluate(relative("signed", 28, roll="following"), resolve_events(events)).due.date == D("2026-07-03")


def test_combined_roll_applies_after_choosing():
    out = evaluate(Combined("latest", (fixed("2026-07-05"), fixed("2026-07-01")), roll="preceding"))
    assert out.due.date == D("2026-07-02")
    assert out.explanation.endswith("2026-07-05 is a Sunday: rolled to Thursday 2026-07-02")


def test_undated_rule_is_not_rolled():
    out = evaluate(relative(ENACTED, 1, roll="following"), resolve_events(csa("speculative", None, "day")))
    assert out.due.date is None and out.due.state == DueState.UNDATED


# ---- JSON forms ----

def test_spec_forms_parse():
    expr = parse_deadline({"rule": "earliest", "roll": "following", "of": [
        {"rule": "fixed", "date": "2027-01-01"},
        {"rule": "relative", "anchor": EFFECTIVE, "offset": 180, "unit": "days"}]}, events={EFFECTIVE})
    assert isinstance(expr, Combined) and expr.roll == "following" and len(expr.parts) == 2
    spec, problems = check_derivation({"from": ENACTED, "offset": 90, "unit": "days"})
    assert problems == [] and spec == DerivedEvent(ENACTED, 90, "days")


@pytest.mark.parametrize("data, problem", [
    ({"rule": "earliest", "of": [{"rule": "fixed", "date": "2027-01-01"},
                                 {"rule": "relative", "anchor": "a", "offset": "90"}]},
     "of[1].offset: must be a whole number, got '90'"),
    ({"rule": "latest", "of": [{"rule": "fixed", "date": "2027-01-01"},
                               {"rule": "recurring", "date": "2027-01-01", "rrule": "FREQ=YEARLY"}]},
     "of[1].rule: 'recurring' cannot be a part of earliest/latest (use fixed or relative)"),
    ({"rule": "latest", "of": [{"rule": "fixed", "date": "2027-01-01"}]}, "of: must list 2 to 20 rules, got 1"),
    ({"rule": "latest", "of": "x"}, "of: must be a list of rules, got a string"),
    ({"rule": "fixed", "date": "2026-07-05", "roll": "next"},
     "roll: must be one of none, following, preceding, got 'next'"),
    ({"rule": "fixed", "date": "2026-07-05", "calendar": "US"}, "calendar: only used with a roll"),
    ({"rule": "fixed", "date": "2026-07-05", "roll": "following", "calendar": "XX-NOPE"},
     "calendar: unknown holiday calendar 'XX-NOPE' (use e.g. US, US-CA, DE, GB or EU)"),
    ({"rule": "fixed", "date": "2026-13"}, "date: '2026-13' is not a valid date (YYYY-MM-DD, YYYY-MM, YYYY-Qn or YYYY)"),
    ({"rule": "relative", "anchor": "zz", "offset": 1}, "anchor: unknown event 'zz'"),
    ({"rule": "relative", "anchor": "a", "offset": True}, "offset: must be a whole number, got True"),
    ({"rule": "relative", "anchor": "a", "offset": 121, "unit": "months"},
     "offset: 121 is out of range for unit 'months' (allowed -120 to 120)"),
    ({"rule": "relative", "anchor": "a", "offset": 1, "rrule": "FREQ=YEARLY"}, "rrule: not used by a 'relative' deadline"),
    ({"rule": "relative", "anchor": "a", "offset": 1, "colour": "red"}, "colour: unknown field"),
    ({"rule": "sometime"}, "rule: must be one of fixed, relative, recurring, earliest, latest, got 'sometime'"),
    ([], "deadline: must be an object, got a list"),
])
def test_bad_forms_get_one_precise_problem_with_its_path(data, problem):
    expr, problems = check_deadline(data, events={"a"})
    assert expr is None and problems == [problem]


def test_paths_are_prefixed_and_every_problem_is_listed():
    data = {"rule": "earliest", "of": [{"rule": "fixed"}, {"rule": "relative", "offset": 1.5}]}
    with pytest.raises(ExpressionError) as info:
        parse_deadline(data, at="obligations[2].deadline")
    assert info.value.problems == [
        "obligations[2].deadline.of[0].date: required field is missing",
        "obligations[2].deadline.of[1].offset: must be a whole number, got 1.5",
        "obligations[2].deadline.of[1].anchor: required field is missing",
    ]


def test_bad_derivation_lists_its_problems():
    _, problems = check_derivation({"from": "", "offset": 1, "unit": "days", "calendar": "US", "status": "x"},
                                   at="events[3].derived")
    assert problems == ["events[3].derived.status: unknown field", "events[3].derived.from: must not be empty",
                        "events[3].derived.calendar: only used with unit 'business_days'"]


# ---- Properties ----

DAYS = st.dates(D("2000-01-01"), D("2090-12-31"))
CALENDARS = st.sampled_from(["US", "US-CA", "DE", "GB", "EU"])
STATUSES = st.sampled_from(["occurred", "expected", "speculative", "withdrawn"])
UNIT = st.sampled_from(["days", "business_days", "months"])
_CERTAINTY = {DueState.FIRM: 3, DueState.PROJECTED: 2, DueState.UNDATED: 1, DueState.VOID: 0}


@settings(max_examples=200, deadline=None)
@given(day=DAYS, roll=st.sampled_from(["following", "preceding"]), calendar=CALENDARS)
def test_rolling_never_lands_on_a_non_working_day(day, roll, calendar):
    rolled = roll_date(day, roll, calendar)
    assert is_working_day(rolled, calendar)
    assert (rolled >= day) if roll == "following" else (rolled <= day)
    assert all(not is_working_day(day + timedelta(days=i if roll == "following" else -i), calendar)
               for i in range(abs((rolled - day).days)))


PART = st.one_of(
    st.builds(lambda d: fixed(d.isoformat()), DAYS),
    st.builds(lambda k, n: relative(k, n), st.sampled_from("abc"), st.integers(-400, 400)),
)


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(PART, min_size=2, max_size=5),
       statuses=st.lists(STATUSES, min_size=3, max_size=3), days=st.lists(DAYS, min_size=3, max_size=3))
def test_latest_is_never_before_and_earliest_never_after_any_dated_part(parts, statuses, days):
    events = {k: PlainEvent(s, d) for k, s, d in zip("abc", statuses, days)}
    resolved = resolve_events(events)
    for how in ("earliest", "latest"):
        out = evaluate(Combined(how, tuple(parts)), resolved)
        dated = [p.due.date for p in out.parts if p.due.date is not None and p.due.state != DueState.VOID]
        assert (out.due.date is None) == (not dated)
        for d in dated:
            assert (out.due.date <= d) if how == "earliest" else (out.due.date >= d)
        live = [p.due.state for p in out.parts if p.due.state != DueState.VOID]
        if out.due.state == DueState.FIRM:
            assert all(s == DueState.FIRM for s in live)


STEP = st.tuples(st.integers(-200, 400), UNIT, st.sampled_from([None, "US", "DE"]))


@settings(max_examples=150, deadline=None)
@given(steps=st.lists(STEP, min_size=1, max_size=6), day=DAYS, later=st.integers(0, 400),
       status=STATUSES, precision=st.sampled_from(["day", "month", "quarter", "year"]))
def test_chain_dates_are_monotone_in_the_root_and_certainty_never_increases(steps, day, later, status, precision):
    def chain(root: date):
        events = {"e0": PlainEvent(status, root, precision)}
        events.update({f"e{i + 1}": DerivedEvent(f"e{i}", n, unit, calendar)
                       for i, (n, unit, calendar) in enumerate(steps)})
        return resolve_events(events)

    low, high = chain(day), chain(day + timedelta(days=later))
    keys = list(low)
    for earlier, after in zip(keys, keys[1:]):
        assert _CERTAINTY[low[after].state] <= _CERTAINTY[low[earlier].state]
    for key in keys:
        if low[key].on is not None:
            assert low[key].on <= high[key].on


@settings(max_examples=100, deadline=None)
@given(length=st.integers(1, 12), extra=st.integers(0, 5))
def test_any_cycle_is_refused(length, extra):
    events = {f"c{i}": DerivedEvent(f"c{(i + 1) % length}", i) for i in range(length)}
    # Innocent events hanging off the cycle must not hide it.
    events.update({f"t{j}": DerivedEvent("c0", j) for j in range(extra)})
    with pytest.raises(DerivationCycleError) as info:
        resolve_events(events)
    cycle = info.value.cycle
    assert cycle[0] == cycle[-1] and len(cycle) == length + 1 and set(cycle) == set(f"c{i}" for i in range(length))


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(PART, min_size=2, max_size=4), how=st.sampled_from(["earliest", "latest"]),
       roll=st.sampled_from(["none", "following", "preceding"]))
def test_json_form_round_trips(parts, how, roll):
    expr = Combined(how, tuple(parts), roll)
    assert parse_deadline(expression_to_json(expr)) == expr
