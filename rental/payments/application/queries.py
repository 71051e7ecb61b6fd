"""The read side of the ledgers: `LedgerQueries` and the DTOs it returns."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rental.payments.domain.ledger import (
    CATEGORY_LABELS,
    METHOD_LABELS,
    Account,
    Category,
    DepositState,
    EntryKind,
    Ledger,
    Method,
)
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared.money import Money


@dataclass(frozen=True, slots=True)
class EntryView:
    id: str
    kind: str  # CHARGE | PAYMENT | REFUND
    account: str
    category: str
    amount: Money
    effect: Money  # what it did to its account's balance (signed)
    what: str  # e.g. "Payment (Cash)", "Charge: Damage", "Reversal of a payment"
    method: str | None
    reference: str
    reason: str
    actor: str
    at: datetime
    reverses: str | None
    reversed_by: str | None
    line_id: str | None

    @property
    def reversible(self) -> bool:
        return self.reverses is None and self.reversed_by is None


@dataclass(frozen=True, slots=True)
class AccountView:
    account: str
    charged: Money
    paid: Money
    refunded: Money
    balance: Money


@dataclass(frozen=True, slots=True)
class LedgerView:
    order_id: str
    order_reference: str
    customer_id: str
    currency: str
    version: int
    entries: list[EntryView]
    accounts: dict[str, AccountView]  # "rental", "deposit"
    balance: Money  # both accounts: positive = the customer owes it
    deposit_state: str  # not paid / held / released / partly retained

    @property
    def refundable(self) -> dict[str, Money]:
        return {name: a.paid - a.refunded for name, a in self.accounts.items()}


def _what(kind: EntryKind, category: Category, method: Method | None, reverses: str | None) -> str:
    if reverses:
        return f"Reversal of a {kind.value.lower()}"
    how = METHOD_LABELS[method] if method else "—"
    if kind == EntryKind.PAYMENT:
        return f"Payment ({how})"
    if kind == EntryKind.REFUND:
        return f"Refund ({how})"
    return f"Charge: {CATEGORY_LABELS[category]}"


def to_view(ledger: Ledger) -> LedgerView:
    reversed_by = {e.reverses: e.id for e in ledger.entries if e.reverses}
    entries = [
        EntryView(
            id=e.id,
            kind=e.kind.value,
            account=e.account.value,
            category=e.category.value,
            amount=e.amount,
            effect=Money(e.effect, ledger.currency),
            what=_what(e.kind, e.category, e.method, e.reverses),
            method=e.method.value if e.method else None,
            reference=e.reference,
            reason=e.reason,
            actor=e.actor,
            at=e.at,
            reverses=e.reverses,
            reversed_by=reversed_by.get(e.id),
            line_id=e.line_id,
        )
        for e in ledger.entries
    ]
    accounts = {}
    for account in Account:
        totals = ledger.totals(account)
        accounts[account.value] = AccountView(
            account=account.value,
            charged=totals.charged,
            paid=totals.paid,
            refunded=totals.refunded,
            balance=totals.balance,
        )
    return LedgerView(
        order_id=ledger.order_id,
        order_reference=ledger.order_reference,
        customer_id=ledger.customer_id,
        currency=ledger.currency,
        version=ledger.version,
        entries=entries,
        accounts=accounts,
        balance=ledger.balance(),
        deposit_state=DepositState(ledger.deposit_state()).value,
    )


class LedgerQueries:
    def __init__(self, ledgers: LedgerRepository) -> None:
        self.ledgers = ledgers

    def get_ledger(self, order_id: str) -> LedgerView | None:
        ledger = self.ledgers.get(order_id)
        return to_view(ledger) if ledger is not None else None
