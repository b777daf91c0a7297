"""Outbox rows can be cancelled: a queued deadline email whose deadline is done or moved.

Revision ID: 0006
Revises: 0004
Create Date: 2026-11-29 04:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0004'
branch_labels = None
depends_on = None

OLD = "status in ('pending', 'sending', 'sent', 'failed')"
NEW = "status in ('pending', 'sending', 'sent', 'failed', 'cancelled')"


def _replace_check(condition):
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_status'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_status'), condition)


def upgrade():
    _replace_check(NEW)


def downgrade():
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'cancelled'")
    _replace_check(OLD)
