"""Every subscriber of the CRM module: Booking's reservation events and Payments' ledger
events, decoded into their contract classes by the outbox, each applied in the worker's
transaction with its inbox row (a redelivered event changes nothing)."""

from __future__ import annotations

from collections.abc import Callable

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
)
from rental.contracts.payments import EntryReversed, PaymentReceived, RefundIssued
from rental.crm.application.projections import Projections
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe


def subscribe_all(projections: Callable[[], Projections]) -> None:
    """`projections()` builds the projections on the current session (the facade wires it)."""

    @subscribe(ReservationConfirmed, name="crm.history_confirmed")
    def confirmed(event: ReservationConfirmed) -> None:
        with unit_of_work():
            projections().on_confirmed(event)

    @subscribe(ReservationChanged, name="crm.history_changed")
    def changed(event: ReservationChanged) -> None:
        with unit_of_work():
            projections().on_changed(event)

    @subscribe(ReservationCompleted, name="crm.history_completed")
    def completed(event: ReservationCompleted) -> None:
        with unit_of_work():
            projections().on_completed(event)

    @subscribe(ReservationCancelled, name="crm.history_cancelled")
    def cancelled(event: ReservationCancelled) -> None:
        with unit_of_work():
            projections().on_cancelled(event)

    @subscribe(PaymentReceived, name="crm.clv_payment")
    def payment(event: PaymentReceived) -> None:
        with unit_of_work():
            projections().on_payment(event)

    @subscribe(RefundIssued, name="crm.clv_refund")
    def refund(event: RefundIssued) -> None:
        with unit_of_work():
            projections().on_refund(event)

    @subscribe(EntryReversed, name="crm.clv_reversed")
    def reversed_(event: EntryReversed) -> None:
        with unit_of_work():
            projections().on_reversed(event)
