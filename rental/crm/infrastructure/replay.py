"""The outbox messages CRM has applied, read back for `crm rebuild`.

Which messages: those with an inbox row of one of CRM's subscriptions — exactly the ones
the worker applied to CRM (a message still retrying for another module's handler is one CRM
already has; a dead or pending one CRM has not, and the worker will still deliver it after
the rebuild). Processed messages and their inbox rows are kept `OUTBOX_RETENTION_DAYS`
(400 by default, longer than the loyalty window). In the worker's order: occurred_at, id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from rental.shared.events import Message
from rental.shared.outbox import (
    InboxEntity,
    OutboxMessageEntity,
    UndecodableMessage,
    decode_message,
)

BATCH = 500


def applied_messages(
    session: Session, handlers: Iterable[str]
) -> Iterator[Message | UndecodableMessage]:
    """Read in pages (by occurred_at, id) so a long history is never all in memory."""
    m, inbox = OutboxMessageEntity, InboxEntity
    query = (
        select(m.id, m.event_type, m.schema_version, cast(m.payload, Text), m.occurred_at)
        .join(inbox, inbox.message_id == m.id)
        .where(inbox.handler.in_(list(handlers)))
        .order_by(m.occurred_at, m.id)
        .limit(BATCH)
    )
    after = None
    while True:
        page = query
        if after is not None:
            page = page.where(
                (m.occurred_at > after[0]) | ((m.occurred_at == after[0]) & (m.id > after[1]))
            )
        rows = session.execute(page).all()
        for row in rows:
            try:
                yield decode_message(*row)
            except UndecodableMessage as exc:
                yield exc
        if len(rows) < BATCH:
            return
        after = (rows[-1].occurred_at, rows[-1].id)
