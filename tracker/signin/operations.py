"""The group mapping: which identity-provider group gives which role and teams (admin page, file)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from tracker import audit
from tracker.audit import Actor
from tracker.clock import utcnow
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.fields import TITLE_MAX, check_line, line_value
from tracker.models import ROLES, OidcGroupMapping, Team
from tracker.txn import owns_transaction


def mapping_table() -> dict[str, tuple[str, list[str]]]:
    """Every mapped group as group -> (role, [team keys]), the form `claims.resolve_groups` reads."""
    rows = db.session.scalars(select(OidcGroupMapping).order_by(OidcGroupMapping.group_name)).all()
    return {row.group_name: (row.role, [team.key for team in row.teams]) for row in rows}


def mapped_teams() -> list[Team]:
    """The teams some group gives: their memberships follow the groups at each sign-in."""
    from tracker.models import group_mapping_teams

    ids = select(group_mapping_teams.c.team_id).distinct()
    return list(db.session.scalars(select(Team).where(Team.id.in_(ids)).order_by(Team.key)))


def _checked(group: Any, role: Any, team_keys: Any, where: str = "") -> tuple[str, str, list[Team]]:
    errors = {}
    group = line_value(group) if isinstance(group, str) else ""
    if problem := check_line(group, TITLE_MAX, required=True):
        errors[f"{where}group"] = problem
    if role not in ROLES:
        errors[f"{where}role"] = f"unknown role '{role}' (use admin, editor or viewer)"
    teams: list[Team] = []
    if not isinstance(team_keys, list) or not all(isinstance(key, str) for key in team_keys):
        errors[f"{where}teams"] = "a list of team keys"
    else:
        found = {team.key: team for team in db.session.scalars(select(Team).where(Team.key.in_(team_keys)))}
        unknown = [key for key in team_keys if key not in found]
        if unknown:
            errors[f"{where}teams"] = "unknown team " + ", ".join(f"'{key}'" for key in unknown)
        teams = [found[key] for key in dict.fromkeys(team_keys) if key in found]
    if errors:
        raise ValidationFailed(errors)
    return group, role, teams


def _save(group: str, role: str, teams: list[Team], actor: Actor, now: datetime) -> OidcGroupMapping:
    row = db.session.scalar(select(OidcGroupMapping).where(OidcGroupMapping.group_name == group))
    keys = sorted(team.key for team in teams)
    if row is None:
        row = OidcGroupMapping(group_name=group, role=role, teams=teams, created_at=now, updated_at=now)
        db.session.add(row)
        db.session.flush()
        audit.log(actor, "create", row, {"group_name": [None, group], "role": [None, role], "teams": [None, keys]},
                  at=now)
        return row
    before = {"role": row.role, "teams": sorted(team.key for team in row.teams)}
    changes = audit.diff(before, {"role": role, "teams": keys})
    if changes:
        row.role, row.teams, row.updated_at = role, teams, now
        audit.log(actor, "update", row, changes, at=now)
    return row


@owns_transaction
def save_group_mapping(group: str, role: str, team_keys: list[str], actor: Actor, now: datetime | None = None,
                       commit: bool = True) -> OidcGroupMapping:
    """Map `group` to `role` and the teams `team_keys` (created, or changed in place)."""
    group, role, teams = _checked(group, role, team_keys)
    return _save(group, role, teams, actor, now or utcnow())


@owns_transaction
def delete_group_mapping(mapping: OidcGroupMapping, actor: Actor, now: datetime | None = None,
                         commit: bool = True) -> None:
    """Remove a group's mapping: its members lose what it gave at their next sign-in."""
    audit.log(actor, "delete", mapping, {"group_name": [mapping.group_name, None], "role": [mapping.role, None]},
              at=now or utcnow())
    mapping.teams = []
    db.session.delete(mapping)


@owns_transaction
def replace_group_mappings(document: Any, actor: Actor, now: datetime | None = None, commit: bool = True) -> int:
    """Make the mapping exactly `{"groups": [{"group", "role", "teams"}, ...]}` (automation).

    Every entry is checked first; one bad entry refuses the whole file, with each
    problem named by its path. Returns how many groups are mapped afterwards.
    """
    entries = document.get("groups") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValidationFailed({"groups": "a list of {group, role, teams}"})
    checked, errors, seen = [], {}, set()
    for index, entry in enumerate(entries):
        where = f"groups[{index}]."
        if not isinstance(entry, dict):
            errors[f"groups[{index}]"] = "an object with group, role and teams"
            continue
        try:
            group, role, teams = _checked(entry.get("group"), entry.get("role"), entry.get("teams", []), where)
        except ValidationFailed as exc:
            errors.update(exc.errors)
            continue
        if group in seen:
            errors[f"{where}group"] = f"'{group}' is mapped twice"
        seen.add(group)
        checked.append((group, role, teams))
    if errors:
        raise ValidationFailed(errors)
    now = now or utcnow()
    for row in db.session.scalars(select(OidcGroupMapping).where(OidcGroupMapping.group_name.not_in(seen))).all():
        delete_group_mapping(row, actor, now, commit=False)
    for group, role, teams in checked:
        _save(group, role, teams, actor, now)
    return len(checked)


def export_group_mappings() -> dict[str, Any]:
    """The mapping in the form `replace_group_mappings` reads."""
    return {"groups": [{"group": group, "role": role, "teams": teams}
                       for group, (role, teams) in mapping_table().items()]}
