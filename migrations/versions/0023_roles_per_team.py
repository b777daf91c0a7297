"""Roles per team: team_members.role, and who re-issued a response link (kept on the link and on
the attestations sent through it).

Every membership that exists gets its user's global role as its role in that
team (an admin's memberships: editor), so nobody's access changes.

Revision ID: 0023
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0023'
down_revision = '0029'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=10), nullable=True))
    op.execute("UPDATE team_members SET role = (SELECT CASE WHEN users.role = 'viewer' THEN 'viewer' "
               "ELSE 'editor' END FROM users WHERE users.id = team_members.user_id)")
    with op.batch_alter_table('vendor_links', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issued_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_vendor_links_issued_by_id_users'), 'users',
                                    ['issued_by_id'], ['id'], ondelete='SET NULL')
    with op.batch_alter_table('vendor_attestations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('link_issued_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_vendor_attestations_link_issued_by_id_users'), 'users',
                                    ['link_issued_by_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('vendor_attestations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vendor_attestations_link_issued_by_id_users'), type_='foreignkey')
        batch_op.drop_column('link_issued_by_id')
    with op.batch_alter_table('vendor_links', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vendor_links_issued_by_id_users'), type_='foreignkey')
        batch_op.drop_column('issued_by_id')
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_column('role')
