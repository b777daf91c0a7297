"""`create-token EMAIL NAME [--expires-days N] [--read-only]`: print a new API token for a user."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.people.api_tokens import DEFAULT_EXPIRY_DAYS, MAX_EXPIRY_DAYS, MIN_EXPIRY_DAYS, create_token
from tracker.audit import CLI
from tracker.db import db
from tracker.errors import ValidationFailed
from tracker.models import User
from tracker.people.operations import normalize_email

FIELD_NAMES = {"name": "token name", "expires_days": "--expires-days"}


@click.command("create-token")
@click.argument("email")
@click.argument("name")
# Taken as text and checked by the service, so a bad value gets the same message
# (and exit status 1) as every other refusal of this command.
@click.option("--expires-days", default=str(DEFAULT_EXPIRY_DAYS), show_default=True, metavar="DAYS",
              help=f"Days until the token expires ({MIN_EXPIRY_DAYS} to {MAX_EXPIRY_DAYS}).")
@click.option("--read-only", is_flag=True, help="The token may only read (GET), whatever the user's role.")
@with_appcontext
def create_token_command(email: str, name: str, expires_days: str, read_only: bool) -> None:
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
        _, secret = create_token(user, name, CLI, expires_days=expires_days, read_only=read_only)
    except ValidationFailed as exc:
        for field, problem in exc.errors.items():
            click.echo(f"Error: {FIELD_NAMES.get(field, field)}: {problem}", err=True)
        sys.exit(1)
    click.echo(secret)


COMMANDS = [create_token_command]
