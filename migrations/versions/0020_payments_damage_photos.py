"""payments: photos of damage kept from a deposit (payments_damage_photos)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-12 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "payments_damage_photos",
        sa.Column("entry_id", sa.String(length=36), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=False),
        sa.Column("image_key", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entry_id"],
            ["payments_entries.id"],
            name=op.f("fk_payments_damage_photos_entry_id_payments_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["payments_ledgers.order_id"],
            name=op.f("fk_payments_damage_photos_order_id_payments_ledgers"),
        ),
        sa.PrimaryKeyConstraint("entry_id", name=op.f("pk_payments_damage_photos")),
    )
    with op.batch_alter_table("payments_damage_photos", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payments_damage_photos_image_key"), ["image_key"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_payments_damage_photos_order_id"), ["order_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("payments_damage_photos", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payments_damage_photos_order_id"))
        batch_op.drop_index(batch_op.f("ix_payments_damage_photos_image_key"))
    op.drop_table("payments_damage_photos")
