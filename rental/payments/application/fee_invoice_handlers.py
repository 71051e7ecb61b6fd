"""Payments listens to its own ledger for invoices: a cancellation fee charged (or reversed)
reconciles the order's invoices — a cancelled order's fee goes on its fee invoice, an item's
fee on the order's re-issued invoice. Booking's `ReservationCancelled` reaches the ledger and
the invoices through two subscribers whose order is not guaranteed: when the invoices'
subscriber runs first, the fee is not charged yet, and this one completes the settlement
(domain/fee_invoices.py). Other charges beside the booking lines (late fee, damage,
adjustment) are followed only for a cancelled order (staff cannot re-issue its invoice)."""

from __future__ import annotations

from collections.abc import Callable

from rental.contracts.payments import ChargeAdded, EntryReversed, LedgerEntryEvent
from rental.payments.application.invoices import InvoiceCommands
from rental.payments.domain.ledger import Category
from rental.shared.db import unit_of_work
from rental.shared.events import subscribe

# Charges an invoice lists beside the booking lines (Ledger.extra_charges).
FOLLOWED = {
    Category.CANCELLATION_FEE.value,
    Category.LATE_FEE.value,
    Category.DAMAGE.value,
    Category.ADJUSTMENT.value,
}


def _follow(commands: Callable[[], InvoiceCommands], event: LedgerEntryEvent) -> None:
    if event.category not in FOLLOWED:
        return  # a deposit held, a booking line's rental charge (Booking's events cover them)
    with unit_of_work():
        commands().on_ledger_charge(
            event.order_id, cancellation_fee=event.category == Category.CANCELLATION_FEE.value
        )


def subscribe_fee_invoices(commands: Callable[[], InvoiceCommands]) -> None:
    @subscribe(ChargeAdded, name="payments.invoice_added_charge")
    def added(event: ChargeAdded) -> None:
        _follow(commands, event)

    @subscribe(EntryReversed, name="payments.invoice_reversed_charge")
    def reversed_(event: EntryReversed) -> None:
        if event.reversed_kind == "CHARGE":
            _follow(commands, event)
