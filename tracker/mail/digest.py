"""Planning the weekly digest: one per team, recipient and ISO week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from tracker.db import db
from tracker.register.estimates import lapsed_on
from tracker.register.owners import priority_order
from tracker.mail.render import render_digest
from tracker.models import DeadlineHistory, Obligation, Team
from tracker.models.register import ACTIVE_STATUSES
from tracker.mail.timing import Policy, send_instant
from tracker.mail.planning import digest_key, members_by_team, wants
from tracker.mail.queue import existing_keys, insert_new, outbox_row
from tracker.txn import begin_write

UPCOMING_DAYS = 30


@dataclass(frozen=True)
class ChangeLine:
    obligation: Obligation
    reason: str


def digest_week(now: datetime, policy: Policy, since: datetime | None = None) -> str | None:
    """The ISO week ('2026-W49') whose digest is due now in the team's zone, else None.

    A digest whose time came before `since` (the team's creation) was never owed.
    """
    if policy.digest_weekday is None:
        return None
    local = now.astimezone(policy.tz)
    year, week, _ = local.isocalendar()
    digest_day = date.fromisocalendar(year, week, policy.digest_weekday + 1)
    instant = send_instant(digest_day, policy.tz)
    if instant > now or (since is not None and instant <= since):
        return None
    return f"{year}-W{week:02d}"


def _content(team: Team, today: date, now: datetime):
    live = (select(Obligation).where(Obligation.team_id == team.id, Obligation.deleted_at.is_(None),
                                     Obligation.status.in_(ACTIVE_STATUSES),
                                     Obligation.due_state.in_(("firm", "projected")))
            .order_by(Obligation.due_date, priority_order(), Obligation.id))  # within a day, most urgent first
    # Past due but waiting on a stale estimate is not overdue (tracker.register.estimates).
    lapsed = lapsed_on(today)
    overdue = [ob for ob in db.session.scalars(live.where(Obligation.due_date < today)) if not lapsed.covers(ob)]
    upcoming = list(db.session.scalars(live.where(
        Obligation.due_date >= today, Obligation.due_date <= today + timedelta(days=UPCOMING_DAYS))))
    history = db.session.execute(
        select(DeadlineHistory, Obligation).join(Obligation, Obligation.id == DeadlineHistory.obligation_id)
        .where(Obligation.team_id == team.id, Obligation.deleted_at.is_(None),
               DeadlineHistory.changed_at >= now - timedelta(days=7), DeadlineHistory.changed_at <= now)
        .order_by(DeadlineHistory.changed_at))
    changed = [ChangeLine(ob, entry.reason) for entry, ob in history]
    return overdue, upcoming, changed


def plan_digests(now: datetime) -> int:
    """Queue this week's digest for every team whose digest time has come; returns rows added."""
    db.session.commit()
    teams = []
    for team in db.session.scalars(select(Team).where(Team.digest_weekday.is_not(None))):
        policy = Policy.of(team)
        week = digest_week(now, policy, since=team.created_at)
        if week is not None:
            teams.append((team, policy, week))
    if not teams:
        return 0
    members = members_by_team()
    due: list[tuple[Team, Policy, str, list]] = []
    for team, policy, week in teams:
        people = [user for user in members.get(team.id, []) if wants(user, "digest")]
        if people:
            due.append((team, policy, week, people))
    if not due:
        return 0
    present = existing_keys([digest_key(t.id, week, u.id) for t, _, week, people in due for u in people])
    due = [(t, p, week, [u for u in people if digest_key(t.id, week, u.id) not in present])
           for t, p, week, people in due]
    due = [entry for entry in due if entry[3]]
    if not due:
        return 0
    # Read and render without a write transaction (on SQLite BEGIN IMMEDIATE would hold the
    # database's write lock, and every user's write with it, for the whole rendering).
    rows = []
    for team, policy, week, people in due:
        today = now.astimezone(policy.tz).date()
        overdue, upcoming, changed = _content(team, today, now)
        for user in people:
            rendered = render_digest(team, week, user, overdue, upcoming, changed, today)
            rows.append(outbox_row(digest_key(team.id, week, user.id), "digest", rendered, user, now,
                                   team_id=team.id))
    db.session.commit()
    # A short write: the unique keys make a digest queued meanwhile by another pass harmless.
    begin_write()
    added = insert_new(rows)
    db.session.commit()
    return added
