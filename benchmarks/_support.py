"""Shared set-up for benchmark scripts: a fresh migrated SQLite database."""

from __future__ import annotations

import contextlib
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def fresh_app(url: str | None = None, **config):
    """Yield an app (inside its app context) on a new migrated database; `config` adds settings."""
    from flask_migrate import upgrade

    from tracker import create_app
    from tracker.db import db

    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{tmp}/bench.db",
                          "TESTING": True, "TRACKER_SCHEDULER": "off", **config})
        with app.app_context():
            upgrade()
            yield app
            db.session.remove()
            db.engine.dispose()


class StatementCounter:
    """Counts SQL statements sent to the database (executemany counts once)."""

    def __init__(self, engine):
        self.engine = engine
        self.count = 0

    def _listen(self, *args):
        self.count += 1

    def __enter__(self):
        import sqlalchemy as sa

        sa.event.listen(self.engine, "before_cursor_execute", self._listen)
        return self

    def __exit__(self, *exc):
        import sqlalchemy as sa

        sa.event.remove(self.engine, "before_cursor_execute", self._listen)


def icalendar_alone(values: list[dict]) -> bytes:
    """The icalendar library building and serializing the events from plain values (the baseline)."""
    from datetime import timedelta

    from icalendar import Calendar, Event, vDuration, vText

    calendar = Calendar()
    calendar.add("prodid", "-//bench//EN")
    calendar.add("version", "2.0")
    calendar.add("name", vText("Team deadlines"))
    calendar.add("refresh-interval", vDuration(timedelta(hours=1)), parameters={"VALUE": "DURATION"})
    for value in values:
        event = Event()
        event.add("uid", value["uid"])
        event.add("dtstamp", value["stamp"])
        event.add("last-modified", value["stamp"])
        event.add("dtstart", value["day"])
        event.add("dtend", value["day"] + timedelta(days=1))
        event.add("summary", value["summary"])
        event.add("description", value["description"])
        event.add("url", value["url"])
        event.add("status", value["status"])
        event.add("sequence", value["sequence"])
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()


def feed_values(scope) -> tuple[bytes, list[dict]]:
    """Render `scope`'s feed once (not stored) and return its bytes and the plain values of its
    events, for `icalendar_alone`. Needs an app context."""
    import tracker.feeds.render as render_module

    captured = []
    original = render_module.vevent_bytes
    render_module.vevent_bytes = lambda spec: captured.append(spec) or original(spec)
    try:
        forget_feeds()
        body = render_module.render(render_module.feed_key(scope)).body
    finally:
        render_module.vevent_bytes = original
    forget_feeds()
    values = [dict(vars(spec)) for spec in captured]
    for value in values:
        value["stamp"] = value["stamp"].replace(microsecond=0)
    return body, values


def forget_feeds() -> None:
    """Empty the in-memory feed caches and the stored bodies and validators: the next fetch renders."""
    from sqlalchemy import delete

    from tracker.db import db
    from tracker.feeds.cache import caches
    from tracker.models import FeedBody, FeedValidator

    caches().clear()
    db.session.execute(delete(FeedBody))
    db.session.execute(delete(FeedValidator))
    db.session.commit()
    db.session.expire_all()
