"""bookings on hire: a confirmed booking with equipment out becomes ON_HIRE

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ON_HIRE = "ON_HIRE"


def upgrade():
    # Data only (the status column is a String(12), no constraint): a CONFIRMED booking whose
    # equipment is out with the customer (an allocation PICKED_UP) is on hire. A one-off
    # migration may read Inventory's table; the running code never joins the two modules.
    # The version is not bumped: no event is recorded for this, and Inventory's record of
    # the booking stays as it is (CONFIRMED there means "live, to be served").
    r = sa.table("booking_reservations", sa.column("id"), sa.column("status"))
    a = sa.table("inventory_allocations", sa.column("reservation_id"), sa.column("status"))
    out = sa.select(a.c.reservation_id).where(a.c.status == "PICKED_UP")
    op.get_bind().execute(
        sa.update(r).where(r.c.status == "CONFIRMED", r.c.id.in_(out)).values(status=ON_HIRE)
    )


def downgrade():
    # Before 0010 a booking on hire was CONFIRMED (its items PICKED_UP).
    r = sa.table("booking_reservations", sa.column("status"))
    op.get_bind().execute(sa.update(r).where(r.c.status == ON_HIRE).values(status="CONFIRMED"))
