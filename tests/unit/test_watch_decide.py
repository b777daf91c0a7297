"""Which observations propose what: the pure rules of tracker.watches.decide (no Flask, no database)."""

from __future__ import annotations

from datetime import date

from tracker.watches.decide import EventState, decision_key, plan_proposals, status_for
from tracker.watches.providers import Observation

TODAY = date(2026, 12, 5)
STAGES = {"enacted": 1, "passed_committee": 2, "vetoed": 3, "effective": 4}


def obs(stage, on, **ids) -> Observation:
    return Observation(stage=stage, on=on, text=f"{stage} text", url="https://example.test", identifiers=ids)


def events(**overrides) -> dict[int, EventState]:
    states = {1: EventState(1, "expected", date(2027, 1, 1)), 2: EventState(2, "expected", date(2026, 1, 1)),
              3: EventState(3, "speculative", None), 4: EventState(4, "speculative", None)}
    states.update(overrides)
    return states


def plan(fetched, known=(), decided=frozenset(), states=None):
    return plan_proposals(fetched, list(known), STAGES, states or events(), set(decided), TODAY, "Congress.gov")


def test_status_follows_the_date():
    assert [status_for(d, TODAY) for d in (date(2026, 12, 5), date(2026, 12, 6), None)] == [
        "occurred", "expected", "speculative"]


def test_a_dated_stage_proposes_its_event_and_unmapped_stages_propose_nothing():
    planned = plan([obs("enacted", date(2026, 12, 3)), obs("presented", date(2026, 11, 24))])
    assert [(p.event_id, p.status, p.on, p.conflicts_with) for p in planned] == [
        (1, "occurred", date(2026, 12, 3), "")]


def test_nothing_is_proposed_that_the_event_already_says():
    assert plan([obs("enacted", date(2026, 12, 3))], states=events() | {
        1: EventState(1, "occurred", date(2026, 12, 3))}) == []


def test_a_decided_happening_is_not_proposed_again_even_with_other_identifiers():
    first = obs("enacted", date(2026, 12, 3), source_system="2")
    again = obs("enacted", date(2026, 12, 3), source_system="9")
    assert plan([again], known=[first], decided={decision_key(first, 1, "occurred")}) == []


def test_two_dates_for_one_happening_are_both_conflicts():
    a, b = obs("enacted", date(2026, 8, 12)), obs("enacted", date(2026, 8, 17), source_system="2")
    planned = plan([a, b])
    assert [bool(p.conflicts_with) for p in planned] == [True, True]
    assert planned[0].conflict_fingerprint == b.fingerprint() and "2026-08-17" in planned[0].conflicts_with


def test_a_report_against_the_recorded_occurrence_is_a_conflict():
    (planned,) = plan([obs("enacted", date(2026, 12, 4))], states=events() | {
        1: EventState(1, "occurred", date(2026, 12, 3))})
    assert planned.conflicts_with == "the event is recorded as occurred on 2026-12-03"


def test_chambers_are_two_happenings_but_one_event_gets_a_conflict_for_the_second_date():
    house = obs("passed_committee", date(2026, 5, 20), chamber="house")
    senate = obs("passed_committee", date(2026, 6, 10), chamber="senate")
    first, second = plan([house, senate])
    assert first.conflicts_with == "" and "also reported passed committee on 2026-05-20" in second.conflicts_with


def test_a_superseding_document_replaces_the_earlier_date_without_a_conflict():
    rule = obs("effective", date(2027, 3, 23), document="2026-01234")
    delay = obs("effective", date(2027, 6, 22), document="2026-05678", supersedes="2026-01234")
    (planned,) = plan([rule, delay])
    assert (planned.status, planned.on, planned.conflicts_with) == ("expected", date(2027, 6, 22), "")


def test_a_veto_withdraws_the_enactment_and_records_the_veto():
    planned = plan([obs("vetoed", date(2026, 10, 1))])
    assert [(p.event_id, p.status, p.on) for p in planned] == [(3, "occurred", date(2026, 10, 1)),
                                                               (1, "withdrawn", None)]
    assert plan([obs("vetoed", date(2026, 10, 1))], states=events() | {
        1: EventState(1, "occurred", date(2026, 9, 1)), 3: EventState(3, "occurred", date(2026, 10, 1))}) == []


def test_an_undated_effective_date_takes_an_estimate_away_only():
    assert [(p.event_id, p.status) for p in plan([obs("effective", None)], states=events() | {
        4: EventState(4, "expected", date(2027, 3, 23))})] == [(4, "speculative")]
    assert plan([obs("effective", None)]) == []
