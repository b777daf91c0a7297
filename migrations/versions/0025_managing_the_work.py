"""Managing the work: priority and tags on obligations, saved views, work notices.

Revision ID: 0025
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (no batch copy): obligations are referenced by many tables,
    # and SQLite's table copy would cascade. The allowed priorities are checked by
    # the service (tracker.work.vocabulary), like the rule kinds of combinations.
    op.add_column('obligations', sa.Column('priority', sa.String(length=10), nullable=False,
                                           server_default='normal'))
    op.add_column('obligations', sa.Column('tags', sa.JSON(), nullable=False, server_default='[]'))
    op.create_index(op.f('ix_obligations_priority'), 'obligations', ['priority'], unique=False)
    op.add_column('teams', sa.Column('done_needs_evidence', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))
    op.create_table('saved_views',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('query', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_saved_views_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_views')),
    sa.UniqueConstraint('user_id', 'name', name=op.f('uq_saved_views_user_id_name'))
    )
    op.create_table('work_notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=True),
    sa.Column('vendor_request_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['users.id'], name=op.f('fk_work_notices_recipient_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_work_notices_obligation_id_obligations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vendor_request_id'], ['vendor_requests.id'], name=op.f('fk_work_notices_vendor_request_id_vendor_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_work_notices_outbox_id_outbox'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_notices'))
    )
    op.create_index(op.f('ix_work_notices_outbox_id'), 'work_notices', ['outbox_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_work_notices_outbox_id'), table_name='work_notices')
    op.drop_table('work_notices')
    op.drop_table('saved_views')
    op.drop_column('teams', 'done_needs_evidence')
    op.drop_index(op.f('ix_obligations_priority'), table_name='obligations')
    op.drop_column('obligations', 'tags')
    op.drop_column('obligations', 'priority')
