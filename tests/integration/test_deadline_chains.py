"""Derived events and earliest/latest rules in the register: recording the root moves the whole chain."""

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import DeadlineHistory, Event, Obligation
from tracker.register.derived_events import Derivation, set_derivation
from tracker.register.events import EventDate, create_event, delete_event, preview_event_change, record_event, record_event_change
from tracker.register.chains import plan_event_move  # noqa: F401  (public planning entry point)
from tests.factories import make_event, make_obligation, make_source, make_team


@pytest.fixture
def chain(app):
    source = make_source(key="chip-security-act", title="Chip Security Act")
    enacted = make_event(source, status="expected", on=date(2027, 1, 1), precision="month",
                         key="csa-enacted", title="Chip Security Act enacted")
    effective = create_event(SYSTEM, None, key="csa-effective", source_id=source.id, title="Act takes effect",
                             derived=Derivation(enacted.id, 90, "days"))
    return enacted, effective


def test_a_derived_event_takes_the_date_and_certainty_of_its_base(chain):
    enacted, effective = chain
    assert (effective.status, effective.expected_on, effective.precision) == ("expected", date(2027, 4, 1), "day")


def test_recording_the_root_moves_derived_events_and_their_deadlines_with_the_chain_named(chain):
    enacted, effective = chain
    team = make_team()
    direct = make_obligation(team=team, rule="relative", anchor=enacted, rule_offset=180, title="Direct")
    via = make_obligation(team=team, rule="relative", anchor=effective, rule_offset=1, rule_unit="months",
                          title="Within a year of the effective date")
    assert (via.due_date, via.due_state, via.due_precision) == (date(2027, 5, 1), "projected", "month")

    moves = record_event_change(enacted, EventDate("occurred", date(2026, 12, 3)), SYSTEM)

    assert {m.title for m in moves} == {"Direct", "Within a year of the effective date"}
    db.session.expire_all()
    effective = db.session.get(Event, effective.id)
    assert (effective.status, effective.occurred_on) == ("occurred", date(2027, 3, 3))
    via = db.session.get(Obligation, via.id)
    assert (via.due_date, via.due_state, via.revision) == (date(2027, 4, 3), "firm", 1)
    reasons = {h.obligation_id: h.reason for h in db.session.scalars(sa.select(DeadlineHistory))}
    assert reasons[via.id] == ("Chip Security Act enacted recorded as occurred on 2026-12-03 -> "
                               "Act takes effect 2027-03-03 (90 days after): projected 2027-05-01 -> firm 2027-04-03")
    assert reasons[direct.id].startswith("anchor event 'Chip Security Act enacted' recorded as occurred on 2026-12-03")


def test_three_derived_steps_move_in_one_record(chain):
    enacted, effective = chain
    later = create_event(SYSTEM, None, key="csa-later", source_id=enacted.source_id, title="Reporting starts",
                         derived=Derivation(effective.id, 30, "days"))
    last = create_event(SYSTEM, None, key="csa-last", source_id=enacted.source_id, title="First report",
                        derived=Derivation(later.id, -1, "days"))
    ob = make_obligation(rule="relative", anchor=last, rule_offset=0, title="Report")
    record_event(enacted.id, EventDate("withdrawn"), SYSTEM)
    db.session.expire_all()
    assert db.session.get(Event, last.id).status == "withdrawn"
    assert db.session.get(Obligation, ob.id).due_state == "void"
    reason = db.session.scalars(sa.select(DeadlineHistory.reason)).one()
    assert "-> Act takes effect" in reason and "-> Reporting starts" in reason and "-> First report" in reason


def test_a_cycle_is_refused_with_the_events_named(chain):
    enacted, effective = chain
    with pytest.raises(ValidationFailed) as refused:
        set_derivation(enacted, Derivation(effective.id, 10), SYSTEM)
    assert "cycle" in refused.value.errors["derived_from_event_id"]
    assert "'Act takes effect'" in refused.value.errors["derived_from_event_id"]
    db.session.rollback()
    assert db.session.get(Event, enacted.id).derived_from_event_id is None


def test_a_derived_event_cannot_be_recorded_itself(chain):
    _, effective = chain
    with pytest.raises(ValidationFailed, match="record what happened to 'Chip Security Act enacted'"):
        record_event_change(effective, EventDate("occurred", date(2027, 3, 1)), SYSTEM)


def test_an_event_others_derive_from_cannot_be_deleted(chain):
    enacted, _ = chain
    with pytest.raises(Conflict, match="Act takes effect"):
        delete_event(enacted, SYSTEM)


