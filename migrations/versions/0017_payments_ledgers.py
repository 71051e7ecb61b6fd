"""payments: a ledger per order (payments_ledgers) and its append-only entries
(payments_entries)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-10 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payments_ledgers",
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_reference", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("order_id", name=op.f("pk_payments_ledgers")),
    )
    with op.batch_alter_table("payments_ledgers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_ledgers_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "payments_entries",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("account", sa.String(length=10), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reverses", sa.String(length=36), nullable=True),
        sa.Column("line_id", sa.String(length=36), nullable=True),
        sa.Column("line_sequence", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payments_ledgers.order_id"],
            name=op.f("fk_payments_entries_order_id_payments_ledgers"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses"],
            ["payments_entries.id"],
            name=op.f("fk_payments_entries_reverses_payments_entries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_entries")),
        sa.UniqueConstraint("reverses", name=op.f("uq_payments_entries_reverses")),
    )
    with op.batch_alter_table("payments_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_entries_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payments_entries_order_id"), ["order_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("payments_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_entries_order_id"))
        batch_op.drop_index(batch_op.f("ix_payments_entries_line_id"))
    op.drop_table("payments_entries")
    with op.batch_alter_table("payments_ledgers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_ledgers_customer_id"))
    op.drop_table("payments_ledgers")
