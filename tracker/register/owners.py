"""Owners of obligations: who may own one, and the owner, priority and tag conditions of lists.

The work domain (tracker.work) assigns owners and sets priorities and tags; these
rules and conditions are the register's own, since the register's use cases and
queries (and the mail digest) apply them, and they stand below all of those.
"""

from __future__ import annotations

from sqlalchemy import String, case, cast, false, func, select

from tracker.db import db
from tracker.models import Obligation, User, team_members
from tracker.work.vocabulary import PRIORITY_RANK, is_id  # pure: imports nothing of the tracker

# The owner filter's words: mine, nobody's, or a person (by id or email).
OWNER_ME = "me"
OWNER_NONE = "none"


def user_by_email(email: str) -> User | None:
    """The user with this email, compared case-insensitively."""
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def owner_condition(value: str, user: User | None):
    """Obligations owned by `value`: 'me' (the signed-in user), 'none' (nobody), a user id or an email."""
    value = (value or "").strip()
    if value == OWNER_ME:
        return Obligation.owner_id == user.id if user is not None else false()
    if value in (OWNER_NONE, "unassigned"):
        return Obligation.owner_id.is_(None)
    if is_id(value):
        return Obligation.owner_id == int(value)
    owner = user_by_email(value)
    return Obligation.owner_id == owner.id if owner is not None else false()


def tag_condition(tag: str):
    """Obligations carrying `tag` (tags are stored as a JSON list of lower-case words)."""
    return cast(Obligation.tags, String).contains(f'"{tag.strip().lower()}"', autoescape=True)


def priority_order():
    """Most urgent first: a sort key for obligations due on the same day."""
    return case(PRIORITY_RANK, value=Obligation.priority, else_=PRIORITY_RANK["normal"])


def members_by_team(team_ids: set[int]) -> dict[int, list[User]]:
    """Active members of each team (who may own its obligations), by name: one query."""
    found: dict[int, list[User]] = {team_id: [] for team_id in team_ids}
    if team_ids:
        rows = db.session.execute(select(team_members.c.team_id, User).join(User, User.id == team_members.c.user_id)
                                  .where(team_members.c.team_id.in_(team_ids), User.active.is_(True))
                                  .order_by(User.name, User.email))
        for team_id, user in rows:
            found[team_id].append(user)
    return found


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
