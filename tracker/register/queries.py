"""Read queries that several pages, feeds and jobs need."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from tracker.clock import local_today
from tracker.db import db
from tracker.errors import Conflict
from tracker.models import Obligation, Team
from tracker.register.owners import owner_condition, priority_order, tag_condition


def text_match(text: str, *columns):
    """Rows where any of `columns` contains `text`, case-insensitively (% and _ match themselves)."""
    return or_(*(column.icontains(text, autoescape=True) for column in columns))


def obligation_text_match(text: str):
    """Obligations whose own words (title, key, description), or the titles and citations of the
    sources and the titles of the events they come from, contain `text`: "chip" finds every
    obligation of the Chip Security Act, whatever its own title says."""
    from tracker.models import Event, Source

    sources = select(Source.id).where(text_match(text, Source.title, Source.citation))
    events = select(Event.id).where(or_(text_match(text, Event.title), Event.source_id.in_(sources)))
    return or_(text_match(text, Obligation.title, Obligation.key, Obligation.description), _from_events(events))


def _from_events(event_ids):
    """Obligations linked to, or counted from, one of `event_ids` (a select of event ids).

    IN over the few matching events, instead of a correlated EXISTS per obligation: the events are
    found once, then the link table's event index and the anchor index do the rest."""
    from tracker.models import obligation_events

    linked = select(obligation_events.c.obligation_id).where(obligation_events.c.event_id.in_(event_ids))
    return or_(Obligation.id.in_(linked), Obligation.anchor_event_id.in_(event_ids))


def undated_last(direction=None) -> tuple:
    """The order of live obligations everywhere: by due date, undated last, then id."""
    due = Obligation.due_date if direction is None else direction(Obligation.due_date)
    return (Obligation.due_date.is_(None), due, Obligation.id)


def obligation_page_url(obligation_id: int, base_url: str | None = None) -> str:
    """An obligation's public page (emails, feeds, the API's `html` link, the CSV)."""
    base = current_app.config["TRACKER_BASE_URL"] if base_url is None else base_url
    return f"{base.rstrip('/')}/obligations/{obligation_id}"


def event_date_column(status: str) -> str:
    """Which column holds an event's date: `occurred_on` once it occurred, else `expected_on`."""
    return "occurred_on" if status == "occurred" else "expected_on"


def event_date_values(status: str, on: date | None) -> dict:
    """The date columns of an event written fresh with `status` and date `on`.

    The date goes where `event_date_column` says, the other column stays empty;
    a speculative event has no date at all.
    """
    values = {"occurred_on": None, "expected_on": None}
    if status != "speculative":
        values[event_date_column(status)] = on
    return values


def team_todays(now: datetime | None = None) -> dict[int, date]:
    """Today's local date for every team, by team id (one small query)."""
    return {team_id: local_today(tz, now) for team_id, tz in db.session.execute(select(Team.id, Team.timezone))}


def live_obligations(team_ids: list[int] | None = None):
    """A select of non-deleted obligations with team and owner loaded, by due date."""
    query = (
        select(Obligation)
        .where(Obligation.deleted_at.is_(None))
        .options(joinedload(Obligation.team), joinedload(Obligation.owner))
        .order_by(*undated_last())
    )
    if team_ids is not None:
        query = query.where(Obligation.team_id.in_(team_ids))
    return query


# ---- Added for the web UI: due windows in each team's own "today", filtered lists ----

def due_between(todays: dict[int, date], low: int | None, high: int | None):
    """A condition: due date within [today+low, today+high] days of the team's local today.

    Teams in different time zones can be on different dates, so the teams are
    grouped by their today (rarely more than two groups) and one range is
    applied per group. None for `low` or `high` leaves that side open.
    """
    from datetime import timedelta

    from sqlalchemy import and_, false, or_

    groups: dict[date, list[int]] = {}
    for team_id, today in todays.items():
        groups.setdefault(today, []).append(team_id)
    parts = []
    for today, team_ids in groups.items():
        terms = [Obligation.team_id.in_(team_ids), Obligation.due_date.is_not(None)]
        if low is not None:
            terms.append(Obligation.due_date >= today + timedelta(days=low))
        if high is not None:
            terms.append(Obligation.due_date <= today + timedelta(days=high))
        parts.append(and_(*terms))
    return or_(*parts) if parts else false()


def overdue_condition(todays: dict[int, date]):
    """A condition: open or in progress, due before the team's today, and not waiting on a stale
    estimate (a deadline counted from an event that has not happened cannot yet be late)."""
    from sqlalchemy import and_, not_

    from tracker.models.register import ACTIVE_STATUSES
    from tracker.register.estimates import LapsedByDay

    return and_(Obligation.status.in_(ACTIVE_STATUSES), due_between(todays, None, -1),
                not_(LapsedByDay(todays).condition()))


