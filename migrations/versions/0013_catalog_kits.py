"""catalog kits: several equipment types rented together, priced as their sum minus a discount

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_kits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("discount_percent", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "catalog_kit_components",
        sa.Column("kit_id", sa.String(length=36), nullable=False),
        sa.Column("equipment_type_id", sa.String(length=36), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["kit_id"], ["catalog_kits.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["equipment_type_id"], ["catalog_equipment_types.id"]),
        sa.PrimaryKeyConstraint("kit_id", "equipment_type_id"),
    )
    op.create_index(
        "ix_catalog_kit_components_equipment_type_id",
        "catalog_kit_components",
        ["equipment_type_id"],
    )


def downgrade():
    op.drop_index("ix_catalog_kit_components_equipment_type_id", "catalog_kit_components")
    op.drop_table("catalog_kit_components")
    op.drop_table("catalog_kits")
