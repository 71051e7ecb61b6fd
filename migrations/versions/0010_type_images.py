"""type images: an uploaded photo per equipment type instead of an image path

Revision ID: 0010_type_images
Revises: 0009
Create Date: 2026-11-28 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_type_images'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # image_url held a path typed by staff (no upload existed); it cannot become an uploaded
    # photo, so it goes and those types show the letter tile until staff upload one.
    with op.batch_alter_table('catalog_equipment_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_key', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('image_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('image_height', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('image_alt', sa.String(length=200), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_catalog_equipment_types_image_key'), ['image_key'], unique=False)
        batch_op.drop_column('image_url')


def downgrade():
    with op.batch_alter_table('catalog_equipment_types', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_url', sa.String(length=300), nullable=True))
        batch_op.drop_index(batch_op.f('ix_catalog_equipment_types_image_key'))
        batch_op.drop_column('image_alt')
        batch_op.drop_column('image_height')
        batch_op.drop_column('image_width')
        batch_op.drop_column('image_key')
