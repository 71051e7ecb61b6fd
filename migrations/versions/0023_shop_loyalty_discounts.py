"""shop: loyalty discounts (percent off the rental for Silver and Gold customers)

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-26 16:40:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # NULL: the defaults (Silver 5 %, Gold 10 %), also for a row saved before this revision.
    with op.batch_alter_table("shop_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("loyalty_silver_percent", sa.Numeric(5, 2), nullable=True))
        batch_op.add_column(sa.Column("loyalty_gold_percent", sa.Numeric(5, 2), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("shop_settings", schema=None) as batch_op:
        batch_op.drop_column("loyalty_gold_percent")
        batch_op.drop_column("loyalty_silver_percent")
