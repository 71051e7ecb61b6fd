"""kit rates: a kit priced at its own rates (per started hour, per day, optionally per week)
instead of the sum of its components minus a discount

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalog_kits", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("pricing", sa.String(length=10), server_default="discount", nullable=False)
        )
        batch_op.add_column(sa.Column("hourly_rate", sa.Numeric(14, 4), nullable=True))
        batch_op.add_column(sa.Column("daily_rate", sa.Numeric(14, 4), nullable=True))
        batch_op.add_column(sa.Column("weekly_rate", sa.Numeric(14, 4), nullable=True))
        batch_op.add_column(sa.Column("rate_currency", sa.String(length=3), nullable=True))


def downgrade():
    with op.batch_alter_table("catalog_kits", schema=None) as batch_op:
        batch_op.drop_column("rate_currency")
        batch_op.drop_column("weekly_rate")
        batch_op.drop_column("daily_rate")
        batch_op.drop_column("hourly_rate")
        batch_op.drop_column("pricing")
