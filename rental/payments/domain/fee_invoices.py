"""The fee invoice of a cancelled order: what the shop keeps when an order is cancelled (the
cancellation fee, and any other charge left on its rental account — late fee, damage,
adjustment) is invoiced, although the booking invoice is credited in full.

A cancelled order is *settled* by one idempotent rule, run whenever Payments hears about it
(Booking's cancellation and the ledger's own fee charge, in whichever order they arrive):

1. every live booking invoice (one with booking lines) is credited in full;
2. the charges left on the ledger are on exactly one live fee invoice: when the live fee
   invoice already lists them (same lines and amounts) nothing happens; otherwise what is left
   of the live fee invoices is credited and, when charges are left, a new fee invoice lists them.

A fee invoice is an invoice without booking lines: none of its lines has a period (a booking
line always has one). It is told apart by that, so no column is needed. Pure: no Flask, no
SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rental.payments.domain.invoices import (
    Document,
    DocumentLine,
    ExtraCharge,
    InvoiceState,
    same_lines,
)


def is_fee_invoice(document: Document) -> bool:
    """An invoice of charges only (no booking line): a cancelled order's fee invoice."""
    lines = document.lines
    return document.is_invoice and bool(lines) and not any(x.period for x in lines)


def charge_lines(extras: Iterable[ExtraCharge]) -> tuple[DocumentLine, ...]:
    """The fee invoice's lines: one per charge (amounts rounded; zero charges left out)."""
    return tuple(
        DocumentLine(description=x.description, period="", quantity=1, amount=x.amount.rounded())
        for x in extras
        if x.amount.amount != 0
    )


@dataclass(frozen=True, slots=True)
class Settlement:
    """What settling a cancelled order does now: the invoices to credit in full (what is left
    of each; booking invoices first) and the lines of a new fee invoice (empty: none)."""

    credit: tuple[InvoiceState, ...]
    fee_lines: tuple[DocumentLine, ...]

    @property
    def nothing(self) -> bool:
        return not self.credit and not self.fee_lines


def settle_cancelled(live: Sequence[InvoiceState], charges: Sequence[DocumentLine]) -> Settlement:
    """`live`: the order's live invoices (oldest first); `charges`: the ledger's live charges
    beside the booking lines, as fee-invoice lines (`charge_lines`)."""
    booking = [s for s in live if not is_fee_invoice(s.invoice)]
    fees = [s for s in live if is_fee_invoice(s.invoice)]
    if len(fees) == 1 and same_lines(fees[0].invoice.lines, charges):
        return Settlement(credit=tuple(booking), fee_lines=())  # the fee invoice fits
    return Settlement(credit=tuple(booking + fees), fee_lines=tuple(charges))
