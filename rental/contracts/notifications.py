"""Integration events of the notifications module (published and consumed by it: the web
request only records what was asked for; the worker sends the e-mail). Like every contract
they carry IDs, never an e-mail address, so the outbox holds no personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.shared.events import Event, register_event


@register_event
@dataclass(frozen=True, kw_only=True)
class BookingLinksRequested(Event):
    """A customer asked on "Find my booking" for the links to their open orders. Only recorded
    for an address that belongs to a customer; `request_id` keys the one e-mail it gives."""

    request_id: str
    customer_id: str
    requested_at: datetime
