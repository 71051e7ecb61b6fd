"""notifications: every e-mail sent or tried (to, subject, template, order, message-id,
status, error, the rendered parts), one row per notification key

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-26 17:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notifications_messages",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("template", sa.String(length=60), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("order_id", sa.String(length=36), nullable=True),
        sa.Column("order_reference", sa.String(length=40), nullable=False),
        sa.Column("message_id", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_notifications_messages_key")),
    )
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notifications_messages_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_notifications_messages_order_id"), ["order_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notifications_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_messages_order_id"))
        batch_op.drop_index(batch_op.f("ix_notifications_messages_created_at"))
    op.drop_table("notifications_messages")
