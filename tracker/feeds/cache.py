"""Small bounded in-process caches for rendered feeds and VEVENT fragments.

They live on the app (`app.extensions`), so two apps in one process (tests)
never share entries. Each web worker keeps its own; rendering is
deterministic, so every worker produces the same bytes and the same ETag.
What every worker shares is in the database: validators and bodies (see
tracker.feeds.render).

`warm_up` does a feed request's first-use work when a serving process starts
(mapper configuration, SQLAlchemy's compiled statements, the request pipeline,
the serializer), so the first fetch after a restart costs what later ones do.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from typing import Any, Hashable

from flask import Flask, current_app

log = logging.getLogger(__name__)

FEED_ENTRIES = 512
FRAGMENT_ENTRIES = 100_000


class LRUCache:
    """A thread-safe least-recently-used mapping with a fixed number of entries."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        # No lock: each OrderedDict call is atomic under the GIL, and a render
        # makes thousands of these. An entry evicted in between is just a miss.
        value = self._data.get(key)
        if value is not None:
            try:
                self._data.move_to_end(key)
            except KeyError:
                pass
        return value

    def put(self, key: Hashable, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class FeedCaches:
    """Whole feeds keyed by content version; VEVENT fragments keyed by row version."""

    def __init__(self) -> None:
        self.feeds = LRUCache(FEED_ENTRIES)
        self.fragments = LRUCache(FRAGMENT_ENTRIES)
        self.plans = LRUCache(FRAGMENT_ENTRIES)

    def clear(self) -> None:
        self.feeds.clear()
        self.fragments.clear()
        self.plans.clear()


def init_app(app: Flask) -> None:
    app.extensions["feed_caches"] = FeedCaches()


def caches() -> FeedCaches:
    """The current app's feed caches."""
    return current_app.extensions["feed_caches"]


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
            app.test_client().get("/feeds/" + "0" * 43 + ".ics")
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
    from tracker.mail.scheduler import _serving_process

    if app.testing or not app.config.get("TRACKER_FEED_WARM_UP", True) or not _serving_process(app):
        return
    warm_up(app)
