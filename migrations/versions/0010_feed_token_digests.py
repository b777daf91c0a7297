"""Feed tokens at rest: a keyed digest to find a token by and the token sealed
with a key derived from SECRET_KEY, instead of the token and its selector in
the clear. Existing tokens (and so every subscribed URL) keep working.

Revision ID: 0010
Revises: 0007
Create Date: 2026-12-01 23:30:00

"""
from alembic import op
import sqlalchemy as sa
from flask import current_app

from tracker.sealing import seal, unseal


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0007'
branch_labels = None
depends_on = None

feed_tokens = sa.table('feed_tokens', sa.column('id', sa.Integer()), sa.column('token', sa.String()),
                       sa.column('selector', sa.String()), sa.column('digest', sa.String()),
                       sa.column('sealed', sa.String()))


def upgrade():
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('digest', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('sealed', sa.String(length=100), nullable=True))
    conn = op.get_bind()
    secret_key = current_app.config['SECRET_KEY']
    for row_id, token in conn.execute(sa.select(feed_tokens.c.id, feed_tokens.c.token)).all():
        digest, sealed = seal(token, secret_key)
        conn.execute(feed_tokens.update().where(feed_tokens.c.id == row_id).values(digest=digest, sealed=sealed))
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.alter_column('digest', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('sealed', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_feed_tokens_digest'), ['digest'])
        batch_op.drop_constraint('uq_feed_tokens_selector', type_='unique')
        batch_op.drop_column('selector')
        batch_op.drop_column('token')


def downgrade():
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('selector', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('token', sa.String(length=100), nullable=True))
    conn = op.get_bind()
    secret_key = current_app.config['SECRET_KEY']
    rows = conn.execute(sa.select(feed_tokens.c.id, feed_tokens.c.digest, feed_tokens.c.sealed)).all()
    for row_id, digest, sealed in rows:
        token = unseal(digest, sealed, secret_key)
        if token is None:  # sealed under another SECRET_KEY: the URL is dead either way
            conn.execute(feed_tokens.delete().where(feed_tokens.c.id == row_id))
            continue
        conn.execute(feed_tokens.update().where(feed_tokens.c.id == row_id)
                     .values(selector=token[:16], token=token))
    with op.batch_alter_table('feed_tokens', schema=None) as batch_op:
        batch_op.alter_column('selector', existing_type=sa.String(length=16), nullable=False)
        batch_op.alter_column('token', existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_feed_tokens_selector'), ['selector'])
        batch_op.drop_constraint('uq_feed_tokens_digest', type_='unique')
        batch_op.drop_column('sealed')
        batch_op.drop_column('digest')
