"""GET /healthz: is the database reachable, and is the reminder job running?"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.clock import utcnow
from tracker.db import db

bp = Blueprint("health", __name__)
STALE_AFTER_INTERVALS = 3


@bp.route("/healthz")
def healthz():
    """JSON, no sign-in, nothing secret: 503 when the database is down or passes stopped."""
    from tracker.jobs.reminder_pass import last_run
    from tracker.jobs.scheduler import interval_seconds
    from tracker.watches.queries import failing_watches

    scheduler_on = current_app.config.get("TRACKER_SCHEDULER") == "embedded"
    interval = interval_seconds(current_app)
    body = {"status": "ok", "database": "ok", "scheduler": current_app.config.get("TRACKER_SCHEDULER"),
            "reminder_interval_seconds": interval, "last_reminder_pass": None}
    try:
        db.session.execute(text("SELECT 1"))
        run = last_run()
        # Which watches, since when; not the source or the error (no sign-in here).
        failing = [{"watch_id": w.id, "provider": w.provider, "failing_since": w.failing_since.isoformat()}
                   for w in failing_watches(utcnow())]
    except SQLAlchemyError:
        db.session.rollback()
        body.update(status="unavailable", database="unreachable")
        return jsonify(body), 503
    if failing:
        # Reported, not a 503: a regulator's outage is not this service's.
        body["watches"] = f"{len(failing)} watch(es) failing for more than a day"
        body["watches_failing"] = failing
    if run is not None:
        body["last_reminder_pass"] = run.started_at.isoformat()
        body["last_reminder_pass_counts"] = {"planned": run.planned, "sent": run.sent,
                                             "retried": run.retried, "failed": run.failed}
    # Embedded: this process runs the passes. Off: `flask scheduler` processes run
    # them every interval, so once passes have been seen, their stopping counts too.
    if scheduler_on or run is not None:
        limit = timedelta(seconds=interval * STALE_AFTER_INTERVALS)
        # A fresh process gets three intervals of grace before its first pass counts as missing.
        started = current_app.extensions.get("started_at")
        reference = run.started_at if run is not None else started
        if reference is None or utcnow() - reference > limit:
            body.update(status="stale", reminders="no reminder pass for three intervals")
            return jsonify(body), 503
    db.session.rollback()
    return jsonify(body)


def register(app) -> None:
    app.register_blueprint(bp)
    app.extensions.setdefault("started_at", utcnow())
