"""Recomputing stored due dates in bulk, with revisions and history.

Used whenever a deadline's inputs move: an anchor event recorded or re-estimated,
a rule edited, a recurring occurrence completed. The statements issued do not
grow with the number of obligations: one SELECT, one executemany UPDATE, one
multi-row INSERT of history.

Reminders follow without a call from here: a moved due date resets the
obligation's `next_reminder_at` in a flush hook (tracker.mail.replan), and the
next reminder pass re-plans it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable

from sqlalchemy import insert, select, update

from tracker.audit import Actor
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.deadlines import Anchor, Due, compute_due, due_wording
from tracker.models import DeadlineHistory, Obligation
from tracker.register import causes
from tracker.models.register import PLAN_NOW, rule_of
from tracker.vendors.moves import move_requests

RULE_COLUMNS = (
    Obligation.id,
    Obligation.key,
    Obligation.title,
    Obligation.rule,
    Obligation.rule_date,
    Obligation.rule_precision,
    Obligation.rule_offset,
    Obligation.rule_unit,
    Obligation.rule_calendar,
    Obligation.rule_rrule,
    Obligation.completed_through,
    Obligation.due_date,
    Obligation.due_state,
    Obligation.due_precision,
    Obligation.revision,
)


@dataclass(frozen=True)
class DueChange:
    """An obligation whose due date or due state moves."""

    obligation_id: int
    key: str
    title: str
    old_date: date | None
    old_state: str
    old_precision: str
    new: Due
    revision: int
    # The history reason when it is this change's own (a chain of derived
    # events); None takes the reason given to apply_changes.
    reason: str | None = None

    def summary(self) -> str:
        """'projected 2027-02-28 -> firm 2027-02-02'."""
        old = describe_due(self.old_date, self.old_state, self.old_precision)
        new = describe_due(self.new.date, self.new.state, self.new.precision)
        return f"{old} -> {new}"


def describe_due(day: date | None, state: str, precision: str = "day") -> str:
    """'firm 2027-02-02', 'firm 2026-07-01 (July 2026)', 'projected 2027-02-28', 'undated'.

    The state, then the engine's wording; a projected date is the plain date the
    engine computed (the SPEC's history form), never a month label it does not mean.
    """
    if day is None:
        return state
    if state == "projected":
        return f"{state} {day.isoformat()}"
    return f"{state} {due_wording(day, precision, state=state)}"


def changes_for(rows: Iterable, anchor: Anchor | None) -> list[DueChange]:
    """Compute each row's due date under `anchor`; keep only those that move."""
    changes = []
    for row in rows:
        try:
            due = compute_due(rule_of(row), anchor, completed_through=row.completed_through)
        except ValueError as exc:
            # Only reachable at the edges of the supported date range.
            raise ValidationFailed({"date": f"the deadline of '{row.title}' cannot be computed: {exc}"}) from None
        if (due.date, due.state, due.precision) == (row.due_date, row.due_state, row.due_precision):
            continue
        changes.append(
            DueChange(
                obligation_id=row.id,
                key=row.key,
                title=row.title,
                old_date=row.due_date,
                old_state=row.due_state,
                old_precision=row.due_precision,
                new=due,
                revision=row.revision + 1,
            )
        )
    return changes


def anchored_rows(event_id: int) -> list:
    """Every live obligation whose simple rule is anchored directly on the event.

    For what `changes_for` can compute from one anchor. The obligations that read an
    event through an earliest/latest part or down a chain of derived events are
    found by `tracker.register.chains.rows_reading` and moved by `plan_event_move`,
    which resolves the whole event graph.
    """
    query = select(*RULE_COLUMNS).where(
        Obligation.anchor_event_id == event_id, Obligation.deleted_at.is_(None)
    )
    return list(db.session.execute(query))


def apply_changes(changes: list[DueChange], reason: str, actor: Actor, now: datetime) -> None:
    """Store the new due dates, bump revisions and write history, in bulk.

    The caller owns the transaction. `reason` is prefixed to each change's
    'old -> new' summary in the history record.
    """
    if not changes:
        return
    cause_id = causes.current_cause_id()
    db.session.execute(
        update(Obligation),
        [
            {
                "id": change.obligation_id,
                "due_date": change.new.date,
                "due_state": change.new.state,
                "due_precision": change.new.precision,
                "revision": change.revision,
                "due_changed_at": now,
                "updated_at": now,
                "next_reminder_at": PLAN_NOW,  # re-plan reminders from the new date
            }
            for change in changes
        ],
    )
    db.session.execute(
        insert(DeadlineHistory),
        [
            {
                "obligation_id": change.obligation_id,
                "revision": change.revision,
                "changed_at": now,
                "actor_id": actor.user_id,
                "old_due_date": change.old_date,
                "old_due_state": change.old_state,
                "new_due_date": change.new.date,
                "new_due_state": change.new.state,
                "reason": f"{change.reason or reason}: {change.summary()}",
                "cause_id": cause_id,
            }
            for change in changes
        ],
    )
    # Every vendor request of a moved obligation moves with it (tracker.vendors.moves).
    move_requests(changes, reason, actor, now)
    # Bulk statements bypass the identity map: refresh any loaded copies.
    moved = {change.obligation_id for change in changes}
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Obligation) and obj.id in moved:
            db.session.expire(obj)
