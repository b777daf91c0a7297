"""`add-channel TEAM KIND URL [--events TYPE,...]` and `send-deliveries`."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.audit import CLI
from tracker.channels import operations
from tracker.channels.delivery import deliver_due
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import Team


@click.command("add-channel")
@click.argument("team_ref", metavar="TEAM")
@click.argument("kind", metavar="KIND")
@click.argument("url", metavar="URL")
@click.option("--events", default=None, help="Comma-separated event types (default: all).")
@click.option("--name", default="", help="A label for the channel.")
@with_appcontext
def add_channel_command(team_ref: str, kind: str, url: str, events: str | None, name: str) -> None:
    """Add a slack, teams or webhook channel to TEAM (key or name); print its id and any signing secret."""
    team = db.session.scalar(select(Team).where(Team.key == team_ref))
    if team is None:
        named = db.session.scalars(select(Team).where(Team.name == team_ref)).all()
        team = named[0] if len(named) == 1 else None
    if team is None:
        click.echo(f"Error: no team with key or name '{team_ref}'", err=True)
        sys.exit(1)
    try:
        channel, secret = operations.create_channel(team, kind.strip().lower(), url, CLI, event_types=events,
                                                    name=name)
    except ValidationFailed as exc:
        for field_name, reason in exc.errors.items():
            click.echo(f"Error: {field_name}: {reason}", err=True)
        sys.exit(1)
    click.echo(f"channel {channel.id}")
    if secret:
        click.echo(f"signing secret {secret}")
        click.echo("Keep the secret now: it is shown only once.", err=True)


@click.command("send-deliveries")
@with_appcontext
def send_deliveries_command() -> None:
    """Send every due channel delivery (Slack, Teams, webhooks) once."""
    result = deliver_due()
    click.echo(f"delivered {result.delivered}, retried {result.retried}, failed {result.failed}, "
               f"channels disabled {result.disabled}")


COMMANDS = [add_channel_command, send_deliveries_command]
