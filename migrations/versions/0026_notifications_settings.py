"""notifications: the shop's notification settings (one row) — the pick-up reminder on/off
and how many hours before, the "return due today" mail on/off

Revision ID: 0026
Revises: 0025
Create Date: 2026-11-26 18:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notifications_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminders_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminder_hours", sa.Integer(), nullable=False),
        sa.Column("return_due_enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_settings")),
    )


def downgrade():
    op.drop_table("notifications_settings")
