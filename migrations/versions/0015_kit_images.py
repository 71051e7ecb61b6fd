"""kit images: an uploaded photo per kit, as equipment types have (0010)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalog_kits", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_key", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("image_width", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("image_height", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("image_alt", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_catalog_kits_image_key"), ["image_key"], unique=False
        )


def downgrade():
    with op.batch_alter_table("catalog_kits", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_kits_image_key"))
        batch_op.drop_column("image_alt")
        batch_op.drop_column("image_height")
        batch_op.drop_column("image_width")
        batch_op.drop_column("image_key")
