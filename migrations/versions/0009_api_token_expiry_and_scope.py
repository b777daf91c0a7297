"""API tokens expire, may be read-only, and record why they were revoked.

Tokens made before this revision never expired; they get 90 days from the
upgrade, so scripts keep working while their owners make new ones. Tokens of
users who are already deactivated are revoked (deactivation now revokes).

Revision ID: 0009
Revises: 0010
"""
from datetime import datetime, timedelta, timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0010'
branch_labels = None
depends_on = None

LEGACY_LIFETIME = timedelta(days=90)


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('read_only', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('revoked_reason', sa.String(length=40), nullable=True))

    now = datetime.now(timezone.utc).replace(tzinfo=None)  # stored as naive UTC, as UTCDateTime does
    tokens = sa.table('api_tokens', sa.column('expires_at', sa.DateTime()), sa.column('revoked_at', sa.DateTime()),
                      sa.column('revoked_reason', sa.String()), sa.column('user_id', sa.Integer()))
    users = sa.table('users', sa.column('id', sa.Integer()), sa.column('active', sa.Boolean()))
    op.execute(tokens.update().values(expires_at=now + LEGACY_LIFETIME))
    op.execute(tokens.update()
               .where(tokens.c.revoked_at.is_(None),
                      tokens.c.user_id.in_(sa.select(users.c.id).where(users.c.active.is_(sa.false()))))
               .values(revoked_at=now, revoked_reason='user deactivated'))

    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.alter_column('expires_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_column('revoked_reason')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('read_only')
