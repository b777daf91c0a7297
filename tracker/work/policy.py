"""Who may change an obligation, and who may own one: each rule defined once, here.

Roles per team may replace the global role: `may_edit_obligation` is the one
place pages, the API and bulk actions ask, so it is the one place to re-point.
"""

from __future__ import annotations

from sqlalchemy import select

from tracker.db import db
from tracker.people import permissions
from tracker.models import Obligation, User, team_members


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


def team_member_ids(team_id: int) -> set[int]:
    """The ids of the team's members."""
    return set(db.session.scalars(select(team_members.c.user_id).where(team_members.c.team_id == team_id)))


def owner_problem(team_id: int, owner: User | None) -> str | None:
    """Why `owner` cannot own an obligation of the team, or None (nobody is always allowed)."""
    if owner is None:
        return None
    if not owner.active:
        return f"{owner.email} is deactivated"
    if owner.id not in team_member_ids(team_id):
        return f"{owner.email} is not a member of this obligation's team"
    return None
