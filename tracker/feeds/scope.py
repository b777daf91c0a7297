"""Which obligations a feed covers, and the cheap queries about them.

`content_version` is what the whole-feed cache is keyed on: it changes when
any obligation in scope is created, edited, recomputed, completed, waived or
deleted (updated_at and friends), or when any source event changes. Together
with the range of days a render stays right for (the window moves daily, see
tracker.feeds.render) it decides whether a cached feed is still right, in a
few small aggregate queries and without rendering.
"""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, func, or_, select

from tracker.db import db
from tracker.feeds.items import CANCELLED_DAYS, PAST_DAYS, window_start
from tracker.models.register import ACTIVE_STATUSES
from tracker.models import (
    OBLIGATION_STATUSES,
    Event,
    FeedToken,
    Obligation,
    Source,
    Team,
    User,
    obligation_events,
    team_members,
)

LIGHT_COLUMNS = (
    Obligation.id, Obligation.team_id, Obligation.title, Obligation.rule, Obligation.rule_date, Obligation.rule_rrule,
    Obligation.completed_through, Obligation.due_date, Obligation.due_state, Obligation.revision,
    Obligation.status, Obligation.status_changed_at, Obligation.due_changed_at, Obligation.updated_at,
    Obligation.deleted_at,
    # What the rule reads: whether the deadline waits on a stale estimate (tracker.register.estimates).
    Obligation.anchor_event_id, Obligation.rule_combination, Obligation.rule_parts,
)
LightRow = namedtuple("LightRow", [column.key for column in LIGHT_COLUMNS])


@dataclass(frozen=True)
class FeedScope:
    """A feed: its cache identity, its calendar name, and the teams it covers."""

    key: str
    name: str
    team_ids: tuple[int, ...]
    timezones: tuple[str, ...] = ()


def team_scope(team: Team) -> FeedScope:
    """A team's feed."""
    return FeedScope(f"team:{team.id}", f"{team.name} deadlines", (team.id,), (team.timezone,))


def personal_scope(user: User) -> FeedScope:
    """A user's personal feed: the obligations of every team they belong to."""
    teams = db.session.execute(
        select(Team.id, Team.timezone).join(team_members, team_members.c.team_id == Team.id)
        .where(team_members.c.user_id == user.id).order_by(Team.id)).all()
    return FeedScope(f"user:{user.id}", f"Deadlines of {user.name or user.email}",
                     tuple(team_id for team_id, _ in teams), tuple(sorted({zone for _, zone in teams})))


def scope_for(row: FeedToken) -> FeedScope | None:
    """The scope a token opens, or None when its owner can no longer have a feed."""
    if row.team_id is not None:
        return team_scope(row.team)
    if row.user is None or not row.user.active:
        return None
    return personal_scope(row.user)


def _zones(scope: FeedScope) -> list:
    """The tzinfo of each team zone in scope (UTC for a name this machine does not know)."""
    zones = []
    for name in scope.timezones:
        try:
            zones.append(ZoneInfo(name))
        except (ZoneInfoNotFoundError, ValueError):
            zones.append(timezone.utc)
    return zones or [timezone.utc]


def scope_today(scope: FeedScope, now: datetime) -> date:
    """The feed's today: the date in its teams' time zone.

    A personal feed spanning several zones takes the earliest of their dates,
    so nothing leaves the window before the day has ended for every team.
    """
    return min(now.astimezone(zone).date() for zone in _zones(scope))


def day_start(scope: FeedScope, day: date) -> datetime:
    """When `day` began for the feed's teams (the latest of their midnights), in UTC.

    For a day no later than the feed's today this is never in the future.
    """
    return max(datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc) for zone in _zones(scope))


def latest_changes_in(content: tuple) -> tuple:
    """From a `content_version`: the latest update, due change, status change and
    deletion among the obligations in scope."""
    return content[1:5]


def midnight(day: date) -> datetime:
    """The start of `day` in UTC."""
    return datetime.combine(day, time(0), tzinfo=timezone.utc)


def content_version(scope: FeedScope) -> tuple:
    """Counts and latest change times of the obligations in scope and of all events,
    and the names and time zones of the teams (the zone decides the window's day)."""
    obligations = db.session.execute(
        select(func.count(Obligation.id), func.max(Obligation.updated_at), func.max(Obligation.due_changed_at),
               func.max(Obligation.status_changed_at), func.max(Obligation.deleted_at), func.sum(Obligation.revision),
               # Status counts catch changes made within one clock tick.
               func.count(Obligation.deleted_at), *[func.count(case((Obligation.status == status, 1)))
                                                    for status in OBLIGATION_STATUSES])
        .where(Obligation.team_id.in_(scope.team_ids))
    ).one()
    events = db.session.execute(select(func.count(Event.id), func.max(Event.updated_at))).one()
    sources = db.session.execute(select(func.count(Source.id), func.max(Source.updated_at))).one()
    teams = db.session.execute(select(Team.id, Team.name, Team.timezone)
                               .where(Team.id.in_(scope.team_ids)).order_by(Team.id)).all()
    return tuple(obligations) + tuple(events) + tuple(sources) + tuple(tuple(team) for team in teams)


