"""Outbox: room for the stale-estimate notice (an estimate passed: record what happened or move it).

Revision ID: 0020
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0020'
down_revision = '0023'
branch_labels = None
depends_on = None

# Written out, not imported: a migration keeps the list it was written with.
OLD_KINDS = ("reminder", "overdue", "change", "digest", "channel_disabled", "proposal",
             "vendor_request", "vendor_reminder", "vendor_overdue", "vendor_change",
             "vendor_receipt", "vendor_rejected", "vendor_reopened", "vendor_progress")
NEW_KINDS = OLD_KINDS + ("stale_estimate",)


def _check(kinds):
    return "kind in (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


# Tables whose rows reference the outbox ON DELETE CASCADE.
CHILDREN = ("outbox_items", "vendor_mail_items")


def _replace(kinds):
    # SQLite changes a CHECK by copying the table (batch mode), and dropping the old
    # outbox with foreign keys on deletes its children's rows (ON DELETE CASCADE):
    # they are kept aside and put back once the copy stands under the old name.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        for table in CHILDREN:
            op.execute(f"CREATE TEMP TABLE keep_{table} AS SELECT * FROM {table}")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_outbox_kind'), _check(kinds))
    if sqlite:
        for table in CHILDREN:
            op.execute(f"DELETE FROM {table}")
            op.execute(f"INSERT INTO {table} SELECT * FROM keep_{table}")
            op.execute(f"DROP TABLE keep_{table}")


def upgrade():
    _replace(NEW_KINDS)


def downgrade():
    op.execute("DELETE FROM outbox WHERE NOT (" + _check(OLD_KINDS) + ")")
    _replace(OLD_KINDS)
