"""The feed refresh job: render the subscribed feeds whose stored body is not the current version.

What it catches: changes committed by processes that do not refresh feeds
themselves (CLI commands such as import-pack, a worker that died between its
commit and its refresh), and days on which the date alone changes a feed (a
deadline leaves the window, a cancellation expires, the next occurrence of a
recurring rule comes into view; a stored body is only valid up to its
`valid_until`). A feed whose body is current costs its version queries and one
look at `feed_bodies`; nothing depends on a tick having happened, since a fetch
still renders what no pass has.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask

log = logging.getLogger(__name__)
DEFAULT_INTERVAL_SECONDS = 300


def interval_seconds(app: Flask) -> int:
    """How often the scheduler runs the pass (`TRACKER_FEED_REFRESH_SECONDS`)."""
    return int(app.config.get("TRACKER_FEED_REFRESH_SECONDS") or DEFAULT_INTERVAL_SECONDS)


def run_feed_refresh(now: datetime | None = None) -> tuple[int, int]:
    """One pass over every subscribed feed: (feeds checked, bodies rendered). Needs an app context."""
    from tracker.feeds.refresh import refresh_subscribed_feeds

    return refresh_subscribed_feeds(now=now)


def run_feed_refresh_job(app: Flask) -> None:
    """The pass inside an app context; errors are logged, never kill the scheduler."""
    from tracker.db import db

    with app.app_context():
        try:
            checked, rendered = run_feed_refresh()
            if rendered:
                log.info("feed refresh: %d of %d feeds rendered", rendered, checked)
        except Exception:  # noqa: BLE001 - the next tick tries again
            log.exception("feed refresh failed")
            db.session.rollback()
        finally:
            db.session.remove()