def test_editing_the_offset_moves_the_deadlines_down_the_chain(chain):
    enacted, effective = chain
    ob = make_obligation(rule="relative", anchor=effective, rule_offset=10, title="Ten days after")
    moves = set_derivation(effective, Derivation(enacted.id, 120), SYSTEM)
    assert [m.title for m in moves] == ["Ten days after"]
    db.session.expire_all()
    assert db.session.get(Event, effective.id).expected_on == date(2027, 5, 1)
    assert db.session.get(Obligation, ob.id).due_date == date(2027, 5, 11)


def test_latest_of_a_fixed_date_and_a_relative_part_follows_the_anchor(chain):
    enacted, _ = chain
    ob = make_obligation(rule_combination="latest", rule="fixed", rule_parts=[
        {"rule": "fixed", "date": "2027-06-01"},
        {"rule": "relative", "anchor": enacted.id, "offset": 180}], title="Later of")
    assert (ob.due_date, ob.due_state) == (date(2027, 6, 30), "projected")
    assert enacted in ob.events  # the parts' events are provenance
    preview = preview_event_change(enacted, EventDate("occurred", date(2026, 10, 1)))
    assert [(m.title, m.new.date, m.new.state) for m in preview] == [("Later of", date(2027, 6, 1), "firm")]
    record_event_change(enacted, EventDate("occurred", date(2026, 10, 1)), SYSTEM)
    db.session.refresh(ob)
    assert (ob.due_date, ob.due_state, ob.revision) == (date(2027, 6, 1), "firm", 1)


def test_a_roll_moves_a_weekend_due_day_to_the_next_working_day(app):
    ob = make_obligation(rule="fixed", rule_date=date(2026, 7, 5), rule_roll="following")
    assert ob.due_date == date(2026, 7, 6)


def test_a_bad_combination_is_refused_naming_the_part(app):
    with pytest.raises(ValidationFailed) as refused:
        make_obligation(rule_combination="earliest", rule="fixed", rule_parts=[
            {"rule": "fixed", "date": "2027-06-01"}, {"rule": "recurring", "date": "2027-01-01", "rrule": "FREQ=YEARLY"}])
    assert "of[1].rule" in refused.value.errors["rule_parts"]


def test_statement_count_stays_flat_down_a_chain(chain):
    enacted, effective = chain

    def statements(count: int) -> int:
        team = make_team()
        for _ in range(count):
            make_obligation(team=team, rule="relative", anchor=effective, rule_offset=5)
        db.session.expire_all()
        event = db.session.get(Event, enacted.id)
        executed = []
        listener = lambda *args: executed.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            on = date(2026, 11, 1) if count == 3 else date(2026, 11, 2)
            record_event_change(event, EventDate("occurred", on), SYSTEM)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        return len(executed)

    assert statements(3) == statements(40)


def test_feeds_describe_the_chain_and_the_deciding_part(chain):
    from tracker.feeds.items import single_spec
    enacted, effective = chain
    via = make_obligation(rule="relative", anchor=effective, rule_offset=30, title="After the effective date")
    text = single_spec(via).description
    assert "How: 30 days after Act takes effect = 2027-05-01, projected; Act takes effect: 90 days after " \
           "Chip Security Act enacted (expected January 2027) = 2027-04-01, projected" in text
    later = make_obligation(rule_combination="latest", rule="fixed", rule_parts=[
        {"rule": "fixed", "date": "2027-06-05"}, {"rule": "relative", "anchor": enacted.id, "offset": 1}],
        rule_roll="following", title="Later of")
    text = single_spec(later).description
    assert "decided by 2027-06-05" in text and "rolled to Monday 2027-06-07" in text


def test_the_timeline_draws_a_derived_event_linked_to_its_base(chain):
    from tracker.register.timeline import load_items, render_svg
    enacted, effective = chain
    markers, _, _ = load_items(date(2026, 12, 1), date(2027, 12, 1), None, {}, lambda i: f"/events/{i}",
                               lambda i: f"/obligations/{i}")
    derived = next(m for m in markers if m.label == "Act takes effect")
    assert (derived.follows, derived.derivation) == (date(2027, 1, 1), "90 days after Chip Security Act enacted")
    svg = render_svg(date(2026, 12, 1), 12, date(2026, 12, 2), markers, [])
    assert 'class="tl-derived"' in svg and "(90 days after Chip Security Act enacted)" in svg
