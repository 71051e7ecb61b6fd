"""outbox hardening

Partial indexes for the claim, the dead list and the purge; a flag on messages of event types
a worker does not know.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 05:30:01.657170

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

PENDING = 'processed_at IS NULL AND dead_at IS NULL'
DEAD = 'dead_at IS NOT NULL'
PROCESSED = 'processed_at IS NOT NULL'


def _where(predicate):
    return {'postgresql_where': sa.text(predicate), 'sqlite_where': sa.text(predicate)}


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unknown_type_at', sa.DateTime(timezone=True), nullable=True))
        # The old index covered every row, processed ones included; the new ones cover only
        # the rows each query asks about.
        batch_op.drop_index('ix_outbox_messages_pending')
        batch_op.create_index('ix_outbox_messages_pending', ['occurred_at', 'id'], unique=False, **_where(PENDING))
        batch_op.create_index('ix_outbox_messages_dead', ['dead_at'], unique=False, **_where(DEAD))
        batch_op.create_index('ix_outbox_messages_processed', ['processed_at'], unique=False, **_where(PROCESSED))


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_messages_processed')
        batch_op.drop_index('ix_outbox_messages_dead')
        batch_op.drop_index('ix_outbox_messages_pending')
        batch_op.create_index('ix_outbox_messages_pending', ['processed_at', 'dead_at', 'available_at'], unique=False)
        batch_op.drop_column('unknown_type_at')
