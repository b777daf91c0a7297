"""From checked claims to a person and from groups to a role and teams. Pure: no Flask, no database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

ROLE_RANK = {"viewer": 1, "editor": 2, "admin": 3}
MAX_GROUPS = 500


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in. `email` is None unless the provider verified it."""

    issuer: str
    subject: str
    email: str | None
    name: str
    groups: tuple[str, ...]


@dataclass(frozen=True)
class GroupGrant:
    """What a person's groups give them: the highest role and the union of the teams."""

    role: str
    team_keys: frozenset[str]
    groups: tuple[str, ...]  # the mapped groups that gave it


def email_is_verified(claims: Mapping[str, Any]) -> bool:
    """True only when the provider vouches for the address.

    `email_verified` is a boolean in the standard; a few providers send the
    string "true". Microsoft Entra ID sends no `email_verified`; its optional
    claim `xms_edov` (the domain's owner verified the address) counts instead.
    """
    verified = claims.get("email_verified")
    if verified is True or verified == "true":
        return True
    if verified is None:
        return claims.get("xms_edov") is True or claims.get("xms_edov") in ("1", "true")
    return False


def groups_of(claims: Mapping[str, Any], claim: str) -> tuple[str, ...]:
    """The group names in `claim` (a list of strings, or one string); anything else is no group."""
    value = claims.get(claim)
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(item.strip() for item in value[:MAX_GROUPS]
                               if isinstance(item, str) and item.strip() and len(item) <= 300))


def identity_from_claims(claims: Mapping[str, Any], groups_claim: str) -> Identity:
    """The person behind checked ID token claims (merged with userinfo claims, if any)."""
    email = claims.get("email")
    verified_email = email.strip().lower() if isinstance(email, str) and email_is_verified(claims) else None
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        parts = [claims.get("given_name"), claims.get("family_name")]
        name = " ".join(part for part in parts if isinstance(part, str) and part.strip())
    name = " ".join(str(name).split())[:300]
    return Identity(issuer=str(claims["iss"]), subject=str(claims["sub"]), email=verified_email,
                    name=name, groups=groups_of(claims, groups_claim))


def resolve_groups(groups: Iterable[str], mapping: Mapping[str, tuple[str, Iterable[str]]]) -> GroupGrant | None:
    """What `groups` give under `mapping` (group -> (role, team keys)); None when no group is mapped.

    The highest role of the mapped groups wins; the teams are the union of theirs.
    """
    matched = [group for group in dict.fromkeys(groups) if group in mapping]
    if not matched:
        return None
    role = max((mapping[group][0] for group in matched), key=ROLE_RANK.__getitem__)
    teams = frozenset(team for group in matched for team in mapping[group][1])
    return GroupGrant(role=role, team_keys=teams, groups=tuple(matched))
