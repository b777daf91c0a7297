"""Warming a serving process up, so the first feed fetch costs what every later one does.

The first request of a process pays for mapper configuration and for compiling
the SQL of the token, scope, version, body and render queries (about 130 ms,
measured by benchmarks/bench_feed_cold.py); doing that once at start-up keeps
it out of the first subscriber's fetch.
"""

from __future__ import annotations

import logging

from flask import Flask

from tracker.feeds.cache import caches

log = logging.getLogger(__name__)


def warm_up(app: Flask) -> None:
    """Run a feed request's code paths once on nothing, so the first real fetch pays no first-use costs.

    Executes the feed's read queries for a scope of no teams (SQLAlchemy caches a
    statement's compiled form on first execution, keyed by its shape, not its
    values), requests a feed with a token that matches no row (the URL map, the
    request hooks, the token lookup) and serializes one VEVENT. Writes nothing.
    Best effort: a database that is not reachable or not migrated yet only
    means the first request does this work itself.
    """
    from datetime import datetime, timezone

    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import configure_mappers

    from tracker.db import db
    from tracker.feeds import render
    from tracker.feeds.ical import VEventSpec, vevent_bytes
    from tracker.feeds.items import load_details
    from tracker.feeds.scope import FeedScope

    configure_mappers()
    moment = datetime(2000, 1, 1, tzinfo=timezone.utc)
    vevent_bytes(VEventSpec(uid="warm-up", day=moment.date(), summary="warm-up", description="warm-up",
                            status="CONFIRMED", sequence=0, stamp=moment, created=moment, url="https://warm-up"))
    with app.app_context():
        try:
            key = render.feed_key(FeedScope("warm-up", "", ()))  # raises first if the tables are missing
            render.validator_for(key)
            render.stored_feed(key)
            render.render(key)
            load_details([0])
            app.test_client().get("/feeds/" + "0" * 43 + ".ics", environ_base={"tracker.warm_up": True})
        except SQLAlchemyError as error:
            log.info("feed warm-up skipped: %s", error.__class__.__name__)
        finally:
            db.session.rollback()
            caches().clear()
            db.session.remove()
            # A preloading server (gunicorn --preload) forks after this: no worker may inherit
            # this process's connections. The compiled statements stay with the engine.
            db.engine.dispose()


def warm_up_if_serving(app: Flask) -> None:
    """`warm_up` in a process that will serve requests (not in tests or other CLI commands)."""
    from tracker.process import serving_process

    if app.testing or not app.config.get("TRACKER_FEED_WARM_UP", True) or not serving_process(app):
        return
    warm_up(app)
