"""payments: the late-fee decision per order line (payments_late_fees)

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 15:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payments_late_fees",
        sa.Column("line_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("line_reference", sa.String(length=40), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("late_minutes", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("waived", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("entry_id", sa.String(length=36), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_payments_late_fees")),
    )
    with op.batch_alter_table("payments_late_fees", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_late_fees_order_id"), ["order_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("payments_late_fees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_late_fees_order_id"))
    op.drop_table("payments_late_fees")
