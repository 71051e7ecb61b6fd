"""payments: invoices and credit notes (payments_documents, frozen) and their gapless number
counters per series and year (payments_document_counters)

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-26 15:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payments_document_counters",
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("series", "year", name=op.f("pk_payments_document_counters")),
    )
    op.create_table(
        "payments_documents",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("series", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=False),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_reference", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("customer_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("net", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("vat", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("total", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("credits_id", sa.String(length=36), nullable=True),
        sa.Column("closes", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["credits_id"],
            ["payments_documents.id"],
            name=op.f("fk_payments_documents_credits_id_payments_documents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments_documents")),
        sa.UniqueConstraint("number", name=op.f("uq_payments_documents_number")),
        sa.UniqueConstraint(
            "series", "year", "sequence", name=op.f("uq_payments_documents_series_year_sequence")
        ),
    )
    with op.batch_alter_table("payments_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_payments_documents_kind"), ["kind"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_payments_documents_issue_date"), ["issue_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payments_documents_order_id"), ["order_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payments_documents_credits_id"), ["credits_id"], unique=False
        )


def downgrade():
    op.drop_table("payments_documents")
    op.drop_table("payments_document_counters")
