"""NotificationsFacade: the only way other modules (and the web layer) reach Notifications —
the sent-mail log (for an order, a customer, the newest first), the reminder settings, and
the "Find my booking" request.

Wiring and transactions only; the senders are the worker's (application/event_handlers.py,
application/jobs.py), the rules live in `application/` and `domain/`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError

from rental.customers import CustomerFacade
from rental.notifications.application.commands import BookingLinkCommands, RequestBookingLinks
from rental.notifications.application.queries import MailQueries, SentMail
from rental.notifications.domain.settings import NotificationSettings
from rental.notifications.infrastructure.settings import write_settings
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.time_range import utcnow


class NotificationsFacade:
    def __init__(self) -> None:
        self._queries = MailQueries()

    # --- the sent-mail log -----------------------------------------------------------------

    def recent_mail(self, limit: int = 100, offset: int = 0) -> list[SentMail]:
        return self._queries.recent(limit, offset=offset)

    def get_mail(self, message_id: str) -> SentMail | None:
        return self._queries.get(message_id)

    def mail_for_order(self, order_id: str) -> list[SentMail]:
        return self._queries.for_order(order_id)

    def mail_for_customer(self, customer_id: str, limit: int = 50) -> list[SentMail]:
        return self._queries.for_customer(customer_id, limit=limit)

    # --- settings --------------------------------------------------------------------------

    def get_settings(self) -> NotificationSettings:
        return self._queries.settings()

    def save_settings(self, settings: NotificationSettings, now: datetime) -> None:
        for attempt in (1, 2):
            try:
                with unit_of_work() as session:
                    write_settings(session, settings, now)
                return
            except IntegrityError:
                # Two first saves at once: the other one inserted the row; update it.
                if attempt == 2:
                    raise

    # --- "Find my booking" -----------------------------------------------------------------

    def request_booking_links(self, email: str) -> None:
        """Record the request for the customer `email` belongs to in one transaction; the
        worker sends the e-mail."""
        with unit_of_work():
            BookingLinkCommands(CustomerFacade(), outbox.record, utcnow).request_booking_links(
                RequestBookingLinks(email)
            )
