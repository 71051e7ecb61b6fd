"""booking orders: one or more reservation lines under one reference, hold and manage link

Every existing reservation becomes a one-line order with the reservation's own reference and
manage token (the order takes the reservation's ID, so the data migration is two statements
that run the same on SQLite and PostgreSQL). The manage token moves to the order: lines of one
order share it, so it is no longer unique per reservation.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "booking_orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("reference", sa.String(length=16), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("manage_token_hash", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=10), server_default="ONLINE", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_orders")),
        sa.UniqueConstraint("reference", name=op.f("uq_booking_orders_reference")),
        sa.UniqueConstraint("manage_token_hash", name=op.f("uq_booking_orders_manage_token_hash")),
    )
    op.create_index("ix_booking_orders_customer_id", "booking_orders", ["customer_id"])
    with op.batch_alter_table("booking_reservations") as batch:
        batch.add_column(sa.Column("order_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("line_no", sa.Integer(), server_default="1", nullable=False))
        batch.add_column(sa.Column("kit_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("kit_quantity", sa.Integer(), nullable=True))
        batch.drop_constraint("uq_booking_reservations_manage_token_hash", type_="unique")

    r = sa.table(
        "booking_reservations",
        sa.column("id"),
        sa.column("reference"),
        sa.column("customer_id"),
        sa.column("manage_token_hash"),
        sa.column("channel"),
        sa.column("created_at"),
        sa.column("order_id"),
    )
    o = sa.table(
        "booking_orders",
        sa.column("id"),
        sa.column("reference"),
        sa.column("customer_id"),
        sa.column("manage_token_hash"),
        sa.column("channel"),
        sa.column("created_at"),
    )
    bind = op.get_bind()
    columns = ["id", "reference", "customer_id", "manage_token_hash", "channel", "created_at"]
    bind.execute(
        sa.insert(o).from_select(columns, sa.select(*(r.c[name] for name in columns)))
    )
    bind.execute(sa.update(r).values(order_id=r.c.id))

    with op.batch_alter_table("booking_reservations") as batch:
        batch.alter_column("order_id", existing_type=sa.String(length=36), nullable=False)
        batch.create_index("ix_booking_reservations_order_id", ["order_id"])
        batch.create_index("ix_booking_reservations_manage_token_hash", ["manage_token_hash"])


def downgrade():
    # Only one-line orders can go back (a reservation had its own manage token).
    bind = op.get_bind()
    several = bind.execute(
        sa.text("SELECT count(*) FROM booking_reservations WHERE line_no > 1")
    ).scalar()
    if several:
        raise RuntimeError("Orders with several lines exist: they cannot be downgraded.")
    with op.batch_alter_table("booking_reservations") as batch:
        batch.drop_index("ix_booking_reservations_manage_token_hash")
        batch.drop_index("ix_booking_reservations_order_id")
        batch.drop_column("kit_quantity")
        batch.drop_column("kit_id")
        batch.drop_column("line_no")
        batch.drop_column("order_id")
        batch.create_unique_constraint(
            "uq_booking_reservations_manage_token_hash", ["manage_token_hash"]
        )
    op.drop_index("ix_booking_orders_customer_id", "booking_orders")
    op.drop_table("booking_orders")
