"""What the dashboard shows: the work that needs attention, in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from tracker.db import db
from tracker.models import DeadlineHistory, Event, Obligation
from tracker.models.register import ACTIVE_STATUSES
from tracker.register.dependents import Dependents, dependents_of
from tracker.register.queries import due_between, overdue_condition, stale_estimate_condition, undated_last

SECTION_LIMIT = 20


@dataclass
class Section:
    """A list of obligations with the total that matched (rows may be capped)."""

    key: str
    title: str
    hint: str
    rows: list = field(default_factory=list)
    total: int = 0
    list_args: dict = field(default_factory=dict)


@dataclass
class Dashboard:
    sections: list[Section]
    stale_events: list[tuple[Event, Dependents]]
    recent_changes: list[DeadlineHistory]


def scoped_obligations(team_ids: list[int] | None):
    """Live, active obligations, of `team_ids` only when given (every team when None)."""
    query = select(Obligation).where(Obligation.deleted_at.is_(None),
                                     Obligation.status.in_(ACTIVE_STATUSES))
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    return query


def _fill(section: Section, query, limit: int, dated: bool) -> Section:
    # Dated sections order by the indexed due date alone so SQLite can walk the
    # index and stop after `limit` rows instead of sorting every match.
    order = (Obligation.due_date, Obligation.id) if dated else undated_last()
    section.rows = list(db.session.scalars(
        query.options(joinedload(Obligation.team), joinedload(Obligation.owner),
                      joinedload(Obligation.anchor_event))
        .order_by(*order).limit(limit)))
    return section


def build_dashboard(team_ids: list[int] | None, todays: dict[int, date], utc_today: date,
                    limit: int = SECTION_LIMIT, owner_filter=None, owner: str = "") -> Dashboard:
    """The dashboard's sections for the given teams (None: every team).

    `owner_filter` (a condition, tracker.register.owners.owner_condition) narrows
    the sections to one owner; `owner` is its word, carried into the list links.
    """
    base = scoped_obligations(team_ids)
    if owner_filter is not None:
        base = base.where(owner_filter)
    conditions = {
        "stale": stale_estimate_condition(todays),
        "overdue": overdue_condition(todays),
        "next_30": due_between(todays, 0, 30),
        "next_90": due_between(todays, 31, 90),
        "projected": Obligation.due_state.in_(("projected", "undated")),
    }
    sections = [
        Section("stale", "Estimate passed",
                "Projected from an event expected by now and not recorded: not overdue. Estimate passed: "
                "record what happened or move the estimate.", list_args={"window": "stale", "status": "active"}),
        Section("overdue", "Overdue", "Due before today in the team's time zone and not done "
                "(a deadline waiting on a passed estimate is not overdue).",
                list_args={"window": "overdue"}),
        Section("next_30", "Due in the next 30 days", "Open or in progress, due from today to 30 days ahead.",
                list_args={"window": "next_30", "status": "active"}),
        Section("next_90", "Due in 31 to 90 days", "Open or in progress, due 31 to 90 days ahead.",
                list_args={"window": "next_90", "status": "active"}),
        Section("projected", "Waiting on an event",
                "Projected or undated deadlines: they firm up when the anchor event is recorded.",
                list_args={"due_state": "projected", "status": "active"}),
    ]
    # One pass over the scoped rows counts every section (instead of one count each).
    totals = db.session.execute(base.with_only_columns(
        *(func.coalesce(func.sum(case((conditions[s.key], 1), else_=0)), 0) for s in sections))).one()
    for section, total in zip(sections, totals):
        section.total = int(total)
        if owner:
            section.list_args["owner"] = owner
        _fill(section, base.where(conditions[section.key]), limit, dated=section.key not in ("projected", "stale"))
    return Dashboard(sections, stale_estimates(utc_today), recent_changes(team_ids))


def stale_estimates(today: date, limit: int = SECTION_LIMIT) -> list[tuple[Event, Dependents]]:
    """Expected events whose whole estimated window has passed, with what depends on each
    (tracker.register.dependents: the same count as the event page and the preview)."""
    events = db.session.scalars(
        select(Event).options(joinedload(Event.source))
        # A derived event is stale only through its root, which is listed itself.
        .where(Event.status == "expected", Event.expected_on < today, Event.derived_from_event_id.is_(None))
        .order_by(Event.expected_on, Event.id).limit(limit * 4)).all()
    stale = [event for event in events if event.partial_date and event.partial_date.last < today][:limit]
    found = dependents_of([event.id for event in stale])
    return [(event, found[event.id]) for event in stale]


def recent_changes(team_ids: list[int] | None, limit: int = 15) -> list[DeadlineHistory]:
    """The newest deadline history records, with their obligations and teams loaded."""
    query = (select(DeadlineHistory).join(Obligation, DeadlineHistory.obligation_id == Obligation.id)
             .where(Obligation.deleted_at.is_(None))
             .options(joinedload(DeadlineHistory.obligation).joinedload(Obligation.team))
             .order_by(DeadlineHistory.changed_at.desc(), DeadlineHistory.id.desc()).limit(limit))
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    return list(db.session.scalars(query))
