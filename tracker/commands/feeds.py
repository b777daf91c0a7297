"""`feed-url TEAM`: print a team's calendar feed URL, creating its token once."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.audit import CLI
from tracker.db import db
from tracker.feeds import tokens
from tracker.models import Team


@click.command("feed-url")
@click.argument("team_ref", metavar="TEAM")
@with_appcontext
def feed_url_command(team_ref: str) -> None:
    """Print the feed URL of TEAM (its key or name); the same URL on every call."""
    team = db.session.scalar(select(Team).where(Team.key == team_ref))
    if team is None:
        named = db.session.scalars(select(Team).where(Team.name == team_ref)).all()
        if len(named) > 1:
            click.echo(f"Error: several teams are named '{team_ref}'; give the team's key", err=True)
            sys.exit(1)
        team = named[0] if named else None
    if team is None:
        click.echo(f"Error: no team with key or name '{team_ref}'", err=True)
        sys.exit(1)
    click.echo(tokens.feed_url(tokens.ensure_token(team, CLI)))


COMMANDS = [feed_url_command]
