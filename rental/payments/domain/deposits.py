"""Deposits on an order's ledger (pure): charged per booking line on the deposit account,
paid before the hand-over, held while on hire, released after the return — in full, or with
part (or all) of it kept for damage.

A release is one set of entries: the live deposit charges are reversed (the deposit is not
owed any more), the part kept is charged as damage on the deposit account (with the staff
member's note), and the rest is refunded. The deposit account's balance is then zero again,
and `Ledger.deposit_state()` reads "released" or "partly retained"."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from rental.payments.domain.ledger import (
    Account,
    Category,
    DepositState,
    Entry,
    EntryKind,
    Ledger,
    Method,
    check_amount,
)
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.money import Money

NOTE_MAX = 500


def deposit_held(ledger: Ledger) -> Money:
    """What the shop holds of the customer's deposit: paid − refunded on the deposit account."""
    return ledger.totals(Account.DEPOSIT).refundable


def deposit_outstanding(ledger: Ledger | None, expected: Mapping[str, Money]) -> Money | None:
    """What of the deposit is still to be paid before the hand-over: the deposit account's
    balance, plus the deposit of each line in `expected` (line ID → its deposit) that the
    ledger has not charged yet (Booking's event not handled yet). None when nothing is due."""
    due = Decimal(0)
    currency = next(iter(expected.values())).currency if expected else None
    if ledger is not None:
        currency = ledger.currency
        due = ledger.balance(Account.DEPOSIT).amount
        if ledger.deposit_state() in (DepositState.RELEASED, DepositState.PARTLY_RETAINED):
            return None
    for line_id, deposit in expected.items():
        if ledger is None or not ledger.line_charged(line_id):
            due += deposit.amount
    if currency is None or due <= 0:
        return None
    return Money(due, currency).rounded()


def follow_line_deposit(
    ledger: Ledger,
    *,
    line_id: str,
    deposit: Money | None,
    reference: str,
    sequence: int,
    actor: str,
    at: datetime,
    new_id: Callable[[], str],
) -> list[Entry]:
    """The entries that make the deposit charged for a booking line equal `deposit` (the
    line's deposit from its frozen quote, after a confirmation or a change). Nothing when the
    event carries no deposit, or once the order's deposit was released."""
    if deposit is None or ledger.deposit_state() in (
        DepositState.RELEASED,
        DepositState.PARTLY_RETAINED,
    ):
        return []
    new = deposit.rounded()
    charged = ledger.line_total(line_id, Account.DEPOSIT)
    difference = new - charged
    entries: list[Entry] = []
    if difference.amount > 0:
        entries.append(
            ledger.add_charge(
                entry_id=new_id(),
                amount=difference.amount,
                account=Account.DEPOSIT,
                category=Category.DEPOSIT,
                reason=f"Deposit {reference}"
                if charged.amount == 0
                else f"Deposit {reference} changed: now {new.format()}",
                actor=actor,
                at=at,
                line_id=line_id,
                line_sequence=sequence,
            )
        )
    elif difference.amount < 0:
        for charge in ledger.live_line_charges(line_id, Account.DEPOSIT):
            entries.append(
                ledger.reverse(
                    entry_id=new_id(),
                    target_id=charge.id,
                    reason=f"Deposit {reference} changed",
                    actor=actor,
                    at=at,
                    line_sequence=sequence,
                )
            )
        if new.amount > 0:
            entries.append(
                ledger.add_charge(
                    entry_id=new_id(),
                    amount=new.amount,
                    account=Account.DEPOSIT,
                    category=Category.DEPOSIT,
                    reason=f"Deposit {reference} (changed)",
                    actor=actor,
                    at=at,
                    line_id=line_id,
                    line_sequence=sequence,
                )
            )
    return entries


@dataclass(frozen=True, slots=True)
class Release:
    entries: list[Entry]
    held: Money
    retained: Money
    refunded: Money
    damage_entry_id: str | None  # the damage charge (when something was kept)
    note: str  # why it was kept ("" when released in full)


def clean_note(raw: str | None, *, required: bool) -> str:
    note = " ".join((raw or "").split())
    if required and not note:
        raise ValidationError(
            "Say what was damaged: a note is needed when part of the deposit is kept.",
            field="note",
        )
    if len(note) > NOTE_MAX:
        raise ValidationError(f"The note can be at most {NOTE_MAX} characters.", field="note")
    return note


def check_releasable(ledger: Ledger) -> Money:
    """The deposit held, when it can be released; ConflictError otherwise."""
    state = ledger.deposit_state()
    if state == DepositState.NOT_PAID:
        raise ConflictError("No deposit is held for this order, so there is nothing to release.")
    if state != DepositState.HELD:
        raise ConflictError(
            f"The deposit of this order was released already ({state.value}); it cannot be "
            "released twice."
        )
    return deposit_held(ledger)


def check_keep(ledger: Ledger, keep: Decimal, held: Money) -> Money:
    """The amount kept for damage: zero (release in full) up to the deposit held."""
    if isinstance(keep, float) or not isinstance(keep, Decimal | int):
        raise TypeError("Ledger amounts are Decimals, never floats.")
    keep = Decimal(keep)
    if not keep.is_finite():
        raise ValidationError("The amount kept must be a number.", field="keep")
    if keep < 0:
        raise ValidationError("The amount kept cannot be negative.", field="keep")
    if keep == 0:
        return Money(Decimal(0), ledger.currency)
    kept = check_amount(keep, ledger.currency, field="keep")
    if kept > held:
        raise ValidationError(
            f"You can keep at most the deposit held: {held.format()}.", field="keep"
        )
    return kept


def release_deposit(
    ledger: Ledger,
    *,
    keep: Decimal,
    note: str,
    method: Method,
    actor: str,
    at: datetime,
    new_id: Callable[[], str],
) -> Release:
    """Release the deposit held: keep `keep` for damage (0: release in full; `note` required
    then) and refund the rest by `method`. Refused (nothing appended) when no deposit is held,
    when it was released already, or `keep` is negative, more than held or has too many
    decimals."""
    held = check_releasable(ledger)
    kept = check_keep(ledger, keep, held)
    note = clean_note(note, required=kept.amount > 0)
    rest = held - kept
    start = len(ledger.entries)
    try:
        entries = [
            ledger.reverse(
                entry_id=new_id(), target_id=c.id, reason="Deposit released", actor=actor, at=at
            )
            for c in ledger.entries
            if c.account == Account.DEPOSIT
            and c.kind == EntryKind.CHARGE
            and c.category == Category.DEPOSIT
            and not c.reverses
            and ledger.reversal_of(c.id) is None
        ]
        damage_id = None
        if kept.amount > 0:
            damage = ledger.add_charge(
                entry_id=new_id(),
                amount=kept.amount,
                account=Account.DEPOSIT,
                category=Category.DAMAGE,
                reason=note,
                actor=actor,
                at=at,
            )
            damage_id = damage.id
            entries.append(damage)
        if rest.amount > 0:
            entries.append(
                ledger.issue_refund(
                    entry_id=new_id(),
                    amount=rest.amount,
                    account=Account.DEPOSIT,
                    method=method,
                    reference="",
                    reason="Deposit released"
                    if kept.amount == 0
                    else f"Deposit released; {kept.format()} kept for damage",
                    actor=actor,
                    at=at,
                )
            )
    except BaseException:
        del ledger.entries[start:]  # all or nothing
        raise
    return Release(entries, held, kept, rest, damage_id, note if kept.amount > 0 else "")
