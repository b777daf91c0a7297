"""Who may change an obligation: the rule defined once, here (who may own one: tracker.register.owners).

Roles per team may replace the global role: `may_edit_obligation` is the one
place pages, the API and bulk actions ask, so it is the one place to re-point.
"""

from __future__ import annotations

from tracker.people import permissions
from tracker.models import Obligation, User


def may_edit_obligation(user: User | None, obligation: Obligation) -> bool:
    """Whether `user` may change `obligation` (owner, status, priority, tags, evidence, comments):
    admins and the editors of its team (roles per team, tracker.people.permissions)."""
    return user is not None and permissions.may_edit_obligation(user, obligation)


def edit_refusal(user: User | None, obligation: Obligation) -> str | None:
    """Why `user` may not change `obligation`, or None when they may."""
    if obligation.deleted_at is not None:
        return "it was deleted"
    if not may_edit_obligation(user, obligation):
        return "you may not edit it"
    return None
