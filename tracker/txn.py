"""Write transactions that serialise competing workers on every backend."""

from __future__ import annotations

import functools
import inspect
from typing import Callable, ParamSpec, TypeVar

from sqlalchemy import text

from tracker.db import db

P = ParamSpec("P")
R = TypeVar("R")


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


def owns_transaction(function: Callable[P, R]) -> Callable[P, R]:
    """The transaction of a service that owns it unless called with commit=False.

    With commit=True (the default) the service's writes are committed when it
    returns, and rolled back if it fails part-way (an error after some rows
    were changed in the session, or at the commit itself), so a caller that
    catches the error and later commits other work never stores half a
    change. With commit=False the caller owns the transaction and decides.
    """
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        owns = signature.bind_partial(*args, **kwargs).arguments.get("commit", True)
        try:
            result = function(*args, **kwargs)
            if owns:
                db.session.commit()
        except Exception:
            if owns:
                db.session.rollback()
            raise
        return result

    return wrapper
