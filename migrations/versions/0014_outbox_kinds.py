"""Outbox: room for the kinds of email that channels, watches and vendors send.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_KINDS = ("reminder", "overdue", "change", "digest")
# Written out, not imported: a migration keeps the list it was written with.
NEW_KINDS = ("reminder", "overdue", "change", "digest", "channel_disabled", "proposal",
             "vendor_request", "vendor_reminder", "vendor_overdue", "vendor_change",
             "vendor_receipt", "vendor_rejected", "vendor_reopened", "vendor_progress")


def _check(kinds):
    return "kind in (" + ", ".join(f"'{kind}'" for kind in kinds) + ")"


def _replace(kinds, length):
    # Nothing references the outbox, so SQLite's table copy (batch mode) is safe here.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_outbox_kind'), type_='check')
        batch_op.alter_column('kind', type_=sa.String(length=length), existing_nullable=False)
        batch_op.create_check_constraint(batch_op.f('ck_outbox_kind'), _check(kinds))


def upgrade():
    _replace(NEW_KINDS, 20)


def downgrade():
    op.execute("DELETE FROM outbox WHERE NOT (" + _check(OLD_KINDS) + ")")
    _replace(OLD_KINDS, 10)
