"""Feed render claims: one render of a feed's content version across the deployment.

Revision ID: 0029
Revises: 0019
Create Date: 2026-12-07 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('feed_render_claims',
    sa.Column('scope_key', sa.String(length=40), nullable=False),
    sa.Column('variant', sa.String(length=20), nullable=False),
    sa.Column('version', sa.String(length=64), nullable=False),
    sa.Column('claimed_by', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('scope_key', 'variant', name=op.f('pk_feed_render_claims'))
    )


def downgrade():
    op.drop_table('feed_render_claims')
