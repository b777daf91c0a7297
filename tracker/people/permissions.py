"""Who may do what: the one place the "who may" rules live.

A user is `admin` of the whole deployment, or holds `editor` or `viewer` in
each team they belong to (`team_members.role`; a membership stored without a
role counts as the user's own role, which is what every membership had before
roles per team). Every signed-in user may read the register; a team's own
objects (its obligations' vendor scopes, its vendors and their contacts, its
vendor requests and response links, the watches whose events drive its
deadlines) need editor in that team; evidence files and vendor answers are
readable by the team's members and admins only. Every write to an obligation
(create, edit, status, owner, delete) needs editor in its team, and moving it
to another team editor in both. Sources and events belong to no team: admins
and editors (of any team) change them, except that a change of an event's date
(or derivation) that moves deadlines needs editor in every team whose
deadlines it moves.

Views call `require(...)`, which raises a 403 the HTML and API error handlers
both render; services stay free of request state.
"""

from __future__ import annotations

from typing import Callable, Iterable

from sqlalchemy import select, union
from werkzeug.exceptions import Forbidden

from tracker.db import db
from tracker.models import Obligation, Team, User, obligation_events, team_members
from tracker.models.register import Event

ADMIN, EDITOR, VIEWER = "admin", "editor", "viewer"
TEAM_ROLES = (EDITOR, VIEWER)


class NotAllowed(Forbidden):
    """A 403 that says what the user would need."""

    def __init__(self, why: str):
        super().__init__(description=why)


def viewer_may_write(view):
    """Mark a form a viewer may post: their own account, password, tokens, feeds,
    email preferences and saved views (and signing in and out). Every other
    write of a viewer is refused before the view runs (people/auth.py)."""
    view.viewer_may_write = True
    return view


def viewer_may_post(view) -> bool:
    """Whether the view function serving a request is marked @viewer_may_write."""
    return bool(getattr(view, "viewer_may_write", False))


def require(allowed: bool, why: str) -> None:
    """Raise a 403 with `why` unless `allowed`."""
    if not allowed:
        raise NotAllowed(why)


def _membership_role(stored: str | None, user: User) -> str:
    """A membership's effective role: the stored one, else the user's own (never admin inside a team)."""
    if stored in TEAM_ROLES:
        return stored
    return VIEWER if user.role == VIEWER else EDITOR


def team_roles(user: User) -> dict[int, str]:
    """{team id: 'editor' or 'viewer'} for every team `user` belongs to."""
    if user is None or getattr(user, "id", None) is None:
        return {}
    rows = db.session.execute(select(team_members.c.team_id, team_members.c.role)
                              .where(team_members.c.user_id == user.id))
    return {team_id: _membership_role(role, user) for team_id, role in rows}


def member_roles(team_id: int) -> dict[int, str]:
    """{user id: 'admin', 'editor' or 'viewer'} for every member of a team (one query)."""
    rows = db.session.execute(select(User, team_members.c.role).join(team_members, team_members.c.user_id == User.id)
                              .where(team_members.c.team_id == team_id))
    return {user.id: ADMIN if user.role == ADMIN else _membership_role(role, user) for user, role in rows}


def role_in_team(user: User, team_id: int) -> str | None:
    """'admin' for a deployment admin, else the user's role in that team, None for a non-member."""
    if is_admin(user):
        return ADMIN
    return team_roles(user).get(team_id)


def is_admin(user: User | None) -> bool:
    return bool(user is not None and getattr(user, "role", None) == ADMIN and getattr(user, "active", True))


def may_edit_register(user: User) -> bool:
    """Sources and events (no team owns them): admins and editors."""
    return user is not None and user.role in (ADMIN, EDITOR)


def may_edit_team(user: User, team_id: int | None) -> bool:
    """Changes to a team's own objects: admins and that team's editors."""
    if is_admin(user):
        return True
    return team_id is not None and team_roles(user).get(team_id) == EDITOR


def team_editor(user: User | None) -> Callable[[int | None], bool]:
    """`may_edit_team` for one user over many teams (a bulk change): their roles read once."""
    if user is None:
        return lambda team_id: False
    if is_admin(user):
        return lambda team_id: True
    roles = team_roles(user)
    return lambda team_id: team_id is not None and roles.get(team_id) == EDITOR


def may_edit_teams(user: User, team_ids: Iterable[int]) -> bool:
    """Editor in every one of these teams (or admin)."""
    if is_admin(user):
        return True
    roles = team_roles(user)
    return all(roles.get(team_id) == EDITOR for team_id in team_ids)


def may_read_team_private(user: User, team_ids: Iterable[int]) -> bool:
    """Evidence files and vendor answers: admins and members of one of these teams."""
    if is_admin(user):
        return True
    roles = team_roles(user)
    return any(team_id in roles for team_id in team_ids)


# -- the objects, each mapped to the team(s) that own it ---------------------------------------

def request_team_ids(vendor_request) -> set[int]:
    """A vendor request belongs to the team collecting the obligation and to the vendor's managing team."""
    return {vendor_request.obligation.team_id, vendor_request.vendor.team_id}


