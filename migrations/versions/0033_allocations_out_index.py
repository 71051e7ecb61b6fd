"""inventory: a partial index on the allocations of items out with a customer, so asking
whether an item is out (every availability check does, per item) reads those few rows, not
the item's whole allocation history

Revision ID: 0033
Revises: 0032
Create Date: 2026-11-27 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

OUT_PREDICATE = "status = 'PICKED_UP'"


def upgrade():
    with op.batch_alter_table("inventory_allocations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_inventory_allocations_out",
            ["item_id"],
            unique=False,
            postgresql_where=sa.text(OUT_PREDICATE),
            sqlite_where=sa.text(OUT_PREDICATE),
        )


def downgrade():
    with op.batch_alter_table("inventory_allocations", schema=None) as batch_op:
        batch_op.drop_index("ix_inventory_allocations_out")
