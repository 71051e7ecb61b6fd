"""Every subscriber of the CRM module: Booking's reservation events and Payments' ledger
events, each applied in the worker's transaction with its inbox row (a redelivered event
changes nothing).

The handlers take the raw outbox message and decode it themselves, so the projections'
clock is the message's `occurred_at` (when the event happened), not the moment a worker
got to it: the rows are then a function of the messages alone, and `crm rebuild`, which
replays the same messages through the same code, gives exactly the same rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
)
from rental.contracts.customers import CustomerAnonymised, CustomerDeleted
from rental.contracts.payments import EntryReversed, PaymentReceived, RefundIssued
from rental.crm.application.projections import Projections
from rental.shared.db import unit_of_work
from rental.shared.events import Event, Message, decode, subscribe

# The inbox name of each subscription (never renamed: it keys the inbox rows) → its event.
SUBSCRIPTIONS: dict[str, type[Event]] = {
    "crm.history_confirmed": ReservationConfirmed,
    "crm.history_changed": ReservationChanged,
    "crm.history_completed": ReservationCompleted,
    "crm.history_cancelled": ReservationCancelled,
    "crm.clv_payment": PaymentReceived,
    "crm.clv_refund": RefundIssued,
    "crm.clv_reversed": EntryReversed,
}

ProjectionsAt = Callable[[datetime], Projections]


def subscribe_all(projections: ProjectionsAt) -> None:
    """`projections(at)` builds the projections on the current session with a clock reading
    `at` (the facade wires it)."""

    def handle(message: Message) -> None:
        with unit_of_work():
            projections(message.occurred_at).apply(decode(message))

    for name, event in SUBSCRIPTIONS.items():
        subscribe(event.event_type, name=name)(handle)


def subscribe_anonymised(forget: Callable[[str], None]) -> None:
    """Customers anonymised someone: `forget(customer_id)` (application/privacy.py). Not a
    projection: `crm rebuild` does not replay it (it keeps preferences and consent log)."""

    @subscribe(CustomerAnonymised, name="crm.forget_on_anonymised")
    def anonymised(event: CustomerAnonymised) -> None:
        forget(event.customer_id)


def subscribe_deleted(drop: Callable[[str], object]) -> None:
    """Customers deleted someone (only possible without any order or payment, so the
    projections hold nothing the rebuild could bring back): `drop(customer_id)`."""

    @subscribe(CustomerDeleted, name="crm.drop_on_deleted")
    def deleted(event: CustomerDeleted) -> None:
        drop(event.customer_id)