def stale_estimate_condition(todays: dict[int, date]):
    """A condition: projected from an expected event whose estimate passed (tracker.register.estimates)."""
    from tracker.register.estimates import LapsedByDay

    return LapsedByDay(todays).condition()


DUE_WINDOWS = {
    "overdue": "Overdue",
    "stale": "Estimate passed",
    "next_30": "Due in the next 30 days",
    "next_90": "Due in the next 90 days",
    "later": "Due after 90 days",
    "no_date": "No date yet",
}
SORTS = {"due": "Due date", "title": "Title", "team": "Team", "status": "Status",
         "changed": "Recently changed"}


def obligation_filter(filters: dict, todays: dict[int, date]):
    """A select of live obligations matching the list page's filters, sorted.

    `filters` keys (all optional): team_id, status ('active' = open or in
    progress), due_state, jurisdiction (of a source event it comes from),
    window (a DUE_WINDOWS key), source_id (comes from that source), q (text in key, title or
    description, or in its sources' and events' titles and citations), owner ('me' with `user`,
    'none', a user id), priority, tag, sort (a SORTS key), desc (bool). Within a due day the most
    urgent come first. Team and owner are loaded with the rows.
    """
    from sqlalchemy import or_

    from tracker.models import Event, Source
    from tracker.models.register import ACTIVE_STATUSES

    query = select(Obligation).where(Obligation.deleted_at.is_(None))
    if filters.get("team_id"):
        query = query.where(Obligation.team_id == filters["team_id"])
    status = filters.get("status")
    if status == "active":
        query = query.where(Obligation.status.in_(ACTIVE_STATUSES))
    elif status:
        query = query.where(Obligation.status == status)
    if filters.get("due_state"):
        query = query.where(Obligation.due_state == filters["due_state"])
    if filters.get("jurisdiction"):
        query = query.where(Obligation.events.any(
            Event.source.has(Source.jurisdiction == filters["jurisdiction"])))
    window = filters.get("window")
    if window == "overdue":
        query = query.where(overdue_condition(todays))
    elif window == "stale":
        query = query.where(stale_estimate_condition(todays))
    elif window == "next_30":
        query = query.where(due_between(todays, 0, 30))
    elif window == "next_90":
        query = query.where(due_between(todays, 0, 90))
    elif window == "later":
        query = query.where(due_between(todays, 91, None))
    elif window == "no_date":
        query = query.where(Obligation.due_date.is_(None))
    if filters.get("source_id"):
        query = query.where(_from_events(select(Event.id).where(Event.source_id == filters["source_id"])))
    text = (filters.get("q") or "").strip()
    if text:
        query = query.where(obligation_text_match(text))
    query = _work_filters(query, filters)
    return query.order_by(*_sort_order(filters.get("sort") or "due", bool(filters.get("desc"))))


def _work_filters(query, filters: dict):
    """Owner ('me', 'none', a user id), priority and tag: the filters of managing the work."""

    if filters.get("owner"):
        query = query.where(owner_condition(filters["owner"], filters.get("user")))
    if filters.get("priority"):
        query = query.where(Obligation.priority == filters["priority"])
    if filters.get("tag"):
        query = query.where(tag_condition(filters["tag"]))
    return query


def _sort_order(sort: str, descending: bool) -> list:
    from sqlalchemy import asc, desc

    direction = desc if descending else asc
    if sort == "title":
        return [direction(Obligation.title), Obligation.id]
    if sort == "team":
        team_name = select(Team.name).where(Team.id == Obligation.team_id).scalar_subquery()
        return [direction(team_name), *undated_last()]
    if sort == "status":
        return [direction(Obligation.status), *undated_last()]
    if sort == "changed":
        return [desc(Obligation.due_changed_at) if not descending else asc(Obligation.due_changed_at),
                Obligation.id]

    due = Obligation.due_date if direction is asc else desc(Obligation.due_date)
    # Within a day, the most urgent first (whichever way the dates run).
    return [Obligation.due_date.is_(None), due, priority_order(), Obligation.id]


def page_of(query, page: int, per_page: int) -> tuple[list, int]:
    """One page of `query`'s rows (team and owner loaded) and the total: two statements."""
    from sqlalchemy import func

    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    rows = db.session.scalars(query.options(joinedload(Obligation.team), joinedload(Obligation.owner))
                              .limit(per_page).offset((page - 1) * per_page)).all()
    return list(rows), total


def require_unique(column, value, *, noun: str, except_id: int | None = None) -> None:
    """Raise Conflict when another row already holds `value` in the unique `column`.

    `noun` names the kind of row for the message ("a source", "an event"); the
    conflict names the column as its field, so forms and the API can point at it.
    """
    model = column.class_
    query = select(model.id).where(column == value)
    if except_id is not None:
        query = query.where(model.id != except_id)
    if db.session.scalar(query.limit(1)) is not None:
        field = column.key
        raise Conflict(f"{noun} with {field} '{value}' already exists", field=field)
