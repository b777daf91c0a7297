"""Managing the work: priority and tags, saved views, work notices, comments, evidence on obligations.

Revision ID: 0025
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
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
    op.create_table('comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=True),
    sa.Column('vendor_request_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('edited_at', sa.DateTime(), nullable=True),
    sa.Column('deleted_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint('(obligation_id IS NULL) <> (vendor_request_id IS NULL)', name=op.f('ck_comments_one_target')),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_comments_obligation_id_obligations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['vendor_request_id'], ['vendor_requests.id'], name=op.f('fk_comments_vendor_request_id_vendor_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_comments_author_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comments'))
    )
    op.create_index('ix_comments_obligation_id', 'comments', ['obligation_id'], unique=False)
    op.create_index('ix_comments_vendor_request_id', 'comments', ['vendor_request_id'], unique=False)
    op.create_table('obligation_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('expiry_handled_at', sa.DateTime(), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("kind in ('file', 'link')", name=op.f('ck_obligation_evidence_kind')),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_obligation_evidence_obligation_id_obligations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_obligation_evidence_added_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligation_evidence'))
    )
    op.create_index(op.f('ix_obligation_evidence_obligation_id'), 'obligation_evidence', ['obligation_id'], unique=False)
    op.create_index(op.f('ix_obligation_evidence_valid_until'), 'obligation_evidence', ['valid_until'], unique=False)
    op.create_table('obligation_evidence_chunks',
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['obligation_evidence.id'], name=op.f('fk_obligation_evidence_chunks_evidence_id_obligation_evidence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evidence_id', 'seq', name=op.f('pk_obligation_evidence_chunks'))
    )


def downgrade():
    op.drop_table('obligation_evidence_chunks')
    op.drop_index(op.f('ix_obligation_evidence_valid_until'), table_name='obligation_evidence')
    op.drop_index(op.f('ix_obligation_evidence_obligation_id'), table_name='obligation_evidence')
    op.drop_table('obligation_evidence')
    op.drop_index('ix_comments_vendor_request_id', table_name='comments')
    op.drop_index('ix_comments_obligation_id', table_name='comments')
    op.drop_table('comments')
    op.drop_index(op.f('ix_work_notices_outbox_id'), table_name='work_notices')
    op.drop_table('work_notices')
    op.drop_table('saved_views')
    op.drop_column('teams', 'done_needs_evidence')
    op.drop_index(op.f('ix_obligations_priority'), table_name='obligations')
    op.drop_column('obligations', 'tags')
    op.drop_column('obligations', 'priority')
