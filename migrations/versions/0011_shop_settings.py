"""shop settings: name, address, phone, e-mail, opening hours, pick-up rules, rental terms

Revision ID: 0011
Revises: 0010_type_images
Create Date: 2026-11-28 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010_type_images"
branch_labels = None
depends_on = None


def upgrade():
    # One row (id 1) once staff save the settings; until then the shop shows nothing and
    # restricts no booking times.
    op.create_table(
        "shop_settings",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("phone", sa.String(length=30), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("opening_hours", sa.JSON(), nullable=False),
        sa.Column("pickup_rules", sa.Text(), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shop_settings")),
    )


def downgrade():
    op.drop_table("shop_settings")
