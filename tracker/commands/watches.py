"""`poll-watches`: poll every regulator watch once and say what happened."""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from tracker.commands.mail import parse_now
from tracker.db import db


@click.command("poll-watches")
@click.option("--now", "now_text", default=None, metavar="ISO-8601",
              help="Poll as if it were this moment (what counts as occurred, next tries, leases).")
@with_appcontext
def poll_watches_command(now_text: str | None) -> None:
    """Poll every watch once; print what it observed, proposed, applied and which watches failed.

    Exits 0 when the pass ran, even when a provider failed (the watch is retried
    later and shown on its source page and in /healthz).
    """
    from tracker.watches.polling import run_poll_pass

    now = parse_now(now_text) if now_text else None
    try:
        report = run_poll_pass(now, due_only=False)
    except SQLAlchemyError as error:
        db.session.rollback()
        click.echo(f"Error: the poll could not run: {error.__class__.__name__}: {str(error).splitlines()[0]}",
                   err=True)
        sys.exit(1)
    if not report.outcomes:
        click.echo("No watches to poll (or every watch is being polled by another process).")
        return
    for line in report.lines():
        click.echo(line)


COMMANDS = [poll_watches_command]
