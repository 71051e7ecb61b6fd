"""crm: projections of Booking's and Payments' events — rental history per booking line,
loyalty, lifetime value — and communication preferences with their consent log

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-26 16:30:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "crm_rental_history",
        sa.Column("line_id", sa.String(length=36), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("order_reference", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=False),
        sa.Column("equipment_type_id", sa.String(length=36), nullable=False),
        sa.Column("equipment_name", sa.String(length=200), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("line_id", name=op.f("pk_crm_rental_history")),
    )
    with op.batch_alter_table("crm_rental_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_rental_history_customer_id"), ["customer_id"], unique=False
        )
    op.create_table(
        "crm_loyalty",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=10), nullable=False),
        sa.Column("last_qualifying_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tier_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_crm_loyalty")),
    )
    op.create_table(
        "crm_clv",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=4), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_crm_clv")),
    )
    with op.batch_alter_table("crm_clv", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_crm_clv_amount"), ["amount"], unique=False)
    op.create_table(
        "crm_preferences",
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("marketing_email", sa.Boolean(), nullable=False),
        sa.Column("sms", sa.Boolean(), nullable=False),
        sa.Column("newsletter", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_crm_preferences")),
    )
    op.create_table(
        "crm_consent_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=20), nullable=False),
        sa.Column("value", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=260), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_crm_consent_log")),
    )
    with op.batch_alter_table("crm_consent_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_crm_consent_log_customer_id"), ["customer_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("crm_consent_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_consent_log_customer_id"))
    op.drop_table("crm_consent_log")
    op.drop_table("crm_preferences")
    with op.batch_alter_table("crm_clv", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_clv_amount"))
    op.drop_table("crm_clv")
    op.drop_table("crm_loyalty")
    with op.batch_alter_table("crm_rental_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_crm_rental_history_customer_id"))
    op.drop_table("crm_rental_history")
