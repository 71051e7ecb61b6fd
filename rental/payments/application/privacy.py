"""Payments' part of anonymising a customer (CustomerAnonymised, from Customers) and of
deciding whether a customer may be deleted at all.

Anonymisation blanks what people typed about the customer's orders: the reason and the
reference of every ledger entry staff recorded (a refund's reason, a payment's reference, the
note of what was kept from a deposit — Booking's own entries, "Rental RK-…", name nothing but
references and stay), a waived late fee's reason — and every free-text field of the customer's
messages Payments published (FREE_TEXT; no handler reads them, CRM's rebuild reads only
amounts). Amounts, dates and who recorded them stay: they are the books.

NOT touched, deliberately: the invoices and credit notes (payments_documents). Issued tax
documents must be kept unchanged — in Germany for 10 years (§147 AO, §14 UStG) — and the GDPR
does not require erasing what a legal obligation requires keeping (Art. 17(3)(b)). They keep
the buyer's name and address as printed. Also kept: the damage photos of the customer's
deposits — they picture the equipment, not people (only staff see them).

A customer whose orders have a ledger (payments, charges) or documents may not be deleted
(`payments`, `invoices`): the shop must keep those records; anonymise instead."""

from __future__ import annotations

from rental.contracts.invoices import CreditNoteIssued
from rental.contracts.payments import (
    ChargeAdded,
    DepositReleased,
    EntryReversed,
    PaymentReceived,
    RefundIssued,
)
from rental.payments.application.commands import BOOKING
from rental.payments.infrastructure.privacy import PrivacyRepository
from rental.shared import outbox
from rental.shared.events import Event
from rental.shared.privacy import ANONYMISED_TEXT

# The free-text fields of each event Payments publishes.
FREE_TEXT: dict[type[Event], tuple[str, ...]] = {
    PaymentReceived: ("reference",),
    RefundIssued: ("reason", "reference"),
    ChargeAdded: ("reason",),
    EntryReversed: ("reason",),
    DepositReleased: ("note",),
    CreditNoteIssued: ("reason",),
}


def forget_personal_text(repo: PrivacyRepository, customer_id: str) -> int:
    """Every free text Payments keeps about the customer's orders becomes ANONYMISED_TEXT
    (in the caller's transaction; a second time changes nothing). How many rows changed."""
    order_ids = repo.order_ids_of(customer_id)
    changed = 0
    if order_ids:
        changed += repo.blank_entry_text(order_ids, ANONYMISED_TEXT, except_actor=BOOKING)
        changed += repo.blank_late_fee_reasons(order_ids, ANONYMISED_TEXT)
    for event, fields in FREE_TEXT.items():
        changed += outbox.redact_payloads(
            event.event_type,
            {"customer_id": {customer_id}},
            dict.fromkeys(fields, ANONYMISED_TEXT),
        )
    return changed


def payments(repo: PrivacyRepository, customer_id: str) -> str | None:
    """ "payments" when the customer's orders have ledger entries (the shop's books)."""
    entries, _, _ = repo.counts_of(customer_id)
    return "payment records" if entries else None


def invoices(repo: PrivacyRepository, customer_id: str) -> str | None:
    """ "invoices" when the shop issued the customer an invoice or credit note."""
    _, documents, _ = repo.counts_of(customer_id)
    return "invoices" if documents else None
