"""APScheduler as a clock: it only calls `run_pass` every few minutes.

Nothing depends on a tick having happened: a pass plans from the database
state, so a missed or doubled tick changes nothing.

Embedded mode (TRACKER_SCHEDULER=embedded, the default) starts a background
scheduler from create_app, but only in a process that serves requests:
- not for other `flask` commands (db upgrade, seed-demo...);
- not in the Flask reloader's parent process (it only watches files and
  restarts the child, which has WERKZEUG_RUN_MAIN=true);
- only in the one process holding an exclusive lock on instance/scheduler.lock,
  so a second worker (gunicorn -w 2) or a second `flask run` does not start a
  second scheduler. The lock dies with its process.
"""

from __future__ import annotations

import fcntl
import logging
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path

from flask import Flask

from tracker.process import serving_process

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_SECONDS = 300
FIRST_RUN_DELAY_SECONDS = 10

_lock_handle = None


def interval_seconds(app: Flask) -> int:
    return int(app.config.get("TRACKER_REMINDER_INTERVAL_SECONDS") or DEFAULT_INTERVAL_SECONDS)


def run_job(app: Flask) -> None:
    """One pass inside an app context; errors are logged, never kill the scheduler (tracker.jobs.run_in_app)."""
    from tracker.jobs import run_in_app
    from tracker.jobs.reminder_pass import run_pass

    run_in_app(app, "reminder pass", lambda: run_pass().summary())


def build_scheduler(app: Flask, blocking: bool = False):
    """A scheduler with the reminder job, and the jobs of tracker.jobs each on its own clock.

    The mail never waits behind a channel receiver or a regulator: deliveries
    and watches are separate jobs (APScheduler runs jobs in a thread pool), each
    `max_instances=1` so one slow run of a job delays only that job.
    """
    from tracker.jobs.deliveries import DELIVERY_EVERY_SECONDS, run_delivery_job
    from tracker.jobs.outbox_purge import PURGE_EVERY_SECONDS, run_purge_job
    from tracker.jobs.watches import WATCH_CHECK_SECONDS, run_watch_job

    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=timezone.utc)
    first = datetime.now(timezone.utc) + timedelta(seconds=FIRST_RUN_DELAY_SECONDS)
    scheduler.add_job(run_job, "interval", args=[app], seconds=interval_seconds(app), id="reminders",
                      next_run_time=first, max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.add_job(run_watch_job, "interval", args=[app], id="watches",
                      seconds=int(app.config.get("TRACKER_WATCH_CHECK_SECONDS") or WATCH_CHECK_SECONDS),
                      next_run_time=first + timedelta(seconds=FIRST_RUN_DELAY_SECONDS), max_instances=1,
                      coalesce=True, misfire_grace_time=None)
    scheduler.add_job(run_delivery_job, "interval", args=[app], id="deliveries",
                      seconds=int(app.config.get("TRACKER_DELIVERY_CHECK_SECONDS") or DELIVERY_EVERY_SECONDS),
                      next_run_time=first + timedelta(seconds=2), max_instances=1, coalesce=True,
                      misfire_grace_time=None)
    scheduler.add_job(run_purge_job, "interval", args=[app], id="outbox-purge", seconds=PURGE_EVERY_SECONDS,
                      next_run_time=first + timedelta(seconds=3 * FIRST_RUN_DELAY_SECONDS), max_instances=1,
                      coalesce=True, misfire_grace_time=None)
    from tracker.jobs import feed_refresh

    scheduler.add_job(feed_refresh.run_feed_refresh_job, "interval", args=[app], id="feeds",
                      seconds=feed_refresh.interval_seconds(app),
                      next_run_time=first + timedelta(seconds=2 * FIRST_RUN_DELAY_SECONDS), max_instances=1,
                      coalesce=True, misfire_grace_time=None)
    return scheduler


def _take_lock(instance_path: str) -> bool:
    global _lock_handle
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    handle = open(Path(instance_path) / "scheduler.lock", "a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return False
    _lock_handle = handle  # kept open for the life of the process
    return True


def start_embedded(app: Flask) -> bool:
    """Start the background scheduler when this process should own it; True if started."""
    if app.config.get("TRACKER_SCHEDULER") != "embedded" or app.testing:
        return False
    if not serving_process(app):
        return False
    if _lock_handle is not None or not _take_lock(app.instance_path):
        log.info("embedded scheduler not started: another process holds it")
        return False
    build_scheduler(app).start()
    app.extensions["reminder_scheduler"] = True
    app.logger.info("Embedded reminder scheduler started in process %s", os.getpid())
    return True
