"""Reads of the sent-mail log and the settings, for the staff pages and the order's and the
customer's "E-mails" sections: `SentMail`, one e-mail sent or tried, as recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.notifications.domain.settings import NotificationSettings
from rental.notifications.infrastructure import messages, settings
from rental.notifications.infrastructure.entities import MailMessageEntity


@dataclass(frozen=True, slots=True)
class SentMail:
    """One e-mail sent (status SENT) or tried (FAILED, with the error), both parts as sent."""

    id: str
    key: str
    template: str
    to_address: str
    subject: str
    order_id: str | None
    customer_id: str | None
    order_reference: str
    message_id: str
    status: str
    error: str | None
    attempts: int
    html: str
    text: str
    created_at: datetime
    sent_at: datetime | None


def _sent_mail(row: MailMessageEntity) -> SentMail:
    return SentMail(
        id=row.id,
        key=row.key,
        template=row.template,
        to_address=row.to_address,
        subject=row.subject,
        order_id=row.order_id,
        customer_id=row.customer_id,
        order_reference=row.order_reference,
        message_id=row.message_id,
        status=row.status,
        error=row.error,
        attempts=row.attempts,
        html=row.html,
        text=row.text,
        created_at=row.created_at,
        sent_at=row.sent_at,
    )


class MailQueries:
    def recent(self, limit: int = 100, offset: int = 0) -> list[SentMail]:
        """Newest first."""
        return [_sent_mail(row) for row in messages.recent(limit, offset=offset)]

    def get(self, message_id: str) -> SentMail | None:
        row = messages.get(message_id)
        return _sent_mail(row) if row is not None else None

    def for_order(self, order_id: str) -> list[SentMail]:
        """Oldest first: the order's story."""
        return [_sent_mail(row) for row in messages.for_order(order_id)]

    def for_customer(self, customer_id: str, limit: int = 50) -> list[SentMail]:
        """Newest first."""
        return [_sent_mail(row) for row in messages.for_customer(customer_id, limit=limit)]

    def settings(self) -> NotificationSettings:
        return settings.get_settings()
