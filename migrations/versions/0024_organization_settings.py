"""Organization settings: the name vendors see and the reply-to address of vendor mail.

Revision ID: 0024
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0024'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('organization_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('reply_to', sa.String(length=320), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organization_settings'))
    )


def downgrade():
    op.drop_table('organization_settings')
