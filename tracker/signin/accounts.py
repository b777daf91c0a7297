"""A checked identity becomes a signed-in user: found, linked or created, then given its groups' role and teams.

Every write here is the identity provider's doing, so the audit log names it as
the actor. A refusal writes nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tracker import audit
from tracker.audit import IDENTITY_PROVIDER, Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import OidcIdentity, Team, User
from tracker.people import operations as people
from tracker.signin.claims import GroupGrant, Identity, resolve_groups
from tracker.signin.errors import SigninRefused
from tracker.signin.operations import mapped_teams, mapping_table
from tracker.txn import owns_transaction


def _ask_an_admin(reason: str, message: str) -> SigninRefused:
    return SigninRefused(reason, message, status=403, contact=True)


def admin_contacts(limit: int = 3) -> list[str]:
    """Whom a refused person should ask: the active admins' emails."""
    query = select(User.email).where(User.role == "admin", User.active.is_(True)).order_by(User.id).limit(limit)
    return list(db.session.scalars(query))


def apply_group_mapping(user: User, grant: GroupGrant, managed: list[Team], actor: Actor, now: datetime) -> None:
    """Give `user` the role and teams of their groups, as of this sign-in.

    The role is the grant's (the highest of the mapped groups), up or down. The
    `managed` teams (those some group gives, and those the groups gave this person
    last time) follow the groups: joined when one of the person's groups gives
    them, left when none does any more. Other teams are left alone, so
    memberships set by hand stay. The caller commits.
    """
    if user.role != grant.role:
        try:
            people.update_user(user, actor, now, commit=False, role=grant.role)
        except Conflict:
            pass  # the last active admin keeps the role, so someone can still manage users
    # Roles are per team (tracker.people.permissions): the teams the groups give are held with the
    # grant's role there (an admin's teams with editor, the highest role a team has).
    team_role = grant.role if grant.role in ("editor", "viewer") else "editor"
    for team in managed:
        member = team.key in grant.team_keys
        people.set_membership(team, user, member, actor, now, commit=False, role=team_role if member else None)


def _find_or_link(identity: Identity, grant: GroupGrant, now: datetime) -> tuple[User, OidcIdentity | None]:
    """The user this identity signs in as, and its link (None when both must be created)."""
    link = db.session.scalar(select(OidcIdentity).where(OidcIdentity.issuer == identity.issuer,
                                                         OidcIdentity.subject == identity.subject))
    if link is not None:
        return link.user, link
    if identity.email is None:
        raise SigninRefused("email_not_verified", "Your identity provider did not confirm your email address, "
                                                  "so no account can be found or made for you. Ask your IT "
                                                  "department to verify it, then sign in again.", status=403)
    user = db.session.scalar(select(User).where(User.email == identity.email))
    if user is None:
        return None, None
    taken = db.session.scalar(select(OidcIdentity.id).where(OidcIdentity.user_id == user.id,
                                                             OidcIdentity.issuer == identity.issuer))
    if taken is not None:
        # The account is linked to another person at the provider already: a link is made once.
        raise _ask_an_admin("email_linked_to_another_subject",
                            "This email address belongs to an account that is linked to someone else at your "
                            "identity provider.")
    return user, None


def _create_user(identity: Identity, role: str, actor: Actor, now: datetime) -> User:
    """A new user from the token; a name the tracker would refuse (control characters) gives way
    to the address's local part, an address it would refuse ends the sign-in."""
    for name in (identity.name, ""):
        try:
            return people.create_user(identity.email, name, role, actor, now=now, commit=False)
        except ValidationFailed as exc:
            if "email" in exc.errors:
                raise SigninRefused("email_not_usable", "The email address your identity provider gave cannot "
                                                        "be used for an account here.", status=403) from None
            if "name" not in exc.errors:
                raise
    raise AssertionError("unreachable: an empty name is always accepted")


@owns_transaction
def sign_in_identity(identity: Identity, now: datetime | None = None, commit: bool = True) -> User:
    """The user for a checked identity: found by its link, linked by verified email once, or created.

    Applies the group mapping (SigninRefused when no group of the person's is
    mapped, or the account is deactivated) and logs every change with the
    identity provider as the actor.
    """
    now = now or utcnow()
    grant = resolve_groups(identity.groups, mapping_table())
    if grant is None:
        raise _ask_an_admin("no_mapped_group", "None of your groups at your identity provider gives access to "
                                                "the tracker.")
    user, link = _find_or_link(identity, grant, now)
    if user is not None and not user.active:
        raise _ask_an_admin("account_deactivated", "Your account in the tracker is deactivated.")
    actor = IDENTITY_PROVIDER
    if user is None:
        user = _create_user(identity, grant.role, actor, now)
    if link is None:
        link = OidcIdentity(issuer=identity.issuer, subject=identity.subject, user_id=user.id, created_at=now,
                            granted_team_ids=[])
        db.session.add(link)
        audit.log(actor, "update", user, {"identity_provider": [None, f"linked {identity.issuer}"]}, at=now)
    link.last_login_at = now
    managed = {team.id: team for team in mapped_teams()}
    for team in db.session.scalars(select(Team).where(Team.id.in_(link.granted_team_ids or []))):
        managed.setdefault(team.id, team)
    apply_group_mapping(user, grant, sorted(managed.values(), key=lambda team: team.key), actor, now)
    link.granted_team_ids = sorted(team.id for team in managed.values() if team.key in grant.team_keys)
    return user
