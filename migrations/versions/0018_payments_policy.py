"""payments: the shop's payment policy (payments_policy, one row)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-11 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payments_policy",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rental_due", sa.String(length=20), nullable=False),
        sa.Column("invoice_days", sa.Integer(), nullable=False),
        sa.Column("deposit", sa.String(length=20), nullable=False),
        sa.Column("vat_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("prices_include_vat", sa.Boolean(), nullable=False),
        sa.Column("vat_id", sa.String(length=40), nullable=False),
        sa.Column("invoice_on_confirm", sa.Boolean(), nullable=False),
        sa.Column("cancellation_free_hours", sa.Integer(), nullable=False),
        sa.Column("cancellation_fee", sa.String(length=10), nullable=False),
        sa.Column("cancellation_fee_value", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("overdue_grace_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_policy")),
    )


def downgrade():
    op.drop_table("payments_policy")
