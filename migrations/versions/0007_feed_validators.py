"""Feed validators: the ETag and Last-Modified of each feed content version, so any
worker can answer a conditional request with 304 without rendering.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:24:39.947265

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_validators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('variant', sa.String(length=20), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('etag', sa.String(length=80), nullable=False),
    sa.Column('last_modified', sa.DateTime(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_feed_validators')),
    sa.UniqueConstraint('scope_key', 'variant', 'version', 'valid_from', name=op.f('uq_feed_validators_scope_key_variant_version_valid_from'))
    )
    with op.batch_alter_table('feed_validators', schema=None) as batch_op:
        batch_op.create_index('ix_feed_validators_scope', ['scope_key', 'variant'], unique=False)



def downgrade():
    with op.batch_alter_table('feed_validators', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_validators_scope')

    op.drop_table('feed_validators')
