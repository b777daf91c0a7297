"""`flask --app app ...` commands, one module per area."""

from __future__ import annotations

import functools
import sys
from typing import Callable

import click
from flask import Flask
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError


def fail(message: str) -> None:
    """Print `message` to stderr and exit non-zero (no traceback)."""
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


def _database_errors_as_messages(callback: Callable) -> Callable:
    """Turn a missing schema or an unreachable database into a message and exit 1.

    A traceback helps nobody who ran a command before `db upgrade`, or with a
    TRACKER_DATABASE_URL pointing at a server that is down.
    """

    if getattr(callback, "guards_database_errors", False):
        return callback  # commands are module objects: wrap once, not per app

    @functools.wraps(callback)
    def guarded(*args, **kwargs):
        try:
            return callback(*args, **kwargs)
        except (OperationalError, ProgrammingError) as exc:
            text = str(exc.orig).lower()
            if "no such table" in text or "does not exist" in text or "undefinedtable" in text:
                reason = "the database has no tables yet; run `flask --app app db upgrade` first"
            else:
                reason = f"the database cannot be used: {str(exc.orig).strip().splitlines()[0]}"
            click.echo(f"Error: {reason}", err=True)
            sys.exit(1)
        except DBAPIError as exc:
            click.echo(f"Error: the database refused the change: {str(exc.orig).strip().splitlines()[0]}", err=True)
            sys.exit(1)

    guarded.guards_database_errors = True
    return guarded


def register_commands(app: Flask) -> None:
    """Attach every command group to the app's CLI."""
    from tracker.commands import (api, backup, channels, feeds, mail, packs, people, reports, signin, synthetic,
                                  vendor_links, watches)

    for module in (packs, people, synthetic, feeds, mail, api, channels, vendor_links, watches, signin, backup,
                   reports):
        for command in module.COMMANDS:
            command.callback = _database_errors_as_messages(command.callback)
            app.cli.add_command(command)
