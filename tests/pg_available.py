"""Exit 0 when the PostgreSQL server of the given SQLAlchemy URL answers, else 1."""

import sys

import sqlalchemy as sa

try:
    engine = sa.create_engine(sys.argv[1], connect_args={"connect_timeout": 3})
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
except Exception as exc:  # any failure means: no usable server
    print(f"PostgreSQL unavailable: {exc.__class__.__name__}", file=sys.stderr)
    sys.exit(1)
