"""Feed bodies: the compressed bytes of each feed's current content version, so any
worker, even right after a restart, answers an unchanged feed without rendering.

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-01 23:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('variant', sa.String(length=20), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('last_modified', sa.DateTime(), nullable=False),
    sa.Column('body', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_bodies')),
    sa.UniqueConstraint('scope_key', 'variant', name=op.f('uq_feed_bodies_scope_key_variant'))
    )


def downgrade():
    op.drop_table('feed_bodies')
