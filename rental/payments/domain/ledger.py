"""The ledger of one order: an append-only list of charges, payments and refunds on two
accounts (rental and deposit), in the order's currency.

Nothing here is ever edited or deleted: a wrong entry is reversed by a counter-entry (an entry
of the same kind and amount with `reverses` set), and an entry is reversed at most once.

Balance of an account = charges − payments + refunds (each net of its reversals): positive is
what the customer still owes, negative what the shop owes the customer (or holds for them)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from rental.shared.errors import ConflictError, InputWarning, NotFoundError, ValidationError
from rental.shared.money import Money, minor_units

# No single entry of a rental shop is a million: anything above is a typing mistake.
MAX_AMOUNT = Decimal("1000000")


class EntryKind(StrEnum):
    CHARGE = "CHARGE"
    PAYMENT = "PAYMENT"
    REFUND = "REFUND"


class Account(StrEnum):
    RENTAL = "rental"
    DEPOSIT = "deposit"


class Category(StrEnum):
    RENTAL = "rental"
    DEPOSIT = "deposit"
    DAMAGE = "damage"
    LATE_FEE = "late_fee"
    CANCELLATION_FEE = "cancellation_fee"
    ADJUSTMENT = "adjustment"


class Method(StrEnum):
    CASH = "cash"
    CARD_TERMINAL = "card_terminal"
    BANK_TRANSFER = "bank_transfer"
    OTHER = "other"


class DepositState(StrEnum):
    NOT_PAID = "not paid"
    HELD = "held"
    RELEASED = "released"
    PARTLY_RETAINED = "partly retained"


CATEGORY_LABELS = {
    Category.RENTAL: "Rental",
    Category.DEPOSIT: "Deposit",
    Category.DAMAGE: "Damage",
    Category.LATE_FEE: "Late fee",
    Category.CANCELLATION_FEE: "Cancellation fee",
    Category.ADJUSTMENT: "Adjustment",
}
METHOD_LABELS = {
    Method.CASH: "Cash",
    Method.CARD_TERMINAL: "Card terminal",
    Method.BANK_TRANSFER: "Bank transfer",
    Method.OTHER: "Other",
}

# Effect of an entry (not a reversal) on its account's balance.
T = TypeVar("T", bound=StrEnum)

_SIGN = {EntryKind.CHARGE: 1, EntryKind.PAYMENT: -1, EntryKind.REFUND: 1}


_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}
_CODE = re.compile(r"(?<![A-Za-z])([A-Za-z]{3})(?![A-Za-z])")


def strip_currency(raw: str | None, currency: str, *, field: str) -> str:
    """What staff typed with the ledger's own currency taken off ('€12.50', '12.50 EUR' →
    '12.50'); another currency written ('$12.50', '12.50 USD') is refused — the ledger keeps
    one currency and converting is the staff member's call, not a guess of ours."""
    text = (raw or "").strip()
    written = {code for symbol, code in _SYMBOLS.items() if symbol in text}
    if any(ch.isdigit() for ch in text):  # 'abc' is no amount at all, not a currency
        written |= {code.upper() for code in _CODE.findall(text)}
    if others := written - {currency}:
        raise ValidationError(
            f"This order is kept in {currency}: enter the amount in {currency}, not in "
            f"{', '.join(sorted(others))} (convert it first).",
            field=field,
        )
    for symbol, code in _SYMBOLS.items():
        if code == currency:
            text = text.replace(symbol, "")
    return _CODE.sub("", text).strip() if written else text


def choice(enum: type[T], raw: str | None, *, field: str, label: str) -> T:
    """A value of `enum` from what a form sent; ValidationError naming the choices otherwise."""
    try:
        return enum((raw or "").strip())
    except ValueError:
        names = ", ".join(m.value for m in enum)
        raise ValidationError(f"Choose the {label}: one of {names}.", field=field) from None


def check_amount(amount: Decimal, currency: str, *, field: str = "amount") -> Money:
    """A positive amount, at most MAX_AMOUNT, with no more decimals than the currency has."""
    if isinstance(amount, float) or not isinstance(amount, Decimal | int):
        raise TypeError("Ledger amounts are Decimals, never floats.")
    amount = Decimal(amount)
    if not amount.is_finite():
        raise ValidationError("The amount must be a number.", field=field)
    if amount <= 0:
        raise ValidationError("The amount must be more than zero.", field=field)
    if amount > MAX_AMOUNT:
        raise ValidationError(
            f"The amount can be at most {Money(MAX_AMOUNT, currency).format()}.", field=field
        )
    places = minor_units(currency)
    exponent = amount.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise ValidationError(
            f"{currency} amounts have at most {places} decimal{'s' if places != 1 else ''}.",
            field=field,
        )
    return Money(amount, currency)


