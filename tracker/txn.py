"""Write transactions that serialise competing workers on every backend."""

from __future__ import annotations

import functools
import inspect
from typing import Callable, Iterator, ParamSpec, Sequence, TypeVar

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from tracker.db import db

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def insert_ignoring(table, keys: Sequence[str]):
    """`INSERT ... ON CONFLICT (keys) DO NOTHING` on either backend: a row whose unique key is
    already there is skipped, not an error (queues and stores made idempotent by their keys).
    Add `.values(...)` or pass rows to `execute`; `.returning(...)` tells which went in (psycopg
    reports no row count for this statement)."""
    dialect_insert = sqlite.insert if is_sqlite() else postgresql.insert
    return dialect_insert(table).on_conflict_do_nothing(index_elements=list(keys))


# Bound parameters per statement stay under SQLite's old limit of 999.
IN_CHUNK = 900


def in_chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """`values` in slices of at most `size`, for `column.in_(...)` over a long list."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


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


def claim_ids(model, claimable, order_by: tuple, values: dict, limit: int) -> list[int]:
    """Claim up to `limit` rows of `model` matching `claimable` by setting `values`; ids of the claimed.

    The caller has started the write (`begin_write`) and commits. On PostgreSQL
    the candidates are locked with SKIP LOCKED, so competing workers take
    different rows; on SQLite, where the write transaction already serialises
    workers, each row is claimed by a conditional UPDATE that counts only if it
    changed exactly that row.
    """
    candidates = select(model.id).where(claimable).order_by(*order_by).limit(limit)
    if is_sqlite():
        ids = []
        for row_id in db.session.scalars(candidates).all():
            result = db.session.execute(update(model).where(model.id == row_id, claimable).values(**values)
                                        .execution_options(synchronize_session=False))
            if result.rowcount == 1:
                ids.append(row_id)
        return ids
    ids = db.session.scalars(candidates.with_for_update(skip_locked=True)).all()
    if ids:
        db.session.execute(update(model).where(model.id.in_(ids)).values(**values)
                           .execution_options(synchronize_session=False))
    return list(ids)
