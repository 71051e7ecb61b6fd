"""What a notification is, before any delivery: the templates (each also the first part of
the notification's key, e.g. "order_confirmed:<order id>"), the statuses of its record, and
the rendered e-mail ready to send (`Outgoing`, with its `Attachment`s)."""

from __future__ import annotations

from dataclasses import dataclass

# The templates under templates/notifications/mail/ (a .txt and an .html each).
ORDER_CONFIRMED = "order_confirmed"
ORDER_CANCELLED = "order_cancelled"
STAFF_NEW_ORDER = "staff_new_order"
ORDER_CHANGED = "order_changed"
OVERDUE_NOTICE = "overdue_notice"
STAFF_OVERDUE = "staff_overdue"
BOOKING_LINKS = "booking_links"
PICKUP_REMINDER = "pickup_reminder"
RETURN_DUE = "return_due"
PAYMENT_RECEIPT = "payment_receipt"
LOYALTY_TIER_UP = "loyalty_tier_up"
STAFF_WEBHOOK_DISABLED = "staff_webhook_disabled"

# The record of a notification: sent, or tried and failed (the next attempt reuses it).
SENT = "SENT"
FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with an e-mail (e.g. the invoice PDF); not kept in the record."""

    filename: str
    content: bytes
    mimetype: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A rendered e-mail, ready to send and to record."""

    key: str
    template: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str
    order_id: str | None = None
    order_reference: str = ""
    customer_id: str | None = None
    attachments: tuple[Attachment, ...] = ()
