"""Email preferences (per user) and reminder policy (per team): validated, audited changes."""

from __future__ import annotations

from datetime import datetime

from tracker import audit
from tracker.people import operations as people
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Team, User
from tracker.fields import whole_number

PREFERENCE_FIELDS = ("email_reminders", "email_overdue", "email_changes", "email_digest")
# Not an opt-out: one email per deadline instead of one per cause or send time.
GROUPING_FIELD = "email_one_per_deadline"
EMAIL_FIELDS = (*PREFERENCE_FIELDS, GROUPING_FIELD)
MAX_LEAD_DAYS = 366
MAX_OVERDUE_EVERY = 366


def set_email_preferences(user: User, actor: Actor, now: datetime | None = None, **wanted: bool) -> bool:
    """Turn kinds of email (and one email per deadline) on or off for `user`; True if anything changed."""
    unknown = set(wanted) - set(EMAIL_FIELDS)
    if unknown:
        raise ValidationFailed({name: "not an email preference" for name in sorted(unknown)})
    before = audit.snapshot(user, EMAIL_FIELDS)
    for name, value in wanted.items():
        setattr(user, name, bool(value))
    changes = audit.diff(before, audit.snapshot(user, EMAIL_FIELDS))
    if not changes:
        return False
    now = now or utcnow()
    user.updated_at = now
    audit.log(actor, "update", user, changes, at=now)
    db.session.commit()
    return True


def parse_lead_days(text: str) -> list[int]:
    """'30, 7, 1, 0' -> [30, 7, 1, 0]; raises ValueError with a reason."""
    values = []
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        if not (part.isascii() and part.isdigit()):
            raise ValueError(f"'{part}' is not a whole number of days (use e.g. 30, 7, 1, 0)")
        days = whole_number(part, MAX_LEAD_DAYS)
        if days is None:
            raise ValueError(f"{part} days is more than a year ({MAX_LEAD_DAYS} at most)")
        values.append(days)
    if len(values) > 10:
        raise ValueError("at most 10 lead times")
    return sorted(set(values), reverse=True)


def update_reminder_policy(team: Team, actor: Actor, *, lead_days: str, overdue_every_days: str,
                           remind_projected: bool, digest_weekday: str) -> bool:
    """Validate and store a team's reminder policy; raises ValidationFailed with every field error."""
    errors: dict[str, str] = {}
    values: dict = {"remind_projected": bool(remind_projected)}
    try:
        values["reminder_lead_days"] = ",".join(str(v) for v in parse_lead_days(lead_days))
    except ValueError as error:
        errors["lead_days"] = str(error)
    every = whole_number((overdue_every_days or "").strip(), MAX_OVERDUE_EVERY)
    if every is None:
        errors["overdue_every_days"] = f"enter a number of days from 0 (no overdue notices) to {MAX_OVERDUE_EVERY}"
    else:
        values["overdue_every_days"] = every
    weekday = (digest_weekday or "").strip()
    if weekday in ("", "none"):
        values["digest_weekday"] = None
    elif whole_number(weekday, 6) is not None:
        values["digest_weekday"] = whole_number(weekday, 6)
    else:
        errors["digest_weekday"] = "choose a weekday or no digest"
    if errors:
        raise ValidationFailed(errors)
    return people.update_team(team, actor, **values)
