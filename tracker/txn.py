"""Write transactions that serialise competing workers on every backend."""

from __future__ import annotations

from sqlalchemy import text

from tracker.db import db


def is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def begin_write() -> None:
    """End the session's transaction, then start one that may write.

    On SQLite a deferred transaction that reads and later writes fails with
    SQLITE_BUSY when another process wrote in between (busy_timeout does not
    help there); BEGIN IMMEDIATE takes the write lock up front, so competing
    passes queue instead. PostgreSQL needs nothing here: its callers lock rows
    with FOR UPDATE SKIP LOCKED.
    """
    db.session.commit()
    if is_sqlite():
        db.session.execute(text("BEGIN IMMEDIATE"))
