"""The jobs the scheduler runs, each on its own clock so none waits behind another.

The reminder pass (mail) is in tracker.jobs.scheduler; channel deliveries,
regulator watches, the outbox purge and the feed refresh are here. Each job calls into its
domain inside an app context and logs its errors: a failing job never stops
the scheduler or another job.
"""

from __future__ import annotations

import logging
from typing import Callable

from flask import Flask

log = logging.getLogger("tracker.jobs")


def run_in_app(app: Flask, name: str, work: Callable[[], str | None]) -> None:
    """Run `work` in an app context; log its summary, or its error (rolled back)."""
    from tracker.db import db

    with app.app_context():
        try:
            summary = work()
            if summary:
                log.info("%s: %s", name, summary)
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("%s failed", name)
            db.session.rollback()
