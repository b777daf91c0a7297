"""`send-reminders` (one pass) and `scheduler` (the loop in the foreground)."""

from __future__ import annotations

import logging
import sys
from datetime import datetime, timezone

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import db


def parse_now(value: str) -> datetime:
    """An ISO-8601 instant; without an offset it is taken as UTC."""
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not an ISO-8601 date-time (e.g. 2026-12-01T09:00:00Z)")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@click.command("send-reminders")
@click.option("--now", "now_text", default=None, metavar="ISO-8601",
              help="Run the pass as if it were this moment (planning, retries, leases).")
@with_appcontext
def send_reminders_command(now_text: str | None) -> None:
    """Plan and send due reminders once; prints planned/sent/retried/failed counts."""
    from tracker.jobs.reminder_pass import run_pass

    now = parse_now(now_text) if now_text else None
    try:
        report = run_pass(now)
    except SQLAlchemyError as error:
        db.session.rollback()
        click.echo(f"Error: the reminder pass could not run: {error.__class__.__name__}: "
                   f"{str(error).splitlines()[0]}", err=True)
        sys.exit(1)
    click.echo(f"Reminder pass: {report.summary()}")


@click.command("scheduler")
@with_appcontext
def scheduler_command() -> None:
    """Run the reminder job loop in the foreground (for multi-worker deployments)."""
    from tracker.jobs.scheduler import build_scheduler, interval_seconds

    # Flask already gives the "tracker" logger a stderr handler; a root handler
    # as well would print every pass twice.
    logging.getLogger("tracker").setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    app = current_app._get_current_object()
    click.echo(f"Reminder scheduler: a pass every {interval_seconds(app)} s; Ctrl+C stops it.")
    try:
        build_scheduler(app, blocking=True).start()
    except (KeyboardInterrupt, SystemExit):
        click.echo("Scheduler stopped.")


@click.command("purge-outbox")
@click.option("--now", "now_text", default=None, metavar="ISO-8601", help="Purge as if it were this moment.")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Empty finished messages older than this (default TRACKER_OUTBOX_RETENTION_DAYS, 30).")
@with_appcontext
def purge_outbox_command(now_text: str | None, days: int | None) -> None:
    """Remove response links from stored mail and empty old finished messages (the scheduler does it daily)."""
    from tracker.clock import utcnow
    from tracker.mail.retention import purge_outbox

    report = purge_outbox(parse_now(now_text) if now_text else utcnow(), days)
    click.echo(f"Outbox: response links removed from {report.links_removed} message(s); "
               f"{report.bodies_emptied} finished message(s) emptied.")


COMMANDS = [send_reminders_command, scheduler_command, purge_outbox_command]
