"""Sign-in with an identity provider: linked identities and the group mapping.

Revision ID: 0027
Revises: 0019
"""
from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('oidc_identities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('last_login_at', sa.DateTime(), nullable=True),
    sa.Column('granted_team_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_oidc_identities_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_identities')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_oidc_identities_issuer_subject'))
    )
    op.create_index(op.f('ix_oidc_identities_user_id'), 'oidc_identities', ['user_id'], unique=False)
    op.create_table('oidc_group_mappings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('group_name', sa.String(length=300), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role in ('admin', 'editor', 'viewer')", name=op.f('ck_oidc_group_mappings_role')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_group_mappings')),
    sa.UniqueConstraint('group_name', name=op.f('uq_oidc_group_mappings_group_name'))
    )
    op.create_table('oidc_group_mapping_teams',
    sa.Column('mapping_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['mapping_id'], ['oidc_group_mappings.id'], name=op.f('fk_oidc_group_mapping_teams_mapping_id_oidc_group_mappings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_oidc_group_mapping_teams_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('mapping_id', 'team_id', name=op.f('pk_oidc_group_mapping_teams'))
    )
    op.create_index(op.f('ix_oidc_group_mapping_teams_team_id'), 'oidc_group_mapping_teams', ['team_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_oidc_group_mapping_teams_team_id'), table_name='oidc_group_mapping_teams')
    op.drop_table('oidc_group_mapping_teams')
    op.drop_table('oidc_group_mappings')
    op.drop_index(op.f('ix_oidc_identities_user_id'), table_name='oidc_identities')
    op.drop_table('oidc_identities')
