"""Vendor responses: contacts' calendar feed tokens and the items of vendor mail.

Revision ID: 0019
Revises: 0018
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vendor_contact_feed_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['vendor_contacts.id'], name=op.f('fk_vendor_contact_feed_tokens_contact_id_vendor_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_contact_feed_tokens')),
    sa.UniqueConstraint('digest', name=op.f('uq_vendor_contact_feed_tokens_digest'))
    )
    op.create_index(op.f('ix_vendor_contact_feed_tokens_contact_id'), 'vendor_contact_feed_tokens', ['contact_id'], unique=False)
    op.create_table('vendor_mail_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_key', sa.String(length=200), nullable=False),
    sa.Column('outbox_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['outbox_id'], ['outbox.id'], name=op.f('fk_vendor_mail_items_outbox_id_outbox'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_mail_items')),
    sa.UniqueConstraint('item_key', name=op.f('uq_vendor_mail_items_item_key'))
    )
    op.create_index(op.f('ix_vendor_mail_items_outbox_id'), 'vendor_mail_items', ['outbox_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_vendor_mail_items_outbox_id'), table_name='vendor_mail_items')
    op.drop_table('vendor_mail_items')
    op.drop_index(op.f('ix_vendor_contact_feed_tokens_contact_id'), table_name='vendor_contact_feed_tokens')
    op.drop_table('vendor_contact_feed_tokens')
