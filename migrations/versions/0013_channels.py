"""Notification channels (Slack, Teams, signed webhooks) and their delivery queue.

Revision ID: 0013
Revises: 0011
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('channels',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('event_types', sa.JSON(), nullable=False),
    sa.Column('secret_digest', sa.String(length=64), nullable=True),
    sa.Column('secret_sealed', sa.String(length=100), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('consecutive_failures', sa.Integer(), nullable=False),
    sa.Column('disabled_reason', sa.Text(), nullable=False),
    sa.Column('disabled_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('slack', 'teams', 'webhook')", name=op.f('ck_channels_kind')),
    sa.CheckConstraint("status in ('active', 'disabled')", name=op.f('ck_channels_status')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_channels_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channels'))
    )
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channels_team_id'), ['team_id'], unique=False)

    op.create_table('channel_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('event_type', sa.String(length=40), nullable=False),
    sa.Column('unique_key', sa.String(length=200), nullable=False),
    sa.Column('webhook_id', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('response_code', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('delivered_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('pending', 'sending', 'delivered', 'failed')", name=op.f('ck_channel_deliveries_status')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_channel_deliveries_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_deliveries')),
    sa.UniqueConstraint('channel_id', 'unique_key', name=op.f('uq_channel_deliveries_channel_id_unique_key')),
    sa.UniqueConstraint('webhook_id', name=op.f('uq_channel_deliveries_webhook_id'))
    )
    with op.batch_alter_table('channel_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_channel_deliveries_status_next_attempt', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index('ix_channel_deliveries_channel_created', ['channel_id', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('channel_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_channel_deliveries_channel_created')
        batch_op.drop_index('ix_channel_deliveries_status_next_attempt')
    op.drop_table('channel_deliveries')
    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channels_team_id'))
    op.drop_table('channels')
