"""Team and user use cases: create, edit, memberships; each writes the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from tracker import audit
from tracker.audit import Actor
from tracker.people.auth import hash_password
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.feeds import tokens as feed_tokens
from tracker.models import ROLES, Team, User, team_members
from tracker.people import permissions
from tracker.people.permissions import TEAM_ROLES
from tracker.register.queries import require_unique
from tracker.fields import TITLE_MAX, check_key, check_line, check_timezone, line_value
from tracker.fields import normalize_email as email_in_normal_form
from tracker.txn import owns_transaction
from tracker.people.api_tokens import revoke_user_tokens

TEAM_FIELDS = ("key", "name", "timezone", "reminder_lead_days", "overdue_every_days",
               "remind_projected", "digest_weekday")
USER_FIELDS = ("email", "name", "role", "active", "email_reminders", "email_overdue",
               "email_changes", "email_digest")


def normalize_email(value: str) -> str:
    """A valid address in normal form, lower-cased; ValidationFailed otherwise."""
    address, problem = email_in_normal_form(value if isinstance(value, str) else None)
    if address is None:
        raise ValidationFailed({"email": problem})
    return address


def _check_team(key: str, name: str, timezone: str) -> None:
    errors = {}
    for field, problem in (("key", check_key(key)), ("name", check_line(name, TITLE_MAX, required=True)),
                           ("timezone", check_timezone(timezone))):
        if problem:
            errors[field] = problem
    if errors:
        raise ValidationFailed(errors)


@owns_transaction
def create_team(key: str, name: str, timezone: str, actor: Actor, now: datetime | None = None,
                commit: bool = True, **policy) -> Team:
    """Add a team, with the default reminder policy or the `policy` fields given (the same
    names as update_team's), in one transaction: a bad policy value creates no team."""
    key, name, timezone = (line_value(value) for value in (key, name, timezone))
    _check_team(key, name, timezone)
    require_unique(Team.key, key, noun="a team")
    now = now or utcnow()
    team = Team(key=key, name=name.strip(), timezone=timezone, created_at=now, updated_at=now)
    db.session.add(team)
    audit.log_created(actor, team, at=now)
    if policy:
        update_team(team, actor, now, commit=False, **policy)
    return team


@owns_transaction
def update_team(team: Team, actor: Actor, now: datetime | None = None, commit: bool = True,
                **values) -> bool:
    """Change a team's fields (name, time zone, reminder policy); True if anything changed."""
    unknown = set(values) - set(TEAM_FIELDS)
    if unknown:
        raise ValidationFailed({name: "not a team field" for name in sorted(unknown)})
    for name in ("key", "name", "timezone"):
        if isinstance(values.get(name), str):
            values[name] = line_value(values[name])
    merged = {name: values.get(name, getattr(team, name)) for name in ("key", "name", "timezone")}
    _check_team(merged["key"], merged["name"], merged["timezone"])
    require_unique(Team.key, merged["key"], noun="a team", except_id=team.id)
    changed = audit.update_fields(actor, team, values, now)
    return changed


@owns_transaction
def create_user(email: str, name: str, role: str, actor: Actor, password: str | None = None,
                teams: list[Team] | None = None, now: datetime | None = None,
                commit: bool = True) -> User:
    """Add a user; without a password they get email but cannot sign in."""
    email = normalize_email(email)
    errors = {}
    if role not in ROLES:
        errors["role"] = f"unknown role '{role}' (use admin, editor or viewer)"
    problem = check_line(name, TITLE_MAX)
    if problem:
        errors["name"] = problem
    if password is not None and len(password) < 8:
        errors["password"] = "use at least 8 characters"
    if errors:
        raise ValidationFailed(errors)
    require_unique(User.email, email, noun="a user")
    now = now or utcnow()
    user = User(email=email, name=line_value(name) or email.split("@")[0], role=role,
                password_hash=hash_password(password) if password else None,
                created_at=now, updated_at=now)
    user.teams = list(teams or [])
    db.session.add(user)
    db.session.flush()
    for team in user.teams:  # the role given is the role in each team joined (admins: editor)
        _store_team_role(team, user, role if role in TEAM_ROLES else "editor")
    audit.log_created(actor, user, at=now)
    return user


@owns_transaction
def set_password(user: User, password: str, actor: Actor, now: datetime | None = None,
                 commit: bool = True) -> None:
    """Set a new password (logged as a change, never with its value)."""
    if len(password) < 8:
        raise ValidationFailed({"password": "use at least 8 characters"})
    if len(password) > 1000:
        raise ValidationFailed({"password": "at most 1000 characters"})
    now = now or utcnow()
    user.password_hash = hash_password(password)
    user.updated_at = now
    audit.log(actor, "update", user, {"password_hash": ["***", "***"]}, at=now)
    _revoke_api_tokens(user, actor, "password changed", now)


def _store_team_role(team: Team, user: User, role: str) -> None:
    db.session.flush()
    db.session.execute(update(team_members).where(team_members.c.team_id == team.id,
                                                  team_members.c.user_id == user.id).values(role=role))


def _check_team_role(role: str) -> None:
    if role not in TEAM_ROLES:
        raise ValidationFailed({"role": f"unknown team role '{role}' (use editor or viewer)"})


@owns_transaction
def set_team_role(user: User, team: Team, role: str, actor: Actor, now: datetime | None = None,
                  commit: bool = True) -> bool:
    """Make `user` a member of `team` with `role` ('editor' or 'viewer'); True if anything changed.

    The one place a membership's role is set (the UI, packs, the CLI and sign-in
    through an identity provider call it). A non-admin's own role follows: editor
    when they are editor in some team, else viewer (what they may do with
    sources and events, and the gate that refuses a viewer's every write).
    """
    _check_team_role(role)
    now = now or utcnow()
    before = permissions.team_roles(user).get(team.id) if user.id is not None else None
    joined = user not in team.members
    if joined:
        team.members.append(user)
    _store_team_role(team, user, role)
    if before == role and not joined:
        return False
    audit.log(actor, "update", team, {"members": [f"{user.email} ({before})" if before else None,
                                                  f"{user.email} ({role})"]}, at=now)
    if user.role != "admin":
        overall = "editor" if "editor" in permissions.team_roles(user).values() else "viewer"
        if overall != user.role:
            audit.update_fields(actor, user, {"role": overall}, now)
    return True


@owns_transaction
def set_membership(team: Team, user: User, member: bool, actor: Actor,
                   now: datetime | None = None, commit: bool = True, role: str | None = None) -> None:
    """Add a user to a team (with `role`, by default their own role) or remove them, logged on the team."""
    now = now or utcnow()
    if member and role is not None:
        set_team_role(user, team, role, actor, now, commit=False)
    elif member and user not in team.members:
        team.members.append(user)
        _store_team_role(team, user, user.role if user.role in TEAM_ROLES else "editor")
        audit.log(actor, "update", team, {"members": [None, f"+{user.email}"]}, at=now)
    elif not member and user in team.members:
        team.members.remove(user)
        audit.log(actor, "update", team, {"members": [f"-{user.email}", None]}, at=now)
        feed_tokens.note_departure(user, [team], "removed", actor, now)


@owns_transaction
def update_user(user: User, actor: Actor, now: datetime | None = None, commit: bool = True,
                **values) -> bool:
    """Change a user's name, email, role, active flag or email opt-outs."""
    unknown = set(values) - set(USER_FIELDS)
    if unknown:
        raise ValidationFailed({name: "not a user field" for name in sorted(unknown)})
    if "email" in values:
        values["email"] = normalize_email(values["email"])
        require_unique(User.email, values["email"], noun="a user", except_id=user.id)
    if "role" in values and values["role"] not in ROLES:
        raise ValidationFailed({"role": f"unknown role '{values['role']}' (use admin, editor or viewer)"})
    if "name" in values and (problem := check_line(values["name"], TITLE_MAX, required=True)):
        raise ValidationFailed({"name": problem})
    _keep_an_admin(user, values)
    deactivating = user.active and values.get("active", True) is False
    if deactivating:
        feed_tokens.note_departure(user, user.teams, "deactivated", actor, now)
    changed = audit.update_fields(actor, user, values, now)
    if deactivating:
        _offboard(user, actor, now or utcnow())
    return changed


def _revoke_api_tokens(user: User, actor: Actor, reason: str, now: datetime) -> None:
    revoke_user_tokens(user, actor, reason, now)


def _offboard(user: User, actor: Actor, now: datetime) -> None:
    """Deactivation is offboarding: revoke the user's API tokens and personal feed token.

    Reactivating the user later brings none of them back. The feed service
    commits, so the deactivation and both revocations are stored together
    even when the caller passed commit=False (every check has passed by now).
    """
    from tracker.feeds import tokens as feed_tokens

    _revoke_api_tokens(user, actor, "user deactivated", now)
    feed_tokens.revoke(user, actor, now)


def _keep_an_admin(user: User, values: dict) -> None:
    """Refuse to demote or deactivate the last active admin (nobody could manage users)."""
    demoted = values.get("role", user.role) != "admin" or not values.get("active", user.active)
    if user.role != "admin" or not user.active or not demoted:
        return
    others = select(User.id).where(User.role == "admin", User.active.is_(True), User.id != user.id).limit(1)
    if db.session.scalar(others) is None:
        raise Conflict("this is the last active admin; make someone else an admin first", field="role")


@owns_transaction
def delete_team(team: Team, actor: Actor, now: datetime | None = None, commit: bool = True) -> None:
    """Delete a team that owns no obligations (deleted ones included: history stays)."""
    from tracker.models import Obligation

    if db.session.scalar(select(Obligation.id).where(Obligation.team_id == team.id).limit(1)) is not None:
        raise Conflict("this team owns obligations; move them to another team first")
    audit.log(actor, "delete", team, audit.diff(audit.snapshot(team, TEAM_FIELDS), {}), at=now or utcnow())
    team.members = []
    db.session.delete(team)
