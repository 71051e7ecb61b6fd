"""Every subscriber of the Payments module: Booking's reservation events and Customers' news
that a customer was anonymised, decoded into their contract classes by the outbox, each
applied in the worker's transaction (with its inbox row, so a redelivered event changes
nothing)."""

from __future__ import annotations

from collections.abc import Callable

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationConfirmed,
)
from rental.contracts.customers import CustomerAnonymised
from rental.payments.application.commands import LedgerCommands
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe


def subscribe_all(commands: Callable[[], LedgerCommands], forget: Callable[[str], object]) -> None:
    """`commands()` builds the ledger commands on the current session (the facade wires them);
    `forget(customer_id)` blanks the free text about an anonymised customer
    (application/privacy.py) on the current session."""

    @subscribe(CustomerAnonymised, name="payments.forget_personal_text")
    def anonymised(event: CustomerAnonymised) -> None:
        with unit_of_work():
            forget(event.customer_id)

    @subscribe(ReservationConfirmed, name="payments.charge_confirmed_line")
    def charge(event: ReservationConfirmed) -> None:
        with unit_of_work():
            commands().on_confirmed(event)

    @subscribe(ReservationChanged, name="payments.adjust_changed_line")
    def adjust(event: ReservationChanged) -> None:
        with unit_of_work():
            commands().on_changed(event)

    @subscribe(ReservationCancelled, name="payments.reverse_cancelled_line")
    def reverse(event: ReservationCancelled) -> None:
        with unit_of_work():
            commands().on_cancelled(event)
