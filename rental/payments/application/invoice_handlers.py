"""Payments' invoice subscribers: Booking's confirmation issues the order's invoice (when the
payment policy says so), a cancellation or a change reconciles it (credit note, new invoice).
Each runs in the worker's transaction with its inbox row; the commands are idempotent on top
(an order with a live invoice gets no second one), so lines of one order confirmed in one or
several events give one invoice."""

from __future__ import annotations

from collections.abc import Callable

from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationConfirmed,
)
from rental.payments.application.invoices import InvoiceCommands
from rental.payments.domain.policy import PaymentPolicy
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe


def subscribe_invoices(
    commands: Callable[[], InvoiceCommands], policy: Callable[[], PaymentPolicy]
) -> None:
    @subscribe(ReservationConfirmed, name="payments.invoice_confirmed_order")
    def issue(event: ReservationConfirmed) -> None:
        with unit_of_work():
            commands().on_confirmed(event.order, issue=policy().invoice_on_confirm)

    @subscribe(ReservationCancelled, name="payments.credit_cancelled_line")
    def cancelled(event: ReservationCancelled) -> None:
        with unit_of_work():
            commands().reconcile(event.order)

    @subscribe(ReservationChanged, name="payments.reissue_changed_line")
    def changed(event: ReservationChanged) -> None:
        if not event.is_live:
            return
        with unit_of_work():
            commands().reconcile(event.order)
