"""The record of every e-mail the shop sent or tried to send (`notifications_messages`).

One row per notification *key* (e.g. "order_confirmed:<order id>"): the key is what makes a
notification go out once even when Booking publishes one event per order line, and when an
event is redelivered. A failed attempt leaves the row FAILED with the error; the next
attempt (the outbox retries the handler) reuses it and turns it SENT."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import case, delete, select, update

from rental.notifications.domain.notification import FAILED, SENT, Outgoing
from rental.notifications.infrastructure.entities import MailMessageEntity
from rental.shared.db import db, independent_transaction
from rental.shared.privacy import ANONYMISED_TEXT

# What an anonymised customer's e-mail says in the log instead of what was sent.
REMOVED_BODY = "This e-mail was removed when the customer was anonymised."


def already_sent(key: str) -> bool:
    status = db.session.scalar(select(MailMessageEntity.status).where(MailMessageEntity.key == key))
    return status == SENT


def sent_at(key: str) -> datetime | None:
    """When notification `key` went out; None when it has not (yet)."""
    row = db.session.execute(
        select(MailMessageEntity.status, MailMessageEntity.sent_at).where(
            MailMessageEntity.key == key
        )
    ).first()
    return row.sent_at if row is not None and row.status == SENT else None


def failed_attempts(key: str) -> int:
    """How often notification `key` was tried and failed (0 when sent or never tried)."""
    attempts = db.session.scalar(
        select(MailMessageEntity.attempts).where(
            MailMessageEntity.key == key, MailMessageEntity.status == FAILED
        )
    )
    return attempts or 0


def claim(mail: Outgoing, now: datetime) -> MailMessageEntity:
    """The notification's row, written (and locked) in the handler's transaction BEFORE the
    mail goes out: a second worker sending the same notification at the same moment (another
    line's event of the same order) waits on it, then fails on the key and, retried, finds the
    mail SENT (a row already SENT is returned as it is: nothing to send)."""
    session = db.session()
    row = session.scalar(
        select(MailMessageEntity).where(MailMessageEntity.key == mail.key).with_for_update()
    )
    if row is not None and row.status == SENT:
        return row
    if row is None:
        row = MailMessageEntity(
            id=str(uuid.uuid4()), key=mail.key, created_at=now, attempts=0, status=FAILED
        )
        session.add(row)
    row.template, row.to_address, row.subject = mail.template, mail.to, mail.subject
    row.order_id, row.order_reference = mail.order_id, mail.order_reference
    row.customer_id = mail.customer_id
    row.message_id, row.html, row.text = mail.message_id, mail.html, mail.text
    row.attempts = (row.attempts or 0) + 1
    session.flush()
    return row


def mark_sent(row: MailMessageEntity, now: datetime) -> None:
    row.status, row.error, row.sent_at = SENT, None, now
    db.session.flush()


def record_failed(mail: Outgoing, error: str, now: datetime) -> None:
    """In a transaction of its own, after the handler's has rolled back (its failure must
    stay recorded while the outbox retries): see application/senders.py: _send."""
    table = MailMessageEntity.__table__
    with independent_transaction() as conn:
        row = conn.execute(
            select(table.c.id, table.c.attempts, table.c.status).where(table.c.key == mail.key)
        ).first()
        values = {
            "template": mail.template,
            "to_address": mail.to,
            "subject": mail.subject,
            "order_id": mail.order_id,
            "order_reference": mail.order_reference,
            "customer_id": mail.customer_id,
            "message_id": mail.message_id,
            "html": mail.html,
            "text": mail.text,
            "status": FAILED,
            "error": error[:4000],
        }
        if row is None:
            conn.execute(
                table.insert().values(
                    id=str(uuid.uuid4()), key=mail.key, created_at=now, attempts=1, **values
                )
            )
        elif row.status != SENT:
            conn.execute(
                table.update()
                .where(table.c.id == row.id)
                .values(attempts=row.attempts + 1, **values)
            )


def recent(limit: int = 100, offset: int = 0) -> list[MailMessageEntity]:
    return list(
        db.session.scalars(
            select(MailMessageEntity)
            .order_by(MailMessageEntity.created_at.desc(), MailMessageEntity.id)
            .offset(offset)
            .limit(limit)
        )
    )


def get(message_id: str) -> MailMessageEntity | None:
    return db.session.get(MailMessageEntity, message_id)


def for_order(order_id: str) -> list[MailMessageEntity]:
    return list(
        db.session.scalars(
            select(MailMessageEntity)
            .where(MailMessageEntity.order_id == order_id)
            .order_by(MailMessageEntity.created_at)
        )
    )


def for_customer(customer_id: str, limit: int = 50) -> list[MailMessageEntity]:
    return list(
        db.session.scalars(
            select(MailMessageEntity)
            .where(MailMessageEntity.customer_id == customer_id)
            .order_by(MailMessageEntity.created_at.desc(), MailMessageEntity.id)
            .limit(limit)
        )
    )


def forget_customer(customer_id: str) -> int:
    """The customer was anonymised: their e-mails' recipient, subject, both parts and any
    error (an SMTP error may quote the address) become ANONYMISED_TEXT / REMOVED_BODY; the
    key, template, order, status and dates stay, so the log still shows that a mail went
    out and when. In the caller's transaction; a second time changes nothing."""
    m = MailMessageEntity
    result = db.session.execute(
        update(m)
        .where(m.customer_id == customer_id, m.text != REMOVED_BODY)
        .values(
            to_address=ANONYMISED_TEXT,
            subject=ANONYMISED_TEXT,
            html=f"<p>{REMOVED_BODY}</p>",
            text=REMOVED_BODY,
            error=case((m.error.is_(None), None), else_=ANONYMISED_TEXT),
        ),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def delete_for_customer(customer_id: str) -> int:
    """The customer was deleted: their e-mails' records go with them."""
    m = MailMessageEntity
    result = db.session.execute(
        delete(m).where(m.customer_id == customer_id),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0