@dataclass(frozen=True, slots=True)
class Entry:
    id: str
    kind: EntryKind
    account: Account
    category: Category
    amount: Money
    actor: str
    at: datetime
    method: Method | None = None
    reference: str = ""
    reason: str = ""
    reverses: str | None = None
    # The booking line (reservation) a charge from Booking's events is for, and the line's
    # sequence it was recorded at (so an older event never undoes a newer one).
    line_id: str | None = None
    line_sequence: int | None = None

    @property
    def effect(self) -> Decimal:
        """What the entry adds to its account's balance."""
        sign = _SIGN[self.kind]
        return -sign * self.amount.amount if self.reverses else sign * self.amount.amount


@dataclass(frozen=True, slots=True)
class AccountTotals:
    """Net of reversals: charged − payments + refunded is the balance."""

    charged: Money
    paid: Money
    refunded: Money

    @property
    def balance(self) -> Money:
        return self.charged - self.paid + self.refunded

    @property
    def refundable(self) -> Money:
        return self.paid - self.refunded


@dataclass(slots=True)
class Ledger:
    order_id: str
    currency: str
    order_reference: str = ""
    customer_id: str = ""
    entries: list[Entry] = field(default_factory=list)
    version: int = 0

    # --- reading --------------------------------------------------------------------------

    def entry(self, entry_id: str) -> Entry:
        for e in self.entries:
            if e.id == entry_id:
                return e
        raise NotFoundError("There is no such entry in this order's ledger.")

    def reversal_of(self, entry_id: str) -> Entry | None:
        return next((e for e in self.entries if e.reverses == entry_id), None)

    def totals(self, account: Account) -> AccountTotals:
        sums = {kind: Decimal(0) for kind in EntryKind}
        for e in self.entries:
            if e.account == account:
                sums[e.kind] += -e.amount.amount if e.reverses else e.amount.amount
        return AccountTotals(
            charged=Money(sums[EntryKind.CHARGE], self.currency),
            paid=Money(sums[EntryKind.PAYMENT], self.currency),
            refunded=Money(sums[EntryKind.REFUND], self.currency),
        )

    def balance(self, account: Account | None = None) -> Money:
        """The account's balance (both accounts together without one)."""
        total = sum(
            (e.effect for e in self.entries if account is None or e.account == account),
            Decimal(0),
        )
        return Money(total, self.currency)

    def extra_charges(self) -> list[Entry]:
        """The live charges that are neither a booking line's nor a deposit held: late fees,
        damage (also what was kept from the deposit for it), cancellation fees, adjustments —
        what an invoice lists beside the order's lines. A cancellation fee carries the
        cancelled line (so a redelivery charges it once) but is no booking line's charge."""
        reversed_ids = {e.reverses for e in self.entries if e.reverses}
        return [
            e
            for e in self.entries
            if e.kind == EntryKind.CHARGE
            and e.category != Category.DEPOSIT
            and (not e.line_id or e.category == Category.CANCELLATION_FEE)
            and not e.reverses
            and e.id not in reversed_ids
        ]

    def paid_towards_charges(self) -> Money:
        """What the customer paid towards the charges (not the deposit held): rental
        payments less refunds, plus what was kept from the deposit for damage."""
        rental = self.totals(Account.RENTAL)
        deposit = self.totals(Account.DEPOSIT)
        held = sum(
            (
                -e.amount.amount if e.reverses else e.amount.amount
                for e in self.entries
                if e.account == Account.DEPOSIT
                and e.kind == EntryKind.CHARGE
                and e.category == Category.DEPOSIT
            ),
            Decimal(0),
        )
        kept = deposit.charged.amount - held  # damage charged to the deposit account
        applied = min(max(deposit.paid.amount - deposit.refunded.amount - held, Decimal(0)), kept)
        return rental.paid - rental.refunded + Money(max(applied, Decimal(0)), self.currency)

    def deposit_state(self) -> DepositState:
        totals = self.totals(Account.DEPOSIT)
        if totals.paid.amount <= 0:
            return DepositState.NOT_PAID
        if totals.refunded >= totals.paid:
            return DepositState.RELEASED
        if totals.refunded.amount > 0 or self._deposit_kept():
            return DepositState.PARTLY_RETAINED
        return DepositState.HELD

    def _deposit_kept(self) -> bool:
        """Released with all of it kept for damage (no refund): the deposit charges were
        released (none live) and a damage charge on the deposit account is live."""
        live = [
            e
            for e in self.entries
            if e.account == Account.DEPOSIT
            and e.kind == EntryKind.CHARGE
            and not e.reverses
            and self.reversal_of(e.id) is None
        ]
        return any(e.category == Category.DAMAGE for e in live) and not any(
            e.category == Category.DEPOSIT for e in live
        )

    def line_total(self, line_id: str, account: Account = Account.RENTAL) -> Money:
        """What the account holds charged for a booking line (net of reversals)."""
        total = sum(
            (
                e.effect
                for e in self.entries
                if e.line_id == line_id and e.kind == EntryKind.CHARGE and e.account == account
            ),
            Decimal(0),
        )
        return Money(total, self.currency)

    def line_charged(self, line_id: str) -> bool:
        return any(e.line_id == line_id for e in self.entries)

    def line_sequence(self, line_id: str) -> int:
        """The newest line sequence an entry for the line was recorded at (-1: none)."""
        return max((e.line_sequence or 0 for e in self.entries if e.line_id == line_id), default=-1)

    def live_line_charges(self, line_id: str, account: Account | None = None) -> list[Entry]:
        """The line's charges not reversed (on `account`, or on both accounts)."""
        return [
            e
            for e in self.entries
            if e.line_id == line_id
            and e.kind == EntryKind.CHARGE
            and (account is None or e.account == account)
            and not e.reverses
            and self.reversal_of(e.id) is None
        ]

    # --- rules ------------------------------------------------------------------------------

    def _money(self, amount: Decimal) -> Money:
        return check_amount(amount, self.currency)

    def _append(self, entry: Entry) -> Entry:
        if entry.amount.currency != self.currency:
            raise ValidationError(
                f"This order's ledger is in {self.currency}, not {entry.amount.currency}.",
                field="amount",
            )
        self.entries.append(entry)
        return entry

    def payment_warnings(self, amount: Decimal, account: Account) -> list[InputWarning]:
        money = self._money(amount)
        balance = self.balance(account)
        if money > balance:
            owed = balance.format() if balance.amount > 0 else "nothing"
            return [
                InputWarning(
                    "more_than_due",
                    f"{money.format()} is more than the {account.value} balance: the customer "
                    f"owes {owed} on it.",
                    field="amount",
                )
            ]
        return []

    def add_charge(
        self,
        *,
        entry_id: str,
        amount: Decimal,
        account: Account,
        category: Category,
        reason: str,
        actor: str,
        at: datetime,
        line_id: str | None = None,
        line_sequence: int | None = None,
    ) -> Entry:
        return self._append(
            Entry(
                id=entry_id,
                kind=EntryKind.CHARGE,
                account=account,
                category=category,
                amount=self._money(amount),
                reason=reason,
                actor=actor,
                at=at,
                line_id=line_id,
                line_sequence=line_sequence,
            )
        )

    def record_payment(
        self,
        *,
        entry_id: str,
        amount: Decimal,
        account: Account,
        method: Method,
        reference: str,
        actor: str,
        at: datetime,
    ) -> Entry:
        return self._append(
            Entry(
                id=entry_id,
                kind=EntryKind.PAYMENT,
                account=account,
                category=Category.DEPOSIT if account == Account.DEPOSIT else Category.RENTAL,
                amount=self._money(amount),
                method=method,
                reference=reference,
                actor=actor,
                at=at,
            )
        )

    def issue_refund(
        self,
        *,
        entry_id: str,
        amount: Decimal,
        account: Account,
        method: Method,
        reference: str,
        reason: str,
        actor: str,
        at: datetime,
    ) -> Entry:
        money = self._money(amount)
        refundable = self.totals(account).refundable
        if money > refundable:
            raise ValidationError(
                f"A refund cannot be more than what was paid on the {account.value} account "
                f"and not yet refunded: {refundable.format()}.",
                field="amount",
            )
        return self._append(
            Entry(
                id=entry_id,
                kind=EntryKind.REFUND,
                account=account,
                category=Category.DEPOSIT if account == Account.DEPOSIT else Category.RENTAL,
                amount=money,
                method=method,
                reference=reference,
                reason=reason,
                actor=actor,
                at=at,
            )
        )

    def reverse(
        self,
        *,
        entry_id: str,
        target_id: str,
        reason: str,
        actor: str,
        at: datetime,
        line_sequence: int | None = None,
    ) -> Entry:
        target = self.entry(target_id)
        if target.reverses:
            raise ConflictError("This entry is itself a reversal; it cannot be reversed.")
        if self.reversal_of(target.id) is not None:
            raise ConflictError("This entry has already been reversed.")
        if target.kind == EntryKind.PAYMENT:
            totals = self.totals(target.account)
            if totals.refunded > totals.paid - target.amount:
                raise ConflictError(
                    "Reversing this payment would leave more refunded than paid on the "
                    f"{target.account.value} account. Reverse the refund first."
                )
        return self._append(
            replace(
                target,
                id=entry_id,
                reverses=target.id,
                reason=reason,
                actor=actor,
                at=at,
                line_sequence=line_sequence if line_sequence is not None else target.line_sequence,
            )
        )
