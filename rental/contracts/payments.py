"""Integration events the Payments module publishes through the outbox (payload = published
language: CRM sums `PaymentReceived` − `RefundIssued` for a customer's lifetime value).

Every event is about one entry of an order's ledger; `balance` is the order's balance (both
accounts) right after it: positive is owed by the customer, negative owed to them."""

from __future__ import annotations

from dataclasses import dataclass

from rental.shared.events import Event, register_event
from rental.shared.money import Money


@dataclass(frozen=True, kw_only=True)
class LedgerEntryEvent(Event):
    order_id: str
    order_reference: str
    customer_id: str
    entry_id: str
    account: str  # "rental" | "deposit"
    category: str  # rental, deposit, damage, late_fee, cancellation_fee, adjustment
    amount: Money
    balance: Money
    actor: str


@register_event
@dataclass(frozen=True, kw_only=True)
class PaymentReceived(LedgerEntryEvent):
    method: str  # cash, card_terminal, bank_transfer, other
    reference: str = ""


@register_event
@dataclass(frozen=True, kw_only=True)
class RefundIssued(LedgerEntryEvent):
    method: str
    reference: str = ""
    reason: str = ""


@register_event
@dataclass(frozen=True, kw_only=True)
class ChargeAdded(LedgerEntryEvent):
    reason: str = ""
    # The booking line (reservation) a rental charge is for; empty for staff's charges.
    line_id: str = ""


@register_event
@dataclass(frozen=True, kw_only=True)
class EntryReversed(LedgerEntryEvent):
    """A counter-entry cancelled an earlier entry (`reversed_entry_id`) of kind
    `reversed_kind` (CHARGE, PAYMENT, REFUND): a consumer undoes what it did for that one."""

    reversed_entry_id: str
    reversed_kind: str
    reason: str = ""


@register_event
@dataclass(frozen=True, kw_only=True)
class DepositReleased(Event):
    """Staff released the deposit held for an order after the return: `refunded` went back to
    the customer and `retained` was kept for damage (`note` says why; zero when released in
    full). The ledger's own entries (ChargeAdded, EntryReversed, RefundIssued) are recorded
    beside it in the same transaction."""

    order_id: str
    order_reference: str
    customer_id: str
    held: Money
    retained: Money
    refunded: Money
    note: str = ""
    actor: str = ""
