"""Daily: no response link at rest in the outbox, and finished mail's bodies gone after the retention period."""

from __future__ import annotations

from flask import Flask

from tracker.jobs import run_in_app

PURGE_EVERY_SECONDS = 24 * 3600


def run_purge_job(app: Flask) -> None:
    from tracker.clock import utcnow
    from tracker.mail.retention import purge_outbox

    def work() -> str | None:
        report = purge_outbox(utcnow())
        if report.links_removed or report.bodies_emptied:
            return f"{report.links_removed} message(s) had response links removed, {report.bodies_emptied} emptied"
        return None

    run_in_app(app, "outbox purge", work)
