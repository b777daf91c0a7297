"""`feed-url TEAM`: print a team's calendar feed URL, creating its token once; `refresh-feeds`."""

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


@click.command("refresh-feeds")
@click.option("--now", "now_text", metavar="ISO-8601", help="The clock for the pass (default: now).")
@with_appcontext
def refresh_feeds_command(now_text: str | None) -> None:
    """Render every subscribed feed whose stored body is not its current version (e.g. after a deploy)."""
    from datetime import datetime, timezone

    from tracker.jobs.feed_refresh import run_feed_refresh

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            click.echo(f"Error: --now: not an ISO-8601 time: '{now_text}'", err=True)
            sys.exit(1)
        now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    checked, rendered = run_feed_refresh(now)
    click.echo(f"feeds checked: {checked}, rendered: {rendered}")


COMMANDS = [feed_url_command, refresh_feeds_command]
