"""shared: the token behind the web processes' cache of reference data (catalog, rate cards,
shop settings, payment policy, fleet); every transaction that writes one of those tables
replaces it (rental.shared.reference_cache)

Revision ID: 0032
Revises: 0031
Create Date: 2026-11-27 04:20:00.000000

"""

import uuid

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_generations")),
    )
    op.bulk_insert(table, [{"name": "reference", "token": uuid.uuid4().hex}])


def downgrade():
    op.drop_table("cache_generations")
