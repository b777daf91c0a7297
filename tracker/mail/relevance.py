"""Whether a queued email (or one item of it) should still go out: the deadline and the person, as they are now.

Planning happened earlier (the SMTP server may have been down, or not yet
configured). Both the grouping step and dispatch ask these questions; they
take anything with the attributes of an outbox row or item (kind,
obligation_id, revision, recipient_id, team_id).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from tracker.db import db
from tracker.mail.render import KIND_LABELS, PREFERENCE_OF_KIND
from tracker.models import Obligation, User, team_members
from tracker.models.vocabulary import ACTIVE_STATUSES, STATUS_LABELS

# The kinds whose content is deadlines (and so can go stale); the rest (digests,
# admin notices) are never stale.
ITEM_KINDS = ("reminder", "overdue", "change")


def stale_reason(row, obligations: dict) -> str | None:
    """Why a queued deadline email must not go out any more, or None.

    Planning happened earlier (the SMTP server may have been down, or not yet
    configured): by now the obligation may be done, waived, deleted, or moved
    to another date (a new revision, which has its own reminders and a change
    notice). Digests are never stale.
    """
    if row.kind not in ITEM_KINDS or row.obligation_id is None:
        return None
    current = obligations.get(row.obligation_id)
    if current is None or current.deleted_at is not None:
        return "not sent: the obligation was deleted"
    if current.status not in ACTIVE_STATUSES:
        return f"not sent: the obligation is {STATUS_LABELS.get(current.status, current.status).lower()}"
    if row.kind != "change" and current.revision != row.revision:
        return "not sent: the deadline moved since this reminder was planned"
    return None


def current_obligations(rows: list) -> dict:
    """The timing and recipient columns of the rows' obligations now, by id."""
    ids = {row.obligation_id for row in rows if row.obligation_id is not None}
    if not ids:
        return {}
    query = select(Obligation.id, Obligation.status, Obligation.revision, Obligation.deleted_at,
                   Obligation.team_id, Obligation.owner_id)
    return {row.id: row for row in db.session.execute(query.where(Obligation.id.in_(ids)))}


@dataclass(frozen=True)
class Recipients:
    """The recipients of a claimed batch as they are now: accounts and team memberships."""
    users: dict
    memberships: set


def current_recipients(rows: list) -> Recipients:
    """The rows' recipients now: their accounts, preferences and team memberships."""
    ids = {row.recipient_id for row in rows if row.recipient_id is not None}
    if not ids:
        return Recipients({}, set())
    columns = [User.id, User.active, *(getattr(User, name) for name in PREFERENCE_OF_KIND.values())]
    users = {user.id: user for user in db.session.execute(select(*columns).where(User.id.in_(ids)))}
    memberships = {(team_id, user_id) for team_id, user_id in db.session.execute(
        select(team_members.c.team_id, team_members.c.user_id).where(team_members.c.user_id.in_(ids)))}
    return Recipients(users, memberships)


def unwanted_reason(row, obligations: dict, recipients: Recipients) -> str | None:
    """Why a queued email must not go to its recipient any more, or None.

    Like stale_reason, but for the person: since planning they may have been
    deactivated or deleted, left the team, or turned this kind of email off.
    An obligation's owner stays a recipient without being a member.
    """
    user = recipients.users.get(row.recipient_id)  # recipient_id is NULL once the user is deleted
    if user is None:
        return "not sent: the recipient's account was deleted"
    if not user.active:
        return "not sent: the recipient was deactivated"
    preference = PREFERENCE_OF_KIND.get(row.kind)
    if preference is not None and not getattr(user, preference):
        return f"not sent: the recipient turned off {KIND_LABELS[row.kind]}"
    obligation = obligations.get(row.obligation_id)  # None for digests
    if obligation is not None and obligation.owner_id == user.id:
        return None
    team_id = obligation.team_id if obligation is not None else row.team_id
    if team_id is not None and (team_id, user.id) not in recipients.memberships:
        return "not sent: the recipient is no longer a member of the team"
    return None


