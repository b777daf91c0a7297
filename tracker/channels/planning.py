"""Planning channel deliveries from database state, in the same reminder pass as the mail.

Each pass asks the database what a team's channels should hear about and
queues one delivery per (channel, unique key); `operations.enqueue` finds an
existing key, so a second pass (or a second scheduler) queues nothing new.

| event type | planned when | unique key | items |
|---|---|---|---|
| `deadline.changed` | a cause (event recorded, pack import, rule edit...) moved deadlines of the team | `changed:cause:ID` (`changed:history:ID` for a change without a cause) | every deadline it moved |
| `event.recorded` | a recorded event moved deadlines of the team | `event:cause:ID` | the event |
| `deadline.upcoming` | 09:00 team time on a day some deadline is a lead time away | `upcoming:TEAM:DAY` | every such deadline |
| `deadline.overdue` | 09:00 team time on a day an overdue notice falls | `overdue:TEAM:DAY` | every such deadline |
| `digest.weekly` | the team's digest time | `digest:TEAM:WEEK` | overdue and next 30 days |

Other domains (proposals, vendor requests) call `enqueue_for_team` inside
their own transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from tracker.channels import operations
from tracker.clock import utcnow
from tracker.db import db
from tracker.deadlines import due_wording
from tracker.mail.digest import UPCOMING_DAYS, digest_week
from tracker.mail.planning import changes_since
from tracker.mail.timing import Policy, send_instant
from tracker.models import Channel, ChangeCause, ChannelDelivery, DeadlineHistory, Event, Obligation, Team
from tracker.models.register import ACTIVE_STATUSES
from tracker.register.estimates import lapsed_on
from tracker.register.queries import obligation_page_url
from tracker.txn import begin_write


def enqueue_for_team(team_id: int, event_type: str, unique_key: str, data: list[dict],
                     now: datetime | None = None) -> int:
    """Queue `data` (items as in tracker.channels.payloads) to every active channel of the team that takes `event_type`.

    Runs in the caller's transaction (it does not commit); at most once per
    (channel, `unique_key`), so calling it again with the same key is harmless.
    Returns how many deliveries were added.
    """
    now = now or utcnow()
    added = 0
    for channel in db.session.scalars(select(Channel).where(Channel.team_id == team_id,
                                                             Channel.status == "active").order_by(Channel.id)):
        if event_type not in (channel.event_types or []):
            continue
        known = db.session.scalar(select(ChannelDelivery.id).where(
            ChannelDelivery.channel_id == channel.id, ChannelDelivery.unique_key == unique_key[:200]))
        if known is None and operations.enqueue(channel, event_type, unique_key, data, now=now, commit=False):
            added += 1
    return added


def obligation_item(obligation: Obligation, **extra) -> dict:
    """One deadline as a channel item: title, link, due date and state, and its key."""
    return {"title": obligation.title, "url": obligation_page_url(obligation.id), "key": obligation.key,
            "due_date": obligation.due_date.isoformat() if obligation.due_date else None,
            "due_state": obligation.due_state,
            "due_label": due_wording(obligation.due_date, obligation.due_precision), **extra}


def _change_item(obligation: Obligation, entry: DeadlineHistory) -> dict:
    old = entry.old_due_date.isoformat() if entry.old_due_date else (entry.old_due_state or "none")
    new = entry.new_due_date.isoformat() if entry.new_due_date else entry.new_due_state
    return obligation_item(obligation, previous_due_date=entry.old_due_date.isoformat() if entry.old_due_date else None,
                           previous_due_state=entry.old_due_state, reason=entry.reason,
                           detail=f"was {old}, now {new} ({entry.new_due_state})")


def _changes(team_ids: set[int], since: datetime, now: datetime) -> list[tuple[int, str, str, list[dict]]]:
    """(team, event type, key, items) for the causes and changes in the window."""
    rows = db.session.execute(
        select(DeadlineHistory, Obligation).join(Obligation, Obligation.id == DeadlineHistory.obligation_id)
        .where(Obligation.team_id.in_(team_ids), DeadlineHistory.revision >= 1,
               # Everything committed up to this read, whatever the pass's clock (a change
               # recorded after `now` is not left for a later clock).
               DeadlineHistory.changed_at > since)
        .order_by(DeadlineHistory.new_due_date, DeadlineHistory.id)).all()
    by_key: dict[tuple[int, str], list] = defaultdict(list)
    for entry, obligation in rows:
        key = f"changed:cause:{entry.cause_id}" if entry.cause_id is not None else f"changed:history:{entry.id}"
        by_key[(obligation.team_id, key)].append((entry, obligation))
    planned = []
    cause_ids = {entry.cause_id for entry, _ in rows if entry.cause_id is not None}
    causes = {cause.id: cause for cause in db.session.scalars(
        select(ChangeCause).where(ChangeCause.id.in_(cause_ids)))} if cause_ids else {}
    for (team_id, key), entries in by_key.items():
        items = [_change_item(obligation, entry) for entry, obligation in entries]
        cause = causes.get(entries[0][0].cause_id)
        if cause is not None:
            for item in items:
                item["cause"] = cause.title
        planned.append((team_id, "deadline.changed", key, items))
        if cause is not None and cause.kind == "event" and cause.event_id is not None:
            event = db.session.get(Event, cause.event_id)
            if event is not None:
                on = event.occurred_on or event.expected_on
                planned.append((team_id, "event.recorded", f"event:cause:{cause.id}", [{
                    "title": event.title, "key": event.key, "status": event.status,
                    "date": on.isoformat() if on else None,
                    "detail": f"{event.status}; {len(items)} deadline{'s' if len(items) != 1 else ''} moved",
                    "moved": [item["key"] for item in items]}]))
    return planned


def _live(team: Team, policy: Policy):
    states = ("firm", "projected") if policy.remind_projected else ("firm",)
    return select(Obligation).where(Obligation.team_id == team.id, Obligation.deleted_at.is_(None),
                                    Obligation.status.in_(ACTIVE_STATUSES), Obligation.due_state.in_(states),
                                    Obligation.due_date.is_not(None))


def _due_today(team: Team, policy: Policy, now: datetime) -> list[tuple[int, str, str, list[dict]]]:
    """Upcoming and overdue deadlines of the team's day, once its 09:00 has come."""
    today = now.astimezone(policy.tz).date()
    if send_instant(today, policy.tz) > now:
        return []
    planned = []
    leads = sorted(set(policy.lead_days))
    if leads:
        upcoming = db.session.scalars(_live(team, policy).where(
            Obligation.due_date.in_([today + timedelta(days=lead) for lead in leads]))
            .order_by(Obligation.due_date, Obligation.id)).all()
        if upcoming:
            planned.append((team.id, "deadline.upcoming", f"upcoming:{team.id}:{today.isoformat()}",
                            [obligation_item(ob, days_left=(ob.due_date - today).days) for ob in upcoming]))
    every = policy.overdue_every_days
    if every > 0:
        late = db.session.scalars(_live(team, policy).where(Obligation.due_date < today)
                                  .order_by(Obligation.due_date, Obligation.id)).all()
        lapsed = lapsed_on(today)  # waiting on a stale estimate: not late (event.stale tells instead)
        overdue = [ob for ob in late if ((today - ob.due_date).days - 1) % every == 0 and not lapsed.covers(ob)]
        if overdue:
            planned.append((team.id, "deadline.overdue", f"overdue:{team.id}:{today.isoformat()}",
                            [obligation_item(ob, days_overdue=(today - ob.due_date).days) for ob in overdue]))
    return planned


