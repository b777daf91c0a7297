"""Who may change an obligation: the rule defined once, here (who may own one: tracker.register.owners).

Roles per team may replace the global role: `may_edit_obligation` is the one
place pages, the API and bulk actions ask, so it is the one place to re-point.
"""

from __future__ import annotations

from typing import Callable

from tracker.people import permissions
from tracker.models import Obligation, User


def may_edit_obligation(user: User | None, obligation: Obligation) -> bool:
    """Whether `user` may change `obligation` (owner, status, priority, tags, evidence, comments):
    admins and the editors of its team (roles per team, tracker.people.permissions)."""
    return user is not None and permissions.may_edit_obligation(user, obligation)


def edit_refusal(user: User | None, obligation: Obligation,
                 may_edit_team: Callable[[int | None], bool] | None = None) -> str | None:
    """Why `user` may not change `obligation`, or None when they may. `may_edit_team`:
    the user's rule read once for many rows (permissions.team_editor), the same answer."""
    if obligation.deleted_at is not None:
        return "it was deleted"
    allowed = may_edit_team(obligation.team_id) if may_edit_team else may_edit_obligation(user, obligation)
    if not allowed:
        return "you may not edit it"
    return None
