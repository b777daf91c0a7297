"""Read queries that several pages, feeds and jobs need."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from tracker.clock import local_today
from tracker.db import db
from tracker.models import Obligation, Team


def team_todays(now: datetime | None = None) -> dict[int, date]:
    """Today's local date for every team, by team id (one small query)."""
    return {team_id: local_today(tz, now) for team_id, tz in db.session.execute(select(Team.id, Team.timezone))}


def live_obligations(team_ids: list[int] | None = None):
    """A select of non-deleted obligations with team and owner loaded, by due date."""
    query = (
        select(Obligation)
        .where(Obligation.deleted_at.is_(None))
        .options(joinedload(Obligation.team), joinedload(Obligation.owner))
        .order_by(Obligation.due_date.is_(None), Obligation.due_date, Obligation.id)
    )
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    return query
