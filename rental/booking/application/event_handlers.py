"""Every subscriber of the Booking module: Inventory's news about a booking's items, and
Customers' news that a customer was anonymised, decoded into their contract classes by the
outbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rental.booking.application.commands import ReservationCommands
from rental.contracts.customers import CustomerAnonymised
from rental.contracts.inventory import AllocationFailed, ItemsAllocated, ReturnOverdue
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe


def subscribe_all(
    commands: Callable[[], ReservationCommands], moment: Callable[[datetime], str]
) -> None:
    """`commands()` builds the reservation commands on the current session; `moment` writes a
    time the way staff read it (the business time zone)."""

    @subscribe(AllocationFailed, name="booking.flag_reservation")
    def flag_short(event: AllocationFailed) -> None:
        with unit_of_work():  # joins the worker's transaction: commits with the inbox row
            commands().flag(event.reservation_id, event.reason, "allocation")

    @subscribe(ItemsAllocated, name="booking.clear_allocation_flag")
    def clear_short(event: ItemsAllocated) -> None:
        """Served after all (re-planned, retried, an item came back): that flag goes."""
        with unit_of_work():
            commands().clear_flag(event.reservation_id, "allocation")

    @subscribe(ReturnOverdue, name="booking.flag_overdue")
    def flag_overdue(event: ReturnOverdue) -> None:
        with unit_of_work():
            commands().flag(
                event.reservation_id,
                f"{event.serial_number} was not returned; it was due back "
                f"{moment(event.due_at)}. Call the customer, then take it back here.",
                "overdue",
            )

    @subscribe(CustomerAnonymised, name="booking.forget_typed_details")
    def forget_typed_details(event: CustomerAnonymised) -> None:
        """What was typed at booking is personal data too: it goes with the profile's."""
        with unit_of_work():
            commands().forget_typed_details_of_customer(event.customer_id)
