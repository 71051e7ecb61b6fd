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
    commands: Callable[[], ReservationCommands],
    moment: Callable[[datetime], str],
    forget_returns: Callable[[list[str]], object],
) -> None:
    """`commands()` builds the reservation commands on the current session; `moment` writes a
    time the way staff read it (the business time zone); `forget_returns(reservation_ids)`
    blanks the damage notes Inventory kept when those bookings' items came back."""

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

    # The name is the one it had when it forgot only the typed details (it keys the inbox).
    @subscribe(CustomerAnonymised, name="booking.forget_typed_details")
    def forget_personal_text(event: CustomerAnonymised) -> None:
        """What was typed at booking, cancellation reasons, flags and the reasons in the
        published ReservationCancelled messages are personal data too: they go with the
        profile's — and Inventory's damage notes on the returned items of these bookings
        (Inventory does not know whose bookings they are), in the same transaction."""
        with unit_of_work():
            reservation_ids = commands().forget_personal_text_of_customer(event.customer_id)
            forget_returns(reservation_ids)
