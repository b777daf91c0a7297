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
