"""Deposits, the write and read side: `ReleaseDeposit` (staff, after the return) and what is
still due of an order's deposit before the hand-over (Booking asks through the facade).

A release runs in the caller's unit of work under the ledger's row lock (FOR UPDATE), so two
staff releasing at once take turns and the second is refused ("released already"). Its
entries, the damage photo's row and `DepositReleased` are written in that one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from rental.contracts.payments import DepositReleased
from rental.payments.application.commands import LedgerCommands
from rental.payments.domain.deposits import deposit_outstanding, release_deposit
from rental.payments.domain.ledger import Method
from rental.payments.infrastructure.deposits import DamagePhotoRepository
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared.images import StoredImage
from rental.shared.money import Money


@dataclass(frozen=True, slots=True)
class ReleaseDeposit:
    """`keep`: kept for damage (0: release in full); `note` is required when keeping some;
    `photo`: the damage photo already stored (optional); `method`: how the rest goes back."""

    order_id: str
    keep: Decimal
    method: Method
    actor: str
    note: str = ""
    photo: StoredImage | None = None


@dataclass(frozen=True, slots=True)
class DepositReleaseResult:
    held: Money
    retained: Money
    refunded: Money


class DepositCommands:
    """Runs on the ledger commands of the same session: their row lock (`_locked`) and their
    way of appending entries with one event each (`_store`)."""

    def __init__(self, ledgers: LedgerCommands, photos: DamagePhotoRepository) -> None:
        self.ledgers = ledgers
        self.photos = photos

    def release(self, command: ReleaseDeposit) -> DepositReleaseResult:
        ledger = self.ledgers._locked(command.order_id)
        at = self.ledgers.clock()
        release = release_deposit(
            ledger,
            keep=command.keep,
            note=command.note,
            method=command.method,
            actor=command.actor,
            at=at,
            new_id=self.ledgers.new_id,
        )
        self.ledgers._store(ledger, release.entries)
        if command.photo is not None and release.damage_entry_id is not None:
            self.photos.add(ledger.order_id, release.damage_entry_id, command.photo, at)
        self.ledgers.record(
            DepositReleased(
                order_id=ledger.order_id,
                order_reference=ledger.order_reference,
                customer_id=ledger.customer_id,
                held=release.held.rounded(),
                retained=release.retained.rounded(),
                refunded=release.refunded.rounded(),
                note=release.note,
                actor=command.actor,
            )
        )
        return DepositReleaseResult(
            release.held.rounded(), release.retained.rounded(), release.refunded.rounded()
        )


def deposit_due(
    ledgers: LedgerRepository, order_id: str, expected: Mapping[str, Money]
) -> Money | None:
    """What of the order's deposit is still to be paid (None: nothing); `expected` is each
    live line's deposit as Booking knows it (counted for lines the ledger has not charged)."""
    return deposit_outstanding(ledgers.get(order_id), expected)
