"""Keeping `next_reminder_at` fresh: a flush hook that re-plans what an edit touched.

`Obligation.next_reminder_at` is the stored, indexed "look at me next" time of
the reminder planner (tracker.mail.timing has the rules). Whenever an input of
the timing changes (due date, due state, status, deletion, team, or the team's
policy or time zone) it is reset to PLAN_NOW before the flush, so the next pass
re-plans the obligation from the database state. A hook on every session, not a
call in each use case: no edit of the register can forget it (the register's
use cases, tracker.register.recompute and .obligations, rely on it). Installed
once by create_app.
"""

from __future__ import annotations

from sqlalchemy import event, inspect, update
from sqlalchemy.orm import Session

from tracker.models import Obligation, Team
from tracker.models.register import PLAN_NOW

OBLIGATION_INPUTS = ("due_date", "due_state", "status", "deleted_at", "revision", "team_id",
                     "due_changed_at")
TEAM_INPUTS = ("reminder_lead_days", "overdue_every_days", "remind_projected", "timezone")


def _changed(obj, names: tuple[str, ...]) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def _mark_for_planning(session: Session, flush_context, instances) -> None:
    """Before a flush: re-plan obligations (and teams' obligations) whose inputs changed."""
    teams = session.info.setdefault("replan_teams", set())
    for obj in session.dirty:
        if isinstance(obj, Obligation) and _changed(obj, OBLIGATION_INPUTS):
            obj.next_reminder_at = PLAN_NOW
        elif isinstance(obj, Team) and obj.id is not None and _changed(obj, TEAM_INPUTS):
            teams.add(obj.id)


def _replan_teams(session: Session, flush_context) -> None:
    teams = session.info.pop("replan_teams", None)
    if teams:
        session.connection().execute(
            update(Obligation.__table__).where(Obligation.__table__.c.team_id.in_(teams))
            .values(next_reminder_at=PLAN_NOW))


def install() -> None:
    """Listen to every session's flushes (idempotent)."""
    if not event.contains(Session, "before_flush", _mark_for_planning):
        event.listen(Session, "before_flush", _mark_for_planning)
        event.listen(Session, "after_flush", _replan_teams)
