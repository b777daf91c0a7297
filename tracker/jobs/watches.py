"""Regulator watches as a job of their own: a hanging provider holds only this job, never the mail."""

from __future__ import annotations

from flask import Flask

from tracker.jobs import run_in_app

# Each watch is due every 6 hours (staggered per watch, see tracker.watches.polling);
# the job only looks for due ones this often.
WATCH_CHECK_SECONDS = 600


def run_watch_job(app: Flask) -> None:
    """Poll the watches that are due; errors are logged, never kill the scheduler."""
    from tracker.watches.polling import run_poll_pass

    def work() -> str | None:
        report = run_poll_pass()
        return report.lines()[-1] if report.outcomes else None

    run_in_app(app, "watch poll", work)
