"""Payments: what the customer owes and paid for an order — an append-only ledger per order.

Other modules import only from here: `PaymentsFacade`, the commands and DTOs it takes and
returns, and the events the module publishes (defined in rental.contracts.payments).

Layout (the shape every module has, docs/architecture.md):
    facade.py                    PaymentsFacade: wiring and one unit_of_work per command
    module.py                    init_app: Booking's events, the staff forms
    domain/policy.py             PaymentPolicy: what is due when, deposit rule, VAT, cancellation
                                 fee, overdue grace (one row, /admin/payments/settings)
    domain/ledger.py             Ledger, Entry, accounts, categories, methods, deposit state,
                                 the rules (pure)
    application/commands.py      RecordPayment, IssueRefund, AddCharge, ReverseEntry and
                                 LedgerCommands (also following Booking's events)
    application/queries.py       LedgerQueries + LedgerView, EntryView, AccountView
    application/event_handlers.py  ReservationConfirmed / Changed / Cancelled
    infrastructure/entities.py   LedgerEntity (payments_ledgers), EntryEntity (payments_entries)
    infrastructure/repositories.py  LedgerRepository (row lock FOR UPDATE)
    web.py                       the staff forms under /admin/payments/orders/<order_id>/
    invoice_facade.py            InvoiceFacade: invoices and credit notes; Booking registers the
                                 order source (register_invoice_order_source)
    domain/invoices.py           Document, gapless numbers, VAT (compute_tax), credit rules
    application/invoices.py      InvoiceCommands (issue, credit, reissue, reconcile), queries
    application/invoice_handlers.py  issue on ReservationConfirmed, reconcile on Cancelled/Changed
    infrastructure/invoices.py   DocumentEntity (frozen), counters per series and year
    invoice_web.py               /admin/invoices (list, CSV, page, PDF) and the panel's actions
"""

from rental.contracts.invoices import CreditNoteIssued, InvoiceIssued
from rental.contracts.payments import ChargeAdded, EntryReversed, PaymentReceived, RefundIssued
from rental.payments.application.commands import (
    AddCharge,
    IssueRefund,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.application.queries import AccountView, EntryView, LedgerView
from rental.payments.domain.invoices import Document, OrderForInvoice, OrderLineForInvoice
from rental.payments.domain.ledger import Account, Category, DepositState, Method
from rental.payments.domain.policy import DepositRule, FeeKind, PaymentPolicy, RentalDue
from rental.payments.facade import PaymentsFacade
from rental.payments.invoice_facade import InvoiceFacade, register_invoice_order_source
from rental.payments.invoice_web import document_page, document_pdf

__all__ = [
    "Account",
    "AccountView",
    "AddCharge",
    "Category",
    "ChargeAdded",
    "CreditNoteIssued",
    "DepositRule",
    "DepositState",
    "Document",
    "EntryReversed",
    "EntryView",
    "FeeKind",
    "InvoiceFacade",
    "InvoiceIssued",
    "IssueRefund",
    "LedgerView",
    "Method",
    "OrderForInvoice",
    "OrderLineForInvoice",
    "PaymentPolicy",
    "PaymentReceived",
    "PaymentsFacade",
    "RecordPayment",
    "RefundIssued",
    "RentalDue",
    "ReverseEntry",
    "document_page",
    "document_pdf",
    "register_invoice_order_source",
]