def _digest(team: Team, policy: Policy, now: datetime) -> list[tuple[int, str, str, list[dict]]]:
    week = digest_week(now, policy, since=team.created_at)
    if week is None:
        return []
    today = now.astimezone(policy.tz).date()
    rows = db.session.scalars(_live(team, policy).where(
        Obligation.due_date <= today + timedelta(days=UPCOMING_DAYS)).order_by(Obligation.due_date, Obligation.id))
    lapsed = lapsed_on(today)
    items = [obligation_item(ob, section="stale_estimate" if lapsed.covers(ob) else
                             "overdue" if ob.due_date < today else "upcoming") for ob in rows]
    if not items:
        items = [{"title": f"Nothing overdue or due in the next {UPCOMING_DAYS} days", "detail": f"week {week}"}]
    return [(team.id, "digest.weekly", f"digest:{team.id}:{week}", items)]


def _known(channels: list[Channel], keys: set[str]) -> set[tuple[int, str]]:
    if not keys:
        return set()
    known = set()
    key_list = sorted(keys)
    for start in range(0, len(key_list), 500):
        known.update(db.session.execute(select(ChannelDelivery.channel_id, ChannelDelivery.unique_key).where(
            ChannelDelivery.channel_id.in_([channel.id for channel in channels]),
            ChannelDelivery.unique_key.in_(key_list[start:start + 500]))).all())
    return known


def plan_channels(now: datetime) -> int:
    """Queue what every active channel should hear about at `now`; returns deliveries added."""
    db.session.commit()
    channels = db.session.scalars(select(Channel).where(Channel.status == "active").order_by(Channel.id)).all()
    if not channels:
        return 0  # the usual case: one query
    by_team: dict[int, list[Channel]] = defaultdict(list)
    for channel in channels:
        by_team[channel.team_id].append(channel)
    teams = {team.id: team for team in db.session.scalars(select(Team).where(Team.id.in_(list(by_team))))}
    wanted = {event_type for channel in channels for event_type in (channel.event_types or [])}
    planned = []
    if wanted & {"deadline.changed", "event.recorded"}:
        planned += _changes(set(teams), changes_since(now), now)
    for team in teams.values():
        policy = Policy.of(team)
        types = {event_type for channel in by_team[team.id] for event_type in (channel.event_types or [])}
        if types & {"deadline.upcoming", "deadline.overdue"}:
            planned += _due_today(team, policy, now)
        if "digest.weekly" in types:
            planned += _digest(team, policy, now)
    known = _known(channels, {key for _, _, key, _ in planned})
    work = []
    for team_id, event_type, key, items in planned:
        targets = [channel for channel in by_team[team_id] if event_type in (channel.event_types or [])
                   and (channel.id, key) not in known]
        if targets:
            work.append((targets, event_type, key, items))
    db.session.commit()
    if not work:
        return 0
    begin_write()  # short: the bodies are small, and enqueue tolerates a concurrent pass
    added = 0
    for targets, event_type, key, items in work:
        for channel in targets:
            channel = db.session.get(Channel, channel.id)
            if channel is not None and channel.status == "active":
                before = db.session.scalar(select(ChannelDelivery.id).where(
                    ChannelDelivery.channel_id == channel.id, ChannelDelivery.unique_key == key))
                if before is None and operations.enqueue(channel, event_type, key, items, now=now, commit=False):
                    added += 1
    db.session.commit()
    return added