def may_edit_vendor(user: User, vendor) -> bool:
    """A vendor, its contacts and its offboarding: editors of its managing team."""
    return may_edit_team(user, vendor.team_id)


def may_edit_request(user: User, vendor_request) -> bool:
    """Review, re-issue ("send again") or revoke a request's links: editors of the obligation's or vendor's team."""
    if is_admin(user):
        return True
    roles = team_roles(user)
    return any(roles.get(team_id) == EDITOR for team_id in request_team_ids(vendor_request))


def may_read_answers(user: User, vendor_request) -> bool:
    """Evidence files and attestations of a request."""
    return may_read_team_private(user, request_team_ids(vendor_request))


def may_read_evidence(user: User, evidence) -> bool:
    """An obligation's evidence files: the members of its team and admins."""
    team_id = db.session.scalar(select(Obligation.team_id).where(Obligation.id == evidence.obligation_id))
    return may_read_team_private(user, [team_id])


def may_edit_obligation(user: User, obligation) -> bool:
    """Any write to an obligation (fields, status, owner, tags, evidence, comments, vendor scope):
    admins and the editors of its team."""
    return may_edit_team(user, obligation.team_id)


def may_manage_team_feed(user: User, team_id: int) -> bool:
    """Regenerate a team's calendar feed and see who left it: admins and the team's editors."""
    return may_edit_team(user, team_id)


def teams_driven_by_source(source_id: int) -> set[int]:
    """The teams whose live obligations count from (or are linked to) an event of this source."""
    events = select(Event.id).where(Event.source_id == source_id)
    linked = select(Obligation.team_id).join(obligation_events, obligation_events.c.obligation_id == Obligation.id) \
        .where(obligation_events.c.event_id.in_(events), Obligation.deleted_at.is_(None))
    anchored = select(Obligation.team_id).where(Obligation.anchor_event_id.in_(events),
                                                Obligation.deleted_at.is_(None))
    return set(db.session.scalars(select(union(linked, anchored).subquery().c[0])))


def may_edit_watch(user: User, source_id: int) -> bool:
    """A watch applies events of its source, which move the deadlines of the teams driven by it:
    editor in every such team (a source that drives no team's deadline: any editor)."""
    if not may_edit_register(user):
        return False
    return may_edit_teams(user, teams_driven_by_source(source_id))


# -- obligations and the deadlines events move --------------------------------------------------

def _team_names(team_ids: Iterable[int]) -> str:
    """'Export Compliance, Procurement': the teams' names for a refusal."""
    ids = sorted(set(team_ids))
    names = db.session.scalars(select(Team.name).where(Team.id.in_(ids)).order_by(Team.name)) if ids else []
    return ", ".join(names)


def teams_edited_by(user: User) -> set[int] | None:
    """The ids of the teams `user` is editor in; None for an admin (every team)."""
    if is_admin(user):
        return None
    return {team_id for team_id, role in team_roles(user).items() if role == EDITOR}


def may_place_obligation(user: User, team_id: int | None) -> bool:
    """Create an obligation in a team, or move one into it: editors of that team (and admins).

    A team that does not exist is left to the form's own validation (a field
    error, not a 403)."""
    if not may_edit_register(user):
        return False
    if team_id is None or db.session.get(Team, team_id) is None:
        return True
    return may_edit_team(user, team_id)


def require_obligation_write(user: User, obligation, new_team_id: int | None = None) -> None:
    """Any write to an obligation (edit, status, owner, delete): editor of its team; moving it to
    another team (`new_team_id`) needs editor of that team too. 403 naming the team otherwise."""
    if obligation is not None:
        require(may_edit_obligation(user, obligation),
                f"changing this obligation needs the editor role in team {_team_names([obligation.team_id])}")
    if new_team_id is not None and (obligation is None or new_team_id != obligation.team_id):
        require(may_place_obligation(user, new_team_id),
                f"{'moving' if obligation is not None else 'adding'} an obligation to team "
                f"{_team_names([new_team_id])} needs the editor role in that team")


def teams_of_obligations(obligation_ids: Iterable[int]) -> set[int]:
    """The teams owning these obligations."""
    ids = sorted(set(obligation_ids))
    if not ids:
        return set()
    return set(db.session.scalars(select(Obligation.team_id).where(Obligation.id.in_(ids)).distinct()))


def may_move_deadlines(user: User, obligation_ids: Iterable[int]) -> bool:
    """An event change (an occurrence, a new estimate, a derivation) that moves these obligations'
    deadlines: editor in every team owning one (one that moves none: any editor), like a watch."""
    return may_edit_register(user) and may_edit_teams(user, teams_of_obligations(obligation_ids))


def require_deadline_moves(user: User, obligation_ids: Iterable[int]) -> None:
    """403 naming the teams unless `user` may move every one of these deadlines."""
    ids = list(obligation_ids)
    if may_move_deadlines(user, ids):
        return
    roles = {} if is_admin(user) else team_roles(user)
    missing = [team_id for team_id in teams_of_obligations(ids) if roles.get(team_id) != EDITOR]
    raise NotAllowed(f"this change moves deadlines of team(s) {_team_names(missing)}; "
                     f"it needs the editor role in each")
