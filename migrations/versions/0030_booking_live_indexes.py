"""booking: partial indexes on live reservations (by type and end; by end) and on flagged
lines, so availability, the timeline and the dashboard read what is live from the window on,
not the whole booking history

Revision ID: 0030
Revises: 0029
Create Date: 2026-11-27 01:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

# Kept here as text (a migration does not import the app): the same as
# rental/booking/infrastructure/entities.py LIVE_PREDICATE and ATTENTION_PREDICATE.
_LIVE = "status IN ('PENDING', 'CONFIRMED', 'ON_HIRE')"
_ATTENTION = {"postgresql": "needs_attention IS true", "sqlite": "needs_attention IS 1"}


def _where(predicate):
    if isinstance(predicate, dict):
        return {f"{d}_where": sa.text(p) for d, p in predicate.items()}
    return {"postgresql_where": sa.text(predicate), "sqlite_where": sa.text(predicate)}


def upgrade():
    with op.batch_alter_table("booking_reservations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_booking_reservations_live_type_end",
            ["equipment_type_id", "end_at", "start_at"],
            unique=False,
            **_where(_LIVE),
        )
        batch_op.create_index(
            "ix_booking_reservations_live_end",
            ["end_at", "start_at"],
            unique=False,
            **_where(_LIVE),
        )
        batch_op.create_index(
            "ix_booking_reservations_attention",
            ["start_at"],
            unique=False,
            **_where(_ATTENTION),
        )


def downgrade():
    with op.batch_alter_table("booking_reservations", schema=None) as batch_op:
        batch_op.drop_index("ix_booking_reservations_attention")
        batch_op.drop_index("ix_booking_reservations_live_end")
        batch_op.drop_index("ix_booking_reservations_live_type_end")