def team_names(scope: FeedScope) -> dict[int, str]:
    """{team id: name} of the teams in scope."""
    return dict(db.session.execute(select(Team.id, Team.name).where(Team.id.in_(scope.team_ids))).all())


def still_owed():
    """An open or in-progress, live obligation: shown in feeds however late (the window is for the rest)."""
    return and_(Obligation.deleted_at.is_(None), Obligation.status.in_(ACTIVE_STATUSES))


def light_rows(scope: FeedScope, today: date) -> list:
    """Rows that may show in the feed today (without their text): every open deadline however
    late; done, waived and cancelled ones only within the window."""
    cutoff = midnight(today - timedelta(days=CANCELLED_DAYS))
    query = select(*LIGHT_COLUMNS).where(
        Obligation.team_id.in_(scope.team_ids),
        or_(Obligation.deleted_at.is_(None), Obligation.deleted_at >= cutoff),
        or_(Obligation.due_date.is_(None), Obligation.due_date >= window_start(today),
            Obligation.rule == "recurring", still_owed()),
    ).order_by(Obligation.id)
    # Plain named tuples: renders read each row's fields many times, and attribute
    # access on a SQLAlchemy Row costs about ten times as much.
    return [LightRow._make(row) for row in db.session.execute(query)]


def scope_ids(scope: FeedScope):
    """A select of every obligation id in scope (for IN subqueries)."""
    return select(Obligation.id).where(Obligation.team_id.in_(scope.team_ids)).scalar_subquery()


def event_versions(scope: FeedScope) -> dict[int, datetime]:
    """The latest change among each obligation's source events (and their sources), by obligation id."""
    query = (select(obligation_events.c.obligation_id, func.max(Event.updated_at), func.max(Source.updated_at))
             .join(Event, Event.id == obligation_events.c.event_id)
             .join(Source, Source.id == Event.source_id)
             .join(Obligation, Obligation.id == obligation_events.c.obligation_id)
             .where(Obligation.team_id.in_(scope.team_ids))
             .group_by(obligation_events.c.obligation_id))
    return {obligation_id: max(event_change, source_change)
            for obligation_id, event_change, source_change in db.session.execute(query)}


def departed_before(scope: FeedScope, today: date) -> date | None:
    """The last day a row not loaded by `light_rows` left the feed (window or cancellation)."""
    start = window_start(today)
    old_due = db.session.scalar(select(func.max(Obligation.due_date)).where(
        Obligation.team_id.in_(scope.team_ids), Obligation.deleted_at.is_(None),
        Obligation.status.not_in(ACTIVE_STATUSES),  # an open deadline never leaves
        Obligation.rule != "recurring", Obligation.due_date < start))
    old_deleted = db.session.scalar(select(func.max(Obligation.deleted_at)).where(
        Obligation.team_id.in_(scope.team_ids),
        Obligation.deleted_at < midnight(today - timedelta(days=CANCELLED_DAYS))))
    days = []
    if old_due is not None:
        days.append(old_due + timedelta(days=PAST_DAYS + 1))
    if old_deleted is not None:
        days.append(old_deleted.date() + timedelta(days=CANCELLED_DAYS + 1))
    return max(days) if days else None


def source_events(scope: FeedScope, today: date) -> list:
    """Dated source events behind the live obligations in scope, within the window."""
    linked = (select(obligation_events.c.event_id)
              .join(Obligation, Obligation.id == obligation_events.c.obligation_id)
              .where(Obligation.team_id.in_(scope.team_ids), Obligation.deleted_at.is_(None)))
    start = window_start(today)
    query = (select(Event.id, Event.title, Event.status, Event.occurred_on, Event.expected_on, Event.precision,
                    Event.updated_at, Event.created_at, Source.title.label("source"))
             .join(Source, Source.id == Event.source_id)
             .where(Event.id.in_(linked), Event.status.in_(("occurred", "expected", "withdrawn")),
                    or_(and_(Event.status == "occurred", Event.occurred_on >= start),
                        and_(Event.status != "occurred", Event.expected_on >= start)))
             .order_by(Event.id))
    return list(db.session.execute(query))

