"""Recording an event change is all-or-nothing: a failure part-way leaves no trace.

`record_event_change` writes in this order, all in one transaction:

1. `apply_changes`: one bulk UPDATE moving every anchored obligation (new due
   date, revision + 1), then, while building the history rows (`DueChange.summary`),
   one multi-row INSERT of DeadlineHistory;
2. the event's own columns;
3. `audit.log`, which flushes the event UPDATE and adds the AuditEntry;
4. the commit.

The failure is injected at two points that come after real writes: inside
`apply_changes` once the obligations were UPDATEd but before their history, and
in `audit.log` once the event row and the audit entry were flushed but before
the commit. Inside each injected failure the test first checks, in the failing
transaction, that the writes really happened, so "nothing changed" afterwards
is not vacuous.

The committed state is read from a separate connection. `record_event_change`
rolls back on error when it owns the transaction (`commit=True`), so a caller
that catches the error and commits other work later stores no half-made change
(`test_a_caller_that_commits_after_the_failure_*`).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa

from tests.factories import make_event, make_obligation, make_source, make_team, make_user
from tracker import audit
from tracker.audit import Actor
from tracker.db import db
from tracker.register.events import EventDate, record_event_change
from tracker.models import AuditEntry, DeadlineHistory, Event, Obligation
from tracker.register.recompute import DueChange

OFFSETS = (30, 90, 180)
EVENT_COLUMNS = (Event.status, Event.occurred_on, Event.expected_on, Event.precision, Event.updated_at)
OBLIGATION_COLUMNS = (
    Obligation.id,
    Obligation.due_date,
    Obligation.due_state,
    Obligation.due_precision,
    Obligation.revision,
    Obligation.due_changed_at,
    Obligation.updated_at,
    Obligation.next_reminder_at,
)
OCCURRED = EventDate("occurred", date(2026, 8, 6))


class InjectedFailure(RuntimeError):
    """The failure the tests inject; nothing in the tracker raises it."""


@pytest.fixture
def register(app, clock):
    """An expected event with three anchored obligations, one untouched bystander, an editor."""
    team = make_team()
    enactment = make_event(make_source(title="Chip Security Act"), status="expected", on=date(2026, 9, 1),
                           precision="month", title="Chip Security Act enacted")
    anchored = [make_obligation(team=team, rule="relative", anchor=enactment, rule_offset=offset)
                for offset in OFFSETS]
    bystander = make_obligation(team=team)  # fixed date, anchored on nothing
    editor = make_user(role="editor")
    # Later than every creation, so any stray write would show in the timestamps too.
    clock.move_to(datetime(2026, 11, 30, 8, 0, tzinfo=timezone.utc))
    return enactment, [o.id for o in anchored], bystander.id, editor


def committed_state(event_id: int) -> dict:
    """What another connection sees: only committed rows, never the session's transaction."""
    with db.engine.connect() as conn:
        return {
            "event": tuple(conn.execute(sa.select(*EVENT_COLUMNS).where(Event.id == event_id)).one()),
            "obligations": [tuple(row) for row in conn.execute(
                sa.select(*OBLIGATION_COLUMNS).order_by(Obligation.id))],
            "history": conn.scalar(sa.select(sa.func.count(DeadlineHistory.id))),
            "audit": conn.scalar(sa.select(sa.func.count(AuditEntry.id))),
        }


def session_revisions(ids: list[int]) -> list[int]:
    """The anchored obligations' revisions as the session's own transaction sees them."""
    return list(db.session.scalars(sa.select(Obligation.revision).where(Obligation.id.in_(ids))
                                   .order_by(Obligation.id)))


def fail_after_obligations_moved(monkeypatch, anchored_ids: list[int]) -> list[str]:
    """Fail in apply_changes after its bulk UPDATE, while the history rows are being built."""
    seen = []

    def summary(self):
        # The UPDATE of every anchored obligation already ran in this transaction.
        assert session_revisions(anchored_ids) == [1, 1, 1]
        assert db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id))) == 0
        seen.append("obligations moved")
        raise InjectedFailure("history could not be written")

    monkeypatch.setattr(DueChange, "summary", summary)
    return seen


