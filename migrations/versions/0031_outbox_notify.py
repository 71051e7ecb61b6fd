"""outbox: on PostgreSQL every statement that inserts into outbox_messages notifies the
'rentkit_outbox' channel (a statement-level trigger), so a LISTENing worker wakes at the commit

The notification is part of the inserting transaction: PostgreSQL delivers it at the commit
(one per transaction, identical notifications are folded) and drops it on a rollback. A trigger
rather than a pg_notify() call in outbox.record(): no extra statement per business
transaction. SQLite has no NOTIFY; its worker polls. Nothing to do there.

Revision ID: 0031
Revises: 0030
Create Date: 2026-11-27 01:00:00.000000

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        """
        CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('rentkit_outbox', '');
            RETURN NULL;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER outbox_messages_notify AFTER INSERT ON outbox_messages "
        "FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify()"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS outbox_messages_notify ON outbox_messages")
    op.execute("DROP FUNCTION IF EXISTS outbox_notify()")
