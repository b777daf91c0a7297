"""Obligation use cases: create, edit, status changes, recurring completion, delete."""

from datetime import date

import pytest
import sqlalchemy as sa

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import AuditEntry, DeadlineHistory, Obligation
from tracker.register.obligations import ObligationInput, create_obligation, delete_obligation, set_status, update_obligation
from tests.factories import make_event, make_obligation, make_team


def test_fixed_month_deadline_is_due_on_the_first_day(app):
    ob = make_obligation(rule_date=date(2026, 7, 1), rule_precision="month")
    assert (ob.due_date, ob.due_state, ob.due_precision, ob.revision) == (date(2026, 7, 1), "firm", "month", 0)


def test_anchor_is_always_part_of_the_provenance(app):
    event = make_event()
    ob = make_obligation(rule="relative", anchor=event, rule_offset=10)
    assert [e.id for e in ob.events] == [event.id]


def test_editing_the_rule_moves_the_deadline_with_history(app):
    team = make_team()
    ob = make_obligation(team=team, rule_date=date(2027, 1, 15))
    data = ObligationInput(key=ob.key, title=ob.title, team_id=team.id, rule="fixed", rule_date=date(2027, 2, 1))
    move = update_obligation(ob, data, SYSTEM)
    assert move is not None and ob.due_date == date(2027, 2, 1) and ob.revision == 1
    history = db.session.scalars(sa.select(DeadlineHistory)).one()
    assert history.reason == "deadline rule edited by system: firm 2027-01-15 -> firm 2027-02-01"


def test_editing_only_the_title_keeps_the_revision(app):
    team = make_team()
    ob = make_obligation(team=team)
    old_title = ob.title
    data = ObligationInput(key=ob.key, title="Renamed", team_id=team.id, rule="fixed", rule_date=ob.rule_date)
    assert update_obligation(ob, data, SYSTEM) is None
    assert ob.revision == 0 and ob.title == "Renamed"
    entry = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "update")).one()
    assert entry.changes == {"title": [old_title, "Renamed"]}


def test_bad_input_names_each_field_and_writes_nothing(app):
    team = make_team()
    data = ObligationInput(key="", title="x\ny", team_id=team.id, rule="relative", anchor_event_id=999,
                           rule_offset=99999, rule_unit="weeks")
    with pytest.raises(ValidationFailed) as info:
        create_obligation(data, SYSTEM)
    assert {"key", "title", "anchor_event_id", "rule_unit"} <= set(info.value.errors)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id))) == 0


def test_duplicate_key_is_a_conflict(app):
    ob = make_obligation(key="same")
    with pytest.raises(Conflict):
        make_obligation(team=ob.team, key="same")


def test_waiving_needs_a_reason(app):
    ob = make_obligation()
    with pytest.raises(ValidationFailed) as info:
        set_status(ob, "waived", SYSTEM, note="  ")
    assert "note" in info.value.errors
    set_status(ob, "waived", SYSTEM, note="Not a vendor in that market")
    assert (ob.status, ob.status_note) == ("waived", "Not a vendor in that market")


def test_completing_a_recurring_occurrence_moves_to_the_next(app):
    ob = make_obligation(rule="recurring", rule_date=date(2027, 1, 31), rule_rrule="FREQ=MONTHLY")
    assert ob.due_date == date(2027, 1, 31)
    set_status(ob, "done", SYSTEM)
    db.session.refresh(ob)
    assert (ob.status, ob.due_date, ob.revision, ob.completed_through) == ("open", date(2027, 2, 28), 1, date(2027, 1, 31))
    reason = db.session.scalars(sa.select(DeadlineHistory.reason)).one()
    assert reason.startswith("occurrence 2027-01-31 completed by system: ")


def test_completing_the_last_occurrence_leaves_it_done(app):
    ob = make_obligation(rule="recurring", rule_date=date(2027, 7, 1), rule_rrule="FREQ=YEARLY;COUNT=1")
    set_status(ob, "done", SYSTEM)
    assert ob.status == "done"


def test_delete_is_soft_and_audited(app):
    ob = make_obligation()
    delete_obligation(ob, SYSTEM)
    assert ob.deleted_at is not None
    assert db.session.scalar(sa.select(sa.func.count(Obligation.id))) == 1
    assert db.session.scalar(sa.select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1)) == "delete"


def test_a_rule_that_leaves_the_supported_date_range_is_refused(app):
    event = make_event(status="expected", on=date(9998, 1, 1))
    team = make_team()
    data = ObligationInput(key="far", title="Far", team_id=team.id, rule="relative",
                           anchor_event_id=event.id, rule_offset=3650)
    with pytest.raises(ValidationFailed) as info:
        create_obligation(data, SYSTEM)
    assert "rule_offset" in info.value.errors
