"""indexes for filtered reads

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 10:32:57.963095
"""
from __future__ import annotations

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_date'))
        batch_op.create_index('ix_events_date', ['date', 'id'], unique=False)
        batch_op.create_index('ix_events_country_date', ['country', 'date'], unique=False)
        batch_op.create_index('ix_events_type_date', ['type', 'date'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_type_date')
        batch_op.drop_index('ix_events_country_date')
        batch_op.drop_index('ix_events_date')
        batch_op.create_index(batch_op.f('ix_events_date'), ['date'], unique=False)


