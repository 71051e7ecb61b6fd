"""Integration events about invoices and credit notes (published by Payments): an accounting
export or a mail-out of the PDF can follow them without reading Payments' tables."""

from __future__ import annotations

from dataclasses import dataclass

from rental.shared.events import Event, register_event
from rental.shared.money import Money


@register_event
@dataclass(frozen=True, kw_only=True)
class InvoiceIssued(Event):
    document_id: str
    number: str  # e.g. 2026-000123
    order_id: str
    order_reference: str
    customer_id: str
    net: Money
    vat: Money
    total: Money
    actor: str


@register_event
@dataclass(frozen=True, kw_only=True)
class CreditNoteIssued(Event):
    document_id: str
    number: str  # e.g. CN-2026-000004
    invoice_id: str
    invoice_number: str
    order_id: str
    order_reference: str
    customer_id: str
    net: Money
    vat: Money
    total: Money
    reason: str
    actor: str
