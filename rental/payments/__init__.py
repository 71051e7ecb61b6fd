"""Payments: what the customer owes and paid for an order — an append-only ledger per order.

Other modules import only from here: `PaymentsFacade`, the commands and DTOs it takes and
returns, and the events the module publishes (defined in rental.contracts.payments).

Layout (the shape every module has, docs/architecture.md):
    facade.py                    PaymentsFacade: wiring and one unit_of_work per command
    module.py                    init_app: Booking's events, the staff forms
    domain/policy.py             PaymentPolicy: what is due when, deposit rule, VAT, cancellation
                                 fee, overdue grace (one row, /admin/payments/settings)
    domain/cancellation.py       cancellation_fee: what cancelling costs (pure)
    domain/part_cancellation.py  part_quote: what taking part of an order out costs (pure)
    domain/ledger.py             Ledger, Entry, accounts, categories, methods, deposit state,
                                 the rules (pure)
    application/commands.py      RecordPayment, IssueRefund, AddCharge, ReverseEntry and
                                 LedgerCommands (also following Booking's events)
    application/queries.py       LedgerQueries + LedgerView, EntryView, AccountView
    application/event_handlers.py  ReservationConfirmed / Changed / Cancelled
    infrastructure/entities.py   LedgerEntity (payments_ledgers), EntryEntity (payments_entries)
    infrastructure/repositories.py  LedgerRepository (row lock FOR UPDATE)
    domain/late_fee.py           the late fee of a line back late (pure), LateFeeDecision
    application/late_fees.py     propose (rate card, via Pricing) and settle (charge or waive,
                                 once per line)
    infrastructure/late_fees.py  LateFeeEntity (payments_late_fees), LateFeeRepository
    web.py                       the staff forms under /admin/payments/orders/<order_id>/
    domain/deposits.py           deposits: charged per line, outstanding before hand-over,
                                 released in full or partly kept for damage (pure)
    domain/due.py                what is due when (the booking pages' payment lines)
    application/deposits.py      ReleaseDeposit, DepositCommands, deposit_due
    infrastructure/deposits.py   DamagePhotoEntity (payments_damage_photos)
    infrastructure/damage_photos.py  the private store of damage photos' files
    deposits_web.py              release form, staff-only damage photos
    templating.py                Jinja globals: payments_due, deposit_panel, card_payments
    card_provider.py             CardProvider: the port for online card payments (none
                                 bundled; docs/payments.md)
    invoice_facade.py            InvoiceFacade: invoices and credit notes; Booking registers the
                                 order source (register_invoice_order_source)
    domain/invoices.py           Document, gapless numbers, VAT (compute_tax), credit rules
    application/invoices.py      InvoiceCommands (issue, credit, reissue, reconcile), queries
    application/invoice_handlers.py  issue on ReservationConfirmed, reconcile on Cancelled/Changed
    domain/fee_invoices.py       a cancelled order's settlement: invoice credited, fee invoiced
    application/fee_invoice_handlers.py  reconcile on the ledger's ChargeAdded / EntryReversed
    infrastructure/invoices.py   DocumentEntity (frozen), counters per series and year
    infrastructure/invoice_pdf.py  a document as PDF (WeasyPrint): the download, the receipt's
                                 attachment (InvoiceFacade.invoice_pdf_for_order)
    invoice_web.py               /admin/invoices (list, CSV, page, PDF) and the panel's actions
Privacy (CustomerAnonymised; may a customer be deleted?):
    application/privacy.py       blank what staff typed about the customer (entries, waivers,
                                 own events' payloads) — invoices kept by law; history checks
    infrastructure/privacy.py    PrivacyRepository: the SQL of it
"""

from rental.contracts.invoices import CreditNoteIssued, InvoiceIssued
from rental.contracts.payments import (
    ChargeAdded,
    DepositReleased,
    EntryReversed,
    PaymentReceived,
    RefundIssued,
)
from rental.payments.application.cancellation import CancellationPreview
from rental.payments.application.commands import (
    AddCharge,
    IssueRefund,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.application.deposits import DepositReleaseResult, ReleaseDeposit
from rental.payments.application.late_fees import SettleLateFee, check_waiver
from rental.payments.application.queries import AccountView, EntryView, LedgerView
from rental.payments.card_provider import (
    CardPaymentRequest,
    CardPaymentStart,
    CardPaymentStatus,
    CardProvider,
    CardProviderError,
    CardRefundRequest,
    CardRefundResult,
    CardWebhookEvent,
    InvalidWebhook,
    card_provider,
    register_card_provider,
)
from rental.payments.domain.cancellation import CancellationQuote, cancellation_fee
from rental.payments.domain.due import DueItem, what_is_due
from rental.payments.domain.invoices import Document, OrderForInvoice, OrderLineForInvoice
from rental.payments.domain.late_fee import LateFee, LateFeeDecision
from rental.payments.domain.ledger import (
    MAX_AMOUNT,
    METHOD_LABELS,
    Account,
    Category,
    DepositState,
    Method,
    choice,
    strip_currency,
)
from rental.payments.domain.policy import DepositRule, FeeKind, PaymentPolicy, RentalDue
from rental.payments.facade import PaymentsFacade
from rental.payments.invoice_facade import InvoiceFacade, register_invoice_order_source
from rental.payments.invoice_web import document_page, document_pdf

__all__ = [
    "MAX_AMOUNT",
    "METHOD_LABELS",
    "Account",
    "AccountView",
    "AddCharge",
    "CancellationPreview",
    "CancellationQuote",
    "CardPaymentRequest",
    "CardPaymentStart",
    "CardPaymentStatus",
    "CardProvider",
    "CardProviderError",
    "CardRefundRequest",
    "CardRefundResult",
    "CardWebhookEvent",
    "Category",
    "ChargeAdded",
    "CreditNoteIssued",
    "DepositReleaseResult",
    "DepositReleased",
    "DepositRule",
    "DepositState",
    "Document",
    "DueItem",
    "EntryReversed",
    "EntryView",
    "FeeKind",
    "InvalidWebhook",
    "InvoiceFacade",
    "InvoiceIssued",
    "IssueRefund",
    "LateFee",
    "LateFeeDecision",
    "LedgerView",
    "Method",
    "OrderForInvoice",
    "OrderLineForInvoice",
    "PaymentPolicy",
    "PaymentReceived",
    "PaymentsFacade",
    "RecordPayment",
    "RefundIssued",
    "ReleaseDeposit",
    "RentalDue",
    "ReverseEntry",
    "SettleLateFee",
    "cancellation_fee",
    "card_provider",
    "check_waiver",
    "choice",
    "document_page",
    "document_pdf",
    "register_card_provider",
    "register_invoice_order_source",
    "strip_currency",
    "what_is_due",
]
