"""The one command a person gives Notifications: "send me the links to my bookings" from the
"Find my booking" page (/bookings/find). The request itself sends nothing; for an address
that belongs to a customer it records BookingLinksRequested (their ID, no address) in the
caller's transaction, and the worker's handler (senders.send_booking_links) looks up the
address and the open orders when it sends. An unknown address records nothing."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rental.contracts.notifications import BookingLinksRequested
from rental.customers import CustomerFacade
from rental.shared.events import Event


@dataclass(frozen=True, slots=True)
class RequestBookingLinks:
    email: str  # normalised and valid


class BookingLinkCommands:
    def __init__(
        self,
        customers: CustomerFacade,
        record: Callable[[Event], None],
        clock: Callable[[], datetime],
    ) -> None:
        self._customers = customers
        self._record = record
        self._clock = clock

    def request_booking_links(self, command: RequestBookingLinks) -> None:
        """Record the request for the customer the address belongs to (nothing for an
        address no customer has, or an anonymised one's)."""
        customer = self._customers.find_customer_by_email(command.email)
        if customer is None or customer.anonymised_at is not None:
            return
        self._record(
            BookingLinksRequested(
                request_id=str(uuid.uuid4()), customer_id=customer.id, requested_at=self._clock()
            )
        )
