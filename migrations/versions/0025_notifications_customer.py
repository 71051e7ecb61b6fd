"""notifications: each e-mail remembers the customer it was about (the customer's page lists
them; anonymising the customer reaches them)

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-26 17:45:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_id", sa.String(length=36), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_notifications_messages_customer_id"), ["customer_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_messages_customer_id"))
        batch_op.drop_column("customer_id")
