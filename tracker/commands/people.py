"""Commands for people: add a user, set a user's role in a team."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.audit import CLI
from tracker.commands import fail
from tracker.db import db
from tracker.errors import Conflict, ValidationFailed
from tracker.models import Team, User
from tracker.people import operations as people


@click.command("create-user")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice(["admin", "editor", "viewer"]))
@click.option("--team", "team_name", help="Team key or name to join.")
@click.option("--password", help="Sign-in password (without it the user only gets email).")
@click.option("--name", default="", help="Display name (default: the email's local part).")
@with_appcontext
def create_user_command(email: str, role: str, team_name: str | None, password: str | None, name: str) -> None:
    """Add a user."""
    teams = []
    if team_name:
        team = find_team(team_name)
        if team is None:
            fail(f"no team with key or name '{team_name}'")
        teams.append(team)
    try:
        user = people.create_user(email, name, role, CLI, password=password, teams=teams)
    except ValidationFailed as exc:
        fail("; ".join(f"{field}: {reason}" for field, reason in exc.errors.items()))
    except Conflict as exc:
        fail(str(exc))
    click.echo(f"Created {user.role} {user.email}" + (f" in team {teams[0].name}" if teams else ""))


def find_team(key_or_name: str) -> Team | None:
    """A team by key, else by name (case-insensitive)."""
    team = db.session.scalar(select(Team).where(Team.key == key_or_name))
    if team is None:
        team = db.session.scalar(select(Team).where(db.func.lower(Team.name) == key_or_name.lower()))
    return team


@click.command("set-team-role")
@click.argument("email")
@click.argument("team_name", metavar="TEAM")
@click.argument("role", type=click.Choice(["editor", "viewer"]))
@with_appcontext
def set_team_role_command(email: str, team_name: str, role: str) -> None:
    """Make a user editor or viewer in a team (adding them to it when needed)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        fail(f"no user with email '{email}'")
    team = find_team(team_name)
    if team is None:
        fail(f"no team with key or name '{team_name}'")
    changed = people.set_team_role(user, team, role, CLI)
    click.echo(f"{user.email} is {role} in team {team.name}" + ("" if changed else " (unchanged)"))


COMMANDS = [create_user_command, set_team_role_command]
