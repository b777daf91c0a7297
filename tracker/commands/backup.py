"""`backup FILE` and `restore FILE`: the database and its stored files, to an archive and back."""

from __future__ import annotations

import errno
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import DBAPIError

from tracker.clock import utcnow
from tracker.operations import file_stores
from tracker.operations.archive import BackupError
from tracker.operations.backup import write_backup
from tracker.operations.restore import restore_backup

SECRET_KEY_NOTE = ("Sealed secrets in the archive (calendar feed and response link tokens, webhook signing "
                   "secrets) open only with the same SECRET_KEY: keep TRACKER_SECRET_KEY with the backup, "
                   "apart from it.")


def _fail(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write every table and stored file to the archive FILE, from one consistent snapshot."""
    try:
        report = write_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["SECRET_KEY"],
                              path, utcnow(), file_stores.configured(current_app.config))
    except BackupError as exc:
        _fail(str(exc))
    except OSError as exc:
        reason = "the disk is full" if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT) else exc.strerror
        _fail(f"could not write {path}: {reason}; no archive was left under that name")
    click.echo(report.summary())
    click.echo(SECRET_KEY_NOTE)


@click.command("restore")
@click.argument("path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(path: Path) -> None:
    """Restore the archive FILE into this empty, migrated database (all of it, or nothing)."""
    try:
        report = restore_backup(current_app.config["SQLALCHEMY_DATABASE_URI"], current_app.config["SECRET_KEY"],
                                path, file_stores.configured(current_app.config))
    except BackupError as exc:
        _fail(f"{exc}. Nothing was restored.")
    except (ValueError, TypeError, KeyError) as exc:
        _fail(f"the archive's content cannot be read ({type(exc).__name__}): it is damaged. Nothing was restored.")
    except OSError as exc:
        _fail(f"could not write a restored file: {exc.strerror or exc}. Nothing was restored.")
    except DBAPIError as exc:
        first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        _fail(f"the database refused a restored row ({first_line}). Nothing was restored.")
    click.echo(report.summary())
    click.echo(SECRET_KEY_NOTE)


COMMANDS = [backup_command, restore_command]