def fail_after_event_and_audit_flushed(monkeypatch, anchored_ids: list[int]) -> list[str]:
    """Fail in audit.log after the real one ran and everything was flushed: only the commit is left."""
    seen = []
    real_log = audit.log

    def log(actor, action, obj, changes, at=None):
        real_log(actor, action, obj, changes, at=at)
        db.session.flush()
        assert session_revisions(anchored_ids) == [1, 1, 1]
        assert db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id))) == len(anchored_ids)
        assert db.session.scalar(sa.select(Event.status).where(Event.id == obj.id)) == "occurred"
        assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))
                                 .where(AuditEntry.entity == "event", AuditEntry.entity_id == obj.id,
                                        AuditEntry.action == "update")) == 1
        seen.append("event and audit flushed")
        raise InjectedFailure("audit log unavailable")

    monkeypatch.setattr(audit, "log", log)
    return seen


FAILURE_POINTS = {
    "after-obligations-before-history": fail_after_obligations_moved,
    "after-event-and-audit-before-commit": fail_after_event_and_audit_flushed,
}


@pytest.mark.parametrize("inject", FAILURE_POINTS.values(), ids=FAILURE_POINTS.keys())
def test_a_failure_midway_leaves_nothing_changed_and_the_session_usable(register, monkeypatch, inject):
    enactment, anchored_ids, bystander_id, editor = register
    before = committed_state(enactment.id)
    assert [row[4] for row in before["obligations"] if row[0] in anchored_ids] == [0, 0, 0]

    with monkeypatch.context() as patch:
        seen = inject(patch, anchored_ids)
        with pytest.raises(InjectedFailure):
            record_event_change(enactment, OCCURRED, Actor.of(editor))
    assert seen, "the failure was not reached: the test would prove nothing"

    # Nothing was committed: another connection sees exactly the rows from before.
    assert committed_state(enactment.id) == before

    # The callers roll back on any error; after that the session sees the old register too.
    db.session.rollback()
    assert (enactment.status, enactment.expected_on, enactment.occurred_on, enactment.precision) == (
        "expected", date(2026, 9, 1), None, "month")
    for obligation_id in anchored_ids:
        obligation = db.session.get(Obligation, obligation_id)
        assert (obligation.due_state, obligation.revision) == ("projected", 0)
    assert db.session.scalar(sa.select(sa.func.count(DeadlineHistory.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(AuditEntry.id))) == before["audit"]

    # The same change, recorded again without the failure, goes through in full.
    moves = record_event_change(enactment, OCCURRED, Actor.of(editor))
    assert sorted(move.obligation_id for move in moves) == anchored_ids

    after = committed_state(enactment.id)
    assert after["event"][:4] == ("occurred", date(2026, 8, 6), date(2026, 9, 1), "day")
    moved = {row[0]: row for row in after["obligations"]}
    old = {row[0]: row for row in before["obligations"]}
    for obligation_id in anchored_ids:
        assert moved[obligation_id][1] != old[obligation_id][1]  # a new due date
        assert moved[obligation_id][2:5] == ("firm", "day", 1)
    assert moved[bystander_id] == old[bystander_id]
    assert after["history"] == len(anchored_ids)
    assert after["audit"] == before["audit"] + 1


def test_a_caller_that_commits_after_the_failure_does_not_store_half_a_change(register, monkeypatch):
    enactment, anchored_ids, _, editor = register
    before = committed_state(enactment.id)
    with monkeypatch.context() as patch:
        fail_after_obligations_moved(patch, anchored_ids)
        with pytest.raises(InjectedFailure):
            record_event_change(enactment, OCCURRED, Actor.of(editor))
    db.session.commit()  # e.g. a caller that logs the error and carries on with other work
    assert committed_state(enactment.id) == before
