"""The migrations build exactly the schema the models describe, on each database."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from tracker.audit import SYSTEM
from tracker.db import db
from tracker.models import AuditEntry
from tests.factories import make_team


def test_migrations_build_the_same_schema_as_the_models(app):
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        drift = compare_metadata(context, db.metadata)
    assert drift == []


def test_database_refuses_to_rewrite_the_audit_log(app):
    make_team(key="audited")
    entry_id = db.session.scalar(sa.select(AuditEntry.id))
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_log SET actor = 'someone else' WHERE id = :id"), {"id": entry_id})
    with pytest.raises(sa.exc.DBAPIError, match="append-only"):
        with db.engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM audit_log WHERE id = :id"), {"id": entry_id})
    assert db.session.get(AuditEntry, entry_id).actor == SYSTEM.label


def test_orm_refuses_to_edit_an_audit_entry(app):
    make_team(key="audited")
    entry = db.session.scalar(sa.select(AuditEntry))
    entry.actor = "forged"
    with pytest.raises(ValueError, match="append-only"):
        db.session.commit()
    db.session.rollback()
