"""Grouped mail: the causes of deadline changes, the items of each email, one email per deadline.

Revision ID: 0016
Revises: 0017
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('change_causes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_change_causes_event_id_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_causes'))
    )
    # Plain add_column (no table copy): deadline_history hangs off obligations.
    op.add_column('deadline_history', sa.Column('cause_id', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_deadline_history_cause_id'), 'deadline_history', ['cause_id'], unique=False)
    op.add_column('users', sa.Column('email_one_per_deadline', sa.Boolean(), server_default=sa.false(),
                                     nullable=False))
    op.create_table('outbox_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('lead_days', sa.Integer(), nullable=False),
    sa.Column('cause_id', sa.Integer(), nullable=True),
    sa.Column('history_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('reminder', 'overdue', 'change')", name=op.f('ck_outbox_items_kind')),
    sa.CheckConstraint("status in ('queued', 'left_out')", name=op.f('ck_outbox_items_status')),
    sa.ForeignKeyConstraint(['message_id'], ['outbox.id'], name=op.f('fk_outbox_items_message_id_outbox'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_outbox_items_obligation_id_obligations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_outbox_items_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_outbox_items_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_items')),
    sa.UniqueConstraint('obligation_id', 'revision', 'kind', 'lead_days', 'recipient_id',
                        name=op.f('uq_outbox_items_obligation_id_revision_kind_lead_days_recipient_id'))
    )
    op.create_index(op.f('ix_outbox_items_message_id'), 'outbox_items', ['message_id'], unique=False)
    # What the outbox already holds keeps its guarantee: each earlier per-deadline
    # message becomes the one item it carried, so no reminder goes out twice.
    op.execute(
        "INSERT INTO outbox_items (message_id, obligation_id, team_id, recipient_id, kind, revision, "
        "lead_days, status, note, created_at) "
        "SELECT o.id, o.obligation_id, o.team_id, o.recipient_id, o.kind, o.revision, COALESCE(o.lead_days, 0), "
        "'queued', '', o.created_at FROM outbox o "
        "WHERE o.kind IN ('reminder', 'overdue', 'change') AND o.obligation_id IS NOT NULL "
        "AND o.team_id IS NOT NULL AND o.revision IS NOT NULL AND o.recipient_id IS NOT NULL")


def downgrade():
    op.drop_index(op.f('ix_outbox_items_message_id'), table_name='outbox_items')
    op.drop_table('outbox_items')
    op.drop_column('users', 'email_one_per_deadline')
    op.drop_index(op.f('ix_deadline_history_cause_id'), table_name='deadline_history')
    op.drop_column('deadline_history', 'cause_id')
    op.drop_table('change_causes')
