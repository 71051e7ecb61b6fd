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
    web.py                       the staff forms under /admin/payments/orders/<order_id>/
"""

from rental.contracts.payments import ChargeAdded, EntryReversed, PaymentReceived, RefundIssued
from rental.payments.application.cancellation import CancellationPreview
from rental.payments.application.commands import (
    AddCharge,
    IssueRefund,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.application.queries import AccountView, EntryView, LedgerView
from rental.payments.domain.cancellation import CancellationQuote, cancellation_fee
from rental.payments.domain.ledger import Account, Category, DepositState, Method
from rental.payments.domain.policy import DepositRule, FeeKind, PaymentPolicy, RentalDue
from rental.payments.facade import PaymentsFacade

__all__ = [
    "Account",
    "AccountView",
    "AddCharge",
    "CancellationPreview",
    "CancellationQuote",
    "Category",
    "ChargeAdded",
    "DepositRule",
    "DepositState",
    "EntryReversed",
    "EntryView",
    "FeeKind",
    "IssueRefund",
    "LedgerView",
    "Method",
    "PaymentPolicy",
    "PaymentReceived",
    "PaymentsFacade",
    "RecordPayment",
    "RefundIssued",
    "RentalDue",
    "ReverseEntry",
    "cancellation_fee",
]
