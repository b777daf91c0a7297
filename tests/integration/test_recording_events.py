"""Recording what happened to an event moves every deadline anchored on it."""

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM, Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.register.events import (
    EventDate, StalePreview, preview_event_change, preview_fingerprint, record_event, record_event_change,
)
from tracker.models import AuditEntry, DeadlineHistory, Obligation
from tests.factories import make_event, make_obligation, make_source, make_team, make_user


@pytest.fixture
def enactment(app):
    source = make_source(key="chip-security-act", title="Chip Security Act")
    return make_event(source, status="expected", on=date(2026, 9, 1), precision="month",
                      key="csa-enacted", title="Chip Security Act enacted")


def test_enactment_makes_projected_deadline_firm(enactment):
    obligation = make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    assert (obligation.due_date, obligation.due_state, obligation.due_precision) == (date(2027, 2, 28), "projected", "month")
    editor = make_user(role="editor")

    moves = record_event_change(enactment, EventDate("occurred", date(2026, 8, 6)), Actor.of(editor))

    assert len(moves) == 1
    db.session.refresh(obligation)
    assert (obligation.due_date, obligation.due_state, obligation.revision) == (date(2027, 2, 2), "firm", 1)
    history = db.session.scalars(sa.select(DeadlineHistory)).one()
    assert history.reason == (
        "anchor event 'Chip Security Act enacted' recorded as occurred on 2026-08-06: "
        "projected 2027-02-28 -> firm 2027-02-02"
    )
    assert (history.old_due_date, history.new_due_date, history.revision) == (date(2027, 2, 28), date(2027, 2, 2), 1)
    assert history.actor_id == editor.id


def test_moving_an_estimate_keeps_the_deadline_projected(enactment):
    obligation = make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    record_event_change(enactment, EventDate("expected", date(2026, 10, 1), "quarter"), SYSTEM)
    db.session.refresh(obligation)
    assert (obligation.due_date, obligation.due_state, obligation.due_precision) == (date(2027, 3, 30), "projected", "quarter")
    reason = db.session.scalars(sa.select(DeadlineHistory.reason)).one()
    assert reason.startswith("estimate of anchor event 'Chip Security Act enacted' moved to Q4 2026: ")


def test_withdrawal_voids_and_speculation_undates(enactment):
    first = make_obligation(rule="relative", anchor=enactment, rule_offset=30)
    record_event_change(enactment, EventDate("speculative"), SYSTEM)
    db.session.refresh(first)
    assert (first.due_date, first.due_state, first.revision) == (None, "undated", 1)
    record_event_change(enactment, EventDate("withdrawn"), SYSTEM)
    db.session.refresh(first)
    assert (first.due_date, first.due_state, first.revision) == (None, "void", 2)


def test_nothing_changes_when_nothing_moved(enactment):
    obligation = make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    audit_rows = db.session.scalar(sa.select(sa.func.count(AuditEntry.id)))
    moves = record_event_change(enactment, EventDate("expected", date(2026, 9, 1), "month"), SYSTEM)
    assert moves == []
    db.session.refresh(obligation)
    assert obligation.revision == 0
    assert db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == audit_rows


def test_refining_an_estimate_to_its_first_day_keeps_the_date_and_sharpens_the_precision(enactment):
    """A month estimate refined to its first day gives the same due date, now exact."""
    obligation = make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    record_event_change(enactment, EventDate("expected", date(2026, 9, 1), "day"), SYSTEM)
    db.session.refresh(obligation)
    # Same first day, but the precision is now exact: that is a change of due precision.
    assert obligation.due_date == date(2027, 2, 28)
    assert obligation.due_precision == "day"
    assert obligation.revision == 1  # a change of due precision is a new revision


def test_preview_lists_moves_without_writing(enactment):
    obligation = make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    preview = preview_event_change(enactment, EventDate("occurred", date(2026, 8, 6)))
    assert [(p.key, p.new.date, p.new.state) for p in preview] == [(obligation.key, date(2027, 2, 2), "firm")]
    db.session.rollback()
    db.session.refresh(obligation)
    assert obligation.revision == 0 and obligation.due_state == "projected"


def test_event_change_is_audited_field_by_field(enactment):
    record_event_change(enactment, EventDate("occurred", date(2026, 8, 6)), SYSTEM)
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.entity == "event")).one()
    assert entry.action == "update"
    assert entry.changes["status"] == ["expected", "occurred"]
    assert entry.changes["occurred_on"] == [None, "2026-08-06"]


def test_occurred_without_a_date_is_refused_and_nothing_written(enactment):
    make_obligation(rule="relative", anchor=enactment, rule_offset=180)
    with pytest.raises(ValidationFailed) as info:
        record_event_change(enactment, EventDate("occurred", None), SYSTEM)
    assert "date" in info.value.errors
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id))) == 0


def test_business_day_deadlines_use_the_sources_jurisdiction(app):
    source = make_source(jurisdiction="US-CA")
    event = make_event(source, status="expected", on=date(2026, 11, 20))
    obligation = make_obligation(rule="relative", anchor=event, rule_offset=10, rule_unit="business_days")
    # California also closes the Friday after Thanksgiving, federal offices do not.
    assert obligation.due_date == date(2026, 12, 8)
    record_event_change(event, EventDate("occurred", date(2026, 11, 20)), SYSTEM)
    db.session.refresh(obligation)
    assert (obligation.due_date, obligation.due_state) == (date(2026, 12, 8), "firm")


def test_statement_count_does_not_grow_with_anchored_obligations(app):
    def statements_to_record(count: int) -> int:
        event = make_event(status="expected", on=date(2026, 9, 1))
        team = make_team()
        for _ in range(count):
            make_obligation(team=team, rule="relative", anchor=event, rule_offset=90)
        db.session.expire_all()
        event = db.session.merge(event)
        executed = []
        listener = lambda *args: executed.append(args[2])  # noqa: E731
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            moves = record_event_change(event, EventDate("occurred", date(2026, 8, 1)), SYSTEM)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert len(moves) == count
        return len(executed)

    assert statements_to_record(3) == statements_to_record(60)
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id)).where(Obligation.revision == 1)) == 63


def test_a_confirmation_of_a_preview_the_register_has_outgrown_is_refused(enactment):
    first = make_obligation(rule="relative", anchor=enactment, rule_offset=180, title="Location verification")
    change = EventDate("occurred", date(2026, 8, 6))
    seen = preview_fingerprint(enactment, preview_event_change(enactment, change))
    newcomer = make_obligation(rule="relative", anchor=enactment, rule_offset=30, title="Newcomer")

    with pytest.raises(StalePreview) as refused:
        record_event(enactment.id, change, SYSTEM, preview=seen)
    assert [m.title for m in refused.value.moves] == ["Location verification", "Newcomer"]
    db.session.expire_all()
    assert db.session.get(Obligation, first.id).revision == 0
    assert db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id))) == 0

    event, moves = record_event(enactment.id, change, SYSTEM, preview=refused.value.fingerprint)
    assert (event.status, len(moves)) == ("occurred", 2)
    db.session.expire_all()
    assert db.session.get(Obligation, newcomer.id).revision == 1
    # The same confirmation again is stale too: the event it previewed is no longer expected.
    with pytest.raises(StalePreview):
        record_event(enactment.id, change, SYSTEM, preview=refused.value.fingerprint)
    assert record_event(10**6, change, SYSTEM) is None
