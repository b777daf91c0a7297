"""When reminders fall due: pure timing rules (`next_reminder_at` is kept fresh by tracker.mail.replan).

Every reminder is sent at 09:00 on a *local calendar date* of the team. The
instant is built as a local datetime and converted to UTC, never by adding
hours to UTC midnight, so a DST change between today and the due date cannot
shift it to 08:00 or 10:00.

`Obligation.next_reminder_at` is the stored, indexed "look at me next" time
(healthchecks' `alert_after`). Whenever an input of the timing changes (due
date, due state, status, deletion, team, or the team's policy or time zone)
it is reset to PLAN_NOW, so the next pass re-plans the obligation from the
database state; the pass then stores the next real send time. That reset is a
flush hook of its own module (tracker.mail.replan), so this one stays pure rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from tracker.models.register import ACTIVE_STATUSES

SEND_TIME = time(9, 0)


@dataclass(frozen=True)
class Policy:
    """A team's reminder policy, detached from the session."""

    tz: ZoneInfo
    lead_days: tuple[int, ...]
    overdue_every_days: int
    remind_projected: bool
    digest_weekday: int | None

    @classmethod
    def of(cls, team: Team) -> Policy:
        return cls(ZoneInfo(team.timezone), tuple(team.lead_days), team.overdue_every_days or 0,
                   bool(team.remind_projected), team.digest_weekday)


@dataclass(frozen=True)
class Due:
    """A reminder due now: kind 'reminder' (lead = days before) or 'overdue' (days after)."""

    kind: str
    lead_days: int


def send_instant(day: date, tz: ZoneInfo) -> datetime:
    """09:00 on the local date `day` in `tz`, as an aware UTC datetime."""
    return datetime.combine(day, SEND_TIME, tzinfo=tz).astimezone(timezone.utc)


def remindable(ob, policy: Policy) -> bool:
    """Lead-time and overdue reminders apply: active, dated, firm (or projected when allowed)."""
    if ob.deleted_at is not None or ob.status not in ACTIVE_STATUSES or ob.due_date is None:
        return False
    return ob.due_state == "firm" or (ob.due_state == "projected" and policy.remind_projected)


def due_now(ob, policy: Policy, now: datetime, stale: bool = False) -> Due | None:
    """The newest lead-time reminder or overdue notice whose send time has passed.

    `stale`: the deadline waits on a stale estimate (tracker.register.estimates):
    counted from an event that has not happened, it cannot be late, so no overdue
    notice is due (its stale-estimate notice goes instead, tracker.jobs.stale_notices).

    Only the newest one: after downtime the pass catches up with one message,
    not the whole backlog. A lead reminder whose send time came before the
    current revision existed (creation, or the last date change) was never
    owed: people learnt the date from the change notice or by creating it.
    """
    if not remindable(ob, policy):
        return None
    due, tz = ob.due_date, policy.tz
    today = now.astimezone(tz).date()
    if today <= due:
        passed = [lead for lead in policy.lead_days
                  if send_instant(due - timedelta(days=lead), tz) <= now
                  and send_instant(due - timedelta(days=lead), tz) > ob.due_changed_at]
        return Due("reminder", min(passed)) if passed else None
    every = policy.overdue_every_days
    if every <= 0 or stale:
        return None
    days_over = (today - due).days
    step = (days_over - 1) // every
    for k in (step, step - 1):
        if k < 0:
            continue
        days = 1 + k * every
        if send_instant(due + timedelta(days=days), tz) <= now:
            return Due("overdue", days)
    return None


def next_send_after(ob, policy: Policy, now: datetime) -> datetime | None:
    """The first lead-time or overdue send time after `now` (None: nothing will fall due)."""
    if not remindable(ob, policy):
        return None
    due, tz = ob.due_date, policy.tz
    times = [send_instant(due - timedelta(days=lead), tz) for lead in policy.lead_days]
    every = policy.overdue_every_days
    if every > 0:
        today = now.astimezone(tz).date()
        days_over = max((today - due).days, 1)
        k = max((days_over - 1) // every, 0)
        times += [send_instant(due + timedelta(days=1 + j * every), tz) for j in (k, k + 1)]
    future = [moment for moment in times if moment > now]
    return min(future) if future else None
