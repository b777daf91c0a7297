"""Deadline expressions: derived events, earliest/latest rules, rolling.

Revision ID: 0015
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN only: a batch (table copy) of events or obligations
    # would cascade deletes on SQLite.
    if op.get_bind().dialect.name == 'sqlite':
        # SQLite adds a column with its REFERENCES clause in place; Alembic
        # would emit a separate ALTER of constraints, which SQLite lacks.
        op.execute('ALTER TABLE events ADD COLUMN derived_from_event_id INTEGER '
                   'CONSTRAINT fk_events_derived_from_event_id_events REFERENCES events (id)')
    else:
        op.add_column('events', sa.Column('derived_from_event_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f('fk_events_derived_from_event_id_events'), 'events', 'events',
                              ['derived_from_event_id'], ['id'])
    op.add_column('events', sa.Column('derived_offset', sa.Integer(), nullable=True))
    op.add_column('events', sa.Column('derived_unit', sa.String(length=16), nullable=True))
    op.add_column('events', sa.Column('derived_calendar', sa.String(length=10), nullable=True))
    op.create_index(op.f('ix_events_derived_from_event_id'), 'events', ['derived_from_event_id'], unique=False)
    op.add_column('obligations', sa.Column('rule_roll', sa.String(length=10), nullable=False,
                                           server_default='none'))
    op.add_column('obligations', sa.Column('rule_combination', sa.String(length=10), nullable=True))
    op.add_column('obligations', sa.Column('rule_parts', sa.JSON(), nullable=True))


def downgrade():
    op.drop_column('obligations', 'rule_parts')
    op.drop_column('obligations', 'rule_combination')
    op.drop_column('obligations', 'rule_roll')
    op.drop_index(op.f('ix_events_derived_from_event_id'), table_name='events')
    op.drop_column('events', 'derived_calendar')
    op.drop_column('events', 'derived_unit')
    op.drop_column('events', 'derived_offset')
    if op.get_bind().dialect.name != 'sqlite':
        op.drop_constraint(op.f('fk_events_derived_from_event_id_events'), 'events', type_='foreignkey')
    op.drop_column('events', 'derived_from_event_id')
