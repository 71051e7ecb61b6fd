"""The read side of the ledgers: `LedgerQueries` and the DTOs it returns."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from rental.payments.domain.ledger import (
    CATEGORY_LABELS,
    METHOD_LABELS,
    Account,
    Category,
    DepositState,
    Entry,
    EntryKind,
    Ledger,
    Method,
)
from rental.payments.infrastructure.daybook import DayBook
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


# --- the day-end cash-up (/admin/payments) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CashUpEntry:
    """A payment, refund or reversal recorded on the day. `signed`: what it brought into the
    till (payments +, refunds −). Reversed entries and reversals are not counted."""

    id: str
    at: datetime
    order_id: str
    order_reference: str
    what: str  # "Payment", "Refund", "Reversal of a payment"
    method: str  # Method value ("" for none)
    method_label: str
    account: str
    signed: Money
    actor: str
    reference: str
    reversed_at: datetime | None  # this entry was reversed (then or later): not counted
    is_reversal: bool

    @property
    def counted(self) -> bool:
        return self.reversed_at is None and not self.is_reversal


@dataclass(frozen=True, slots=True)
class MethodTotal:
    method: str
    label: str
    payments: Money
    refunds: Money  # positive: what went out

    @property
    def net(self) -> Money:
        return self.payments - self.refunds


@dataclass(frozen=True, slots=True)
class CurrencyTotals:
    currency: str
    methods: list[MethodTotal]  # every method, in Method's order

    @property
    def payments(self) -> Money:
        return sum((m.payments for m in self.methods), Money.zero(self.currency))

    @property
    def refunds(self) -> Money:
        return sum((m.refunds for m in self.methods), Money.zero(self.currency))

    @property
    def net(self) -> Money:
        return self.payments - self.refunds


@dataclass(frozen=True, slots=True)
class CashUp:
    day: date
    start: datetime  # the local day's window in UTC (23 or 25 hours on a clock-change day)
    end: datetime
    entries: list[CashUpEntry]
    totals: list[CurrencyTotals]  # one per currency seen (the shop's one, usually)

    @property
    def hours(self) -> int:
        return int((self.end - self.start).total_seconds() // 3600)


def day_window(day: date, tz: tzinfo) -> tuple[datetime, datetime]:
    """The local calendar day from midnight to midnight, in UTC (a DST day has 23 or 25 h)."""
    start = datetime.combine(day, time.min, tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, tz).astimezone(UTC)
    return start, end


def _cash_up_entry(
    e: Entry, order_id: str, reference: str, reversed_at: datetime | None
) -> CashUpEntry:
    sign = 1 if e.kind == EntryKind.PAYMENT else -1
    return CashUpEntry(
        id=e.id,
        at=e.at,
        order_id=order_id,
        order_reference=reference,
        what=f"Reversal of a {e.kind.value.lower()}" if e.reverses else e.kind.value.title(),
        method=e.method.value if e.method else "",
        method_label=METHOD_LABELS[e.method] if e.method else "—",
        account=e.account.value,
        signed=e.amount * sign,
        actor=e.actor,
        reference=e.reference,
        reversed_at=reversed_at,
        is_reversal=e.reverses is not None,
    )


def stream_cash_up_entries(book: DayBook, day: date, tz: tzinfo) -> Iterator[list[CashUpEntry]]:
    """The cash-up's entries (reversed ones too, with when), a batch at a time (the CSV
    export): two statements per batch, whatever the day's size."""
    start, end = day_window(day, tz)
    for moves in book.stream_moves(start, end):
        reversed_at = book.reversals_of(e.id for e, _, _ in moves if not e.reverses)
        yield [_cash_up_entry(e, o, r, reversed_at.get(e.id)) for e, o, r in moves]


def cash_up(book: DayBook, day: date, tz: tzinfo) -> CashUp:
    """Every payment and refund recorded on the local `day`, totals per method and net."""
    start, end = day_window(day, tz)
    moves = book.moves_between(start, end)
    reversed_at = book.reversals_of(e.id for e, _, _ in moves if not e.reverses)
    entries: list[CashUpEntry] = []
    sums: dict[str, dict[Method, list[Money]]] = {}
    for e, order_id, reference in moves:
        sign = 1 if e.kind == EntryKind.PAYMENT else -1
        entry = _cash_up_entry(e, order_id, reference, reversed_at.get(e.id))
        entries.append(entry)
        currency = e.amount.currency
        per_method = sums.setdefault(
            currency, {m: [Money.zero(currency), Money.zero(currency)] for m in Method}
        )
        if entry.counted:
            method = e.method or Method.OTHER
            per_method[method][0 if sign > 0 else 1] += e.amount
    totals = [
        CurrencyTotals(
            currency,
            [MethodTotal(m.value, METHOD_LABELS[m], i, o) for m, (i, o) in methods.items()],
        )
        for currency, methods in sorted(sums.items())
    ]
    return CashUp(day=day, start=start, end=end, entries=entries, totals=totals)


# --- revenue per day (the staff dashboard) -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RevenueDay:
    day: date
    net: Money  # payments − refunds recorded on the local day, as the cash-up counts them


@dataclass(frozen=True, slots=True)
class Revenue:
    currency: str
    days: list[RevenueDay]  # every day from the first to the last, oldest first
    # Other currencies seen in the window (a shop has one; these are left out of `days`).
    other_currencies: tuple[str, ...] = ()

    def total(self, first: date, last: date) -> Money:
        """Net of the days from `first` to `last` (both included)."""
        return sum((d.net for d in self.days if first <= d.day <= last), Money.zero(self.currency))

    @property
    def empty(self) -> bool:
        return all(d.net.is_zero for d in self.days)


def revenue_by_day(book: DayBook, first: date, last: date, tz: tzinfo, currency: str) -> Revenue:
    """Revenue per local day of `tz` from `first` to `last` (both included): payments −
    refunds on the rental account (reversed entries and reversals not counted), for a stretch
    of days at once — one read of the window, one of its reversals. Deposits are money held
    for the customer, not revenue: a week's hire would otherwise show its deposit as income
    on its first day and as a loss on its last (the cash-up counts them: it is the drawer)."""
    start = day_window(first, tz)[0]
    end = day_window(last, tz)[1]
    moves = book.moves_between(start, end)
    reversed_ids = book.reversals_of(e.id for e, _, _ in moves if not e.reverses)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    sums = {day: Money.zero(currency) for day in days}
    others: set[str] = set()
    for e, _, _ in moves:
        if e.reverses or e.id in reversed_ids or e.account != Account.RENTAL:
            continue
        if e.amount.currency != currency:
            others.add(e.amount.currency)
            continue
        day = e.at.astimezone(tz).date()
        if day in sums:
            sums[day] += e.amount if e.kind == EntryKind.PAYMENT else -e.amount
    return Revenue(currency, [RevenueDay(d, sums[d]) for d in days], tuple(sorted(others)))
