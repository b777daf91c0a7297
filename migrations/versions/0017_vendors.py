"""Vendors, contacts, vendor scopes, vendor requests and their history, evidence (bytes in
chunks), attestations and response links; outbox rows may address a vendor contact.

Revision ID: 0017
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('vendors',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('website', sa.String(length=2000), nullable=False),
    sa.Column('country', sa.String(length=10), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=False),
    sa.Column('markets', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('active', 'prospective', 'offboarded')", name=op.f('ck_vendors_status')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_vendors_owner_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_vendors_team_id_teams')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendors')),
    sa.UniqueConstraint('key', name=op.f('uq_vendors_key'))
    )
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendors_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendors_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendors_team_id'), ['team_id'], unique=False)

    op.create_table('vendor_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=300), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('role', sa.String(length=10), nullable=False),
    sa.Column('reminders_opt_out', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("role in ('primary', 'secondary')", name=op.f('ck_vendor_contacts_role')),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_vendor_contacts_vendor_id_vendors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_contacts')),
    sa.UniqueConstraint('vendor_id', 'email', name=op.f('uq_vendor_contacts_vendor_id_email'))
    )
    with op.batch_alter_table('vendor_contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_contacts_vendor_id'), ['vendor_id'], unique=False)

    op.create_table('obligation_vendor_scopes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('categories', sa.JSON(), nullable=True),
    sa.Column('markets', sa.JSON(), nullable=True),
    sa.Column('keys', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_obligation_vendor_scopes_obligation_id_obligations'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_obligation_vendor_scopes')),
    sa.UniqueConstraint('obligation_id', name=op.f('uq_obligation_vendor_scopes_obligation_id'))
    )
    op.create_table('vendor_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('obligation_id', sa.Integer(), nullable=False),
    sa.Column('vendor_id', sa.Integer(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('due_state', sa.String(length=10), nullable=False),
    sa.Column('due_precision', sa.String(length=8), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('due_changed_at', sa.DateTime(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=False),
    sa.Column('status_changed_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('evidence_expires_on', sa.Date(), nullable=True),
    sa.Column('next_reminder_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("due_state in ('firm', 'projected', 'undated', 'void')", name=op.f('ck_vendor_requests_due_state')),
    sa.CheckConstraint("status in ('open', 'submitted', 'accepted', 'rejected', 'waived', 'not_applicable')", name=op.f('ck_vendor_requests_status')),
    sa.ForeignKeyConstraint(['obligation_id'], ['obligations.id'], name=op.f('fk_vendor_requests_obligation_id_obligations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_vendor_requests_reviewed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['vendor_id'], ['vendors.id'], name=op.f('fk_vendor_requests_vendor_id_vendors'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_requests')),
    sa.UniqueConstraint('obligation_id', 'vendor_id', name=op.f('uq_vendor_requests_obligation_id_vendor_id'))
    )
    with op.batch_alter_table('vendor_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_requests_evidence_expires_on'), ['evidence_expires_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendor_requests_next_reminder_at'), ['next_reminder_at'], unique=False)
        batch_op.create_index('ix_vendor_requests_status_due', ['status', 'due_date'], unique=False)
        batch_op.create_index('ix_vendor_requests_vendor_status', ['vendor_id', 'status'], unique=False)

    op.create_table('vendor_attestations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('signer_name', sa.String(length=300), nullable=False),
    sa.Column('signer_title', sa.String(length=300), nullable=False),
    sa.Column('statement', sa.Text(), nullable=False),
    sa.Column('signed_at', sa.DateTime(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['vendor_contacts.id'], name=op.f('fk_vendor_attestations_contact_id_vendor_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['vendor_requests.id'], name=op.f('fk_vendor_attestations_request_id_vendor_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_attestations'))
    )
    with op.batch_alter_table('vendor_attestations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_attestations_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendor_attestations_submission_id'), ['submission_id'], unique=False)

    op.create_table('vendor_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('submission_id', sa.String(length=32), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('uploaded_at', sa.DateTime(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['contact_id'], ['vendor_contacts.id'], name=op.f('fk_vendor_evidence_contact_id_vendor_contacts'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['vendor_requests.id'], name=op.f('fk_vendor_evidence_request_id_vendor_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_evidence'))
    )
    with op.batch_alter_table('vendor_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_evidence_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_vendor_evidence_submission_id'), ['submission_id'], unique=False)

    op.create_table('vendor_links',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('selector', sa.String(length=16), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('sealed', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('replaced_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['vendor_requests.id'], name=op.f('fk_vendor_links_request_id_vendor_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_links')),
    sa.UniqueConstraint('selector', name=op.f('uq_vendor_links_selector'))
    )
    with op.batch_alter_table('vendor_links', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_links_request_id'), ['request_id'], unique=False)

    op.create_table('vendor_request_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('changed_at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('old_due_date', sa.Date(), nullable=True),
    sa.Column('old_due_state', sa.String(length=10), nullable=True),
    sa.Column('new_due_date', sa.Date(), nullable=True),
    sa.Column('new_due_state', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_vendor_request_history_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['request_id'], ['vendor_requests.id'], name=op.f('fk_vendor_request_history_request_id_vendor_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vendor_request_history'))
    )
    with op.batch_alter_table('vendor_request_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_vendor_request_history_request_id'), ['request_id'], unique=False)

    op.create_table('vendor_evidence_chunks',
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['vendor_evidence.id'], name=op.f('fk_vendor_evidence_chunks_evidence_id_vendor_evidence'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('evidence_id', 'seq', name=op.f('pk_vendor_evidence_chunks'))
    )
    # A plain ADD COLUMN, never a batch copy of an existing table. SQLite takes a
    # REFERENCES clause on a nullable column added this way, but Alembic would try
    # to add the constraint separately, so SQLite gets the statement written out.
    # No ON DELETE: SQLite does not report it for a column constraint, so the
    # schema check could not see it; the services clear these references
    # before removing a contact.
    for column, table, name in (
            ('vendor_contact_id', 'vendor_contacts', 'fk_outbox_vendor_contact_id_vendor_contacts'),
            ('vendor_request_id', 'vendor_requests', 'fk_outbox_vendor_request_id_vendor_requests')):
        if op.get_bind().dialect.name == 'sqlite':
            op.execute(f'ALTER TABLE outbox ADD COLUMN {column} INTEGER '
                       f'CONSTRAINT {name} REFERENCES {table} (id)')
        else:
            op.add_column('outbox', sa.Column(column, sa.Integer(), nullable=True))
            op.create_foreign_key(op.f(name), 'outbox', table, [column], ['id'])
    op.create_index(op.f('ix_outbox_vendor_contact_id'), 'outbox', ['vendor_contact_id'], unique=False)
    op.create_index(op.f('ix_outbox_vendor_request_id'), 'outbox', ['vendor_request_id'], unique=False)



def downgrade():
    op.drop_index(op.f('ix_outbox_vendor_request_id'), table_name='outbox')
    op.drop_index(op.f('ix_outbox_vendor_contact_id'), table_name='outbox')
    # Dropping a column with a foreign key needs SQLite's table copy; the outbox
    # is referenced by nothing, so the copy is safe here.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('vendor_request_id')
        batch_op.drop_column('vendor_contact_id')

    op.drop_table('vendor_evidence_chunks')
    with op.batch_alter_table('vendor_request_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_request_history_request_id'))

    op.drop_table('vendor_request_history')
    with op.batch_alter_table('vendor_links', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_links_request_id'))

    op.drop_table('vendor_links')
    with op.batch_alter_table('vendor_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_evidence_submission_id'))
        batch_op.drop_index(batch_op.f('ix_vendor_evidence_request_id'))

    op.drop_table('vendor_evidence')
    with op.batch_alter_table('vendor_attestations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_attestations_submission_id'))
        batch_op.drop_index(batch_op.f('ix_vendor_attestations_request_id'))

    op.drop_table('vendor_attestations')
    with op.batch_alter_table('vendor_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_vendor_requests_vendor_status')
        batch_op.drop_index('ix_vendor_requests_status_due')
        batch_op.drop_index(batch_op.f('ix_vendor_requests_next_reminder_at'))
        batch_op.drop_index(batch_op.f('ix_vendor_requests_evidence_expires_on'))

    op.drop_table('vendor_requests')
    op.drop_table('obligation_vendor_scopes')
    with op.batch_alter_table('vendor_contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendor_contacts_vendor_id'))

    op.drop_table('vendor_contacts')
    with op.batch_alter_table('vendors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_vendors_team_id'))
        batch_op.drop_index(batch_op.f('ix_vendors_status'))
        batch_op.drop_index(batch_op.f('ix_vendors_owner_id'))

    op.drop_table('vendors')
