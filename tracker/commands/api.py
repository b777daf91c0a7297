"""`create-token EMAIL NAME`: print a new API token for a user."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.api.tokens import create_token
from tracker.audit import CLI
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import User
from tracker.people.operations import normalize_email


@click.command("create-token")
@click.argument("email")
@click.argument("name")
@with_appcontext
def create_token_command(email: str, name: str) -> None:
    """Create an API token named NAME for the user EMAIL and print it (shown only once)."""
    try:
        address = normalize_email(email)
    except ValidationFailed:
        address = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == address))
    if user is None:
        click.echo(f"Error: no user with email '{email}'", err=True)
        sys.exit(1)
    if not user.active:
        click.echo(f"Error: the user '{address}' is deactivated", err=True)
        sys.exit(1)
    try:
        _, secret = create_token(user, name, CLI)
    except ValidationFailed as exc:
        click.echo(f"Error: token name: {exc.errors['name']}", err=True)
        sys.exit(1)
    click.echo(secret)


COMMANDS = [create_token_command]
