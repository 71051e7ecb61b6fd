"""details typed at booking: a known e-mail's booking and what was typed differently

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    # Existing bookings: the e-mail was not known to have matched (False) and nothing typed is
    # kept (NULL) — before this, what was typed with a known e-mail was dropped.
    with op.batch_alter_table('booking_reservations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_known', sa.Boolean(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('typed_details', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('booking_reservations', schema=None) as batch_op:
        batch_op.drop_column('typed_details')
        batch_op.drop_column('customer_known')
