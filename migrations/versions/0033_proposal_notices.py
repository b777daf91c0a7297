"""Proposal notices planned from stored state: a proposal not yet told has `notified_at` empty.

Revision ID: 0033
Revises: 0025
"""
from alembic import op
import sqlalchemy as sa


revision = '0033'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (nullable, no batch copy needed on SQLite).
    op.add_column('proposals', sa.Column('notified_at', sa.DateTime(), nullable=True))
    op.create_index('ix_proposals_notified_at', 'proposals', ['notified_at'], unique=False)
    # Proposals stored before this were told straight after their poll (or lost then);
    # telling them now, possibly months later, would be noise.
    op.execute("UPDATE proposals SET notified_at = created_at")


def downgrade():
    op.drop_index('ix_proposals_notified_at', table_name='proposals')
    with op.batch_alter_table('proposals') as batch_op:
        batch_op.drop_column('notified_at')
