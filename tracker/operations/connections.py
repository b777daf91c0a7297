"""Connections of their own for a backup (one read snapshot) and a restore (one write transaction).

pysqlite starts no transaction before a SELECT, so two SELECTs on the app's usual
connections may see different commits. The backup's engine issues BEGIN itself:
under WAL, every read of the transaction then sees the database as at its first
read, while the app goes on writing. On PostgreSQL the same is a REPEATABLE READ,
READ ONLY transaction. A restore's engine starts with BEGIN IMMEDIATE on SQLite, so
it holds the write lock from its emptiness check to its commit.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool


def _engine(url: str, begin: str) -> sa.Engine:
    engine = sa.create_engine(url, poolclass=NullPool)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def _no_implicit_transactions(dbapi_connection, record) -> None:
            dbapi_connection.isolation_level = None

        @sa.event.listens_for(engine, "begin")
        def _begin(connection) -> None:
            connection.exec_driver_sql(begin)
    return engine


@contextmanager
def read_snapshot(url: str) -> Iterator[Connection]:
    """A connection inside one read-only transaction that sees a single moment of the database."""
    engine = _engine(url, "BEGIN")
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                if engine.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                yield conn
    finally:
        engine.dispose()


@contextmanager
def write_transaction(url: str) -> Iterator[Connection]:
    """A connection inside one write transaction: committed when the block ends, else rolled back."""
    engine = _engine(url, "BEGIN IMMEDIATE")
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    finally:
        engine.dispose()


def revision(conn: Connection) -> str | None:
    """The database's Alembic revision (None before `db upgrade`)."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
