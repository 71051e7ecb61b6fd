"""PaymentsFacade: the only way other modules (and the web layer) reach the ledgers.

Wiring and transactions only: each command runs in one `unit_of_work`; the rules live in
`application/` and `domain/`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from sqlalchemy.orm import Session

from rental.payments.application.commands import (
    AddCharge,
    IssueRefund,
    LedgerCommands,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.application.deposits import (
    DepositCommands,
    DepositReleaseResult,
    ReleaseDeposit,
    deposit_due,
)
from rental.payments.application.queries import LedgerQueries, LedgerView
from rental.payments.domain.policy import PaymentPolicy
from rental.payments.infrastructure.damage_photos import damage_photo_files
from rental.payments.infrastructure.deposits import DamagePhotoRepository
from rental.payments.infrastructure.policy import PolicyRepository
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.images import StoredImage
from rental.shared.images.processing import ProcessedImage
from rental.shared.money import Money
from rental.shared.request_cache import cached, forget
from rental.shared.time_range import utcnow

_POLICY = "payments.policy"


def ledger_commands(session: Session | None = None) -> LedgerCommands:
    return LedgerCommands(
        LedgerRepository(session or db.session()), clock=utcnow, record=outbox.record
    )


def _positive(amount: object) -> bool:
    try:
        return amount > 0  # type: ignore[operator]
    except (TypeError, ArithmeticError):  # NaN, not a number: refused by the command itself
        return False


class PaymentsFacade:
    """Commands run in one transaction each (joining the caller's, if any) and return the new
    entry's ID. Errors: ValidationError (amount, reason…), NotFoundError (no ledger, no such
    entry), ConflictError (balance changed meanwhile, reversed already), NeedsConfirmation
    (a payment above the balance; a reversal, which asks first)."""

    def get_policy(self) -> PaymentPolicy:
        """The shop's payment policy (the defaults when none is saved); read once per request."""
        return cached(
            _POLICY, None, lambda: PolicyRepository(db.session()).get() or PaymentPolicy()
        )

    def save_policy(self, policy: PaymentPolicy) -> None:
        try:
            with unit_of_work() as session:
                PolicyRepository(session).save(policy, utcnow())
        finally:
            forget(_POLICY)

    def get_ledger(self, order_id: str) -> LedgerView | None:
        """The order's ledger, or None when nothing was charged or paid for it yet."""
        return LedgerQueries(LedgerRepository(db.session())).get_ledger(order_id)

    def record_payment(self, command: RecordPayment) -> str:
        with unit_of_work() as session:
            return ledger_commands(session).record_payment(command)

    def issue_refund(self, command: IssueRefund) -> str:
        with unit_of_work() as session:
            return ledger_commands(session).issue_refund(command)

    def add_charge(self, command: AddCharge) -> str:
        with unit_of_work() as session:
            return ledger_commands(session).add_charge(command)

    def reverse_entry(self, command: ReverseEntry) -> str:
        with unit_of_work() as session:
            return ledger_commands(session).reverse_entry(command)

    # --- deposits (application/deposits.py) --------------------------------------------------

    def deposit_due(self, order_id: str, expected: Mapping[str, Money]) -> Money | None:
        """What of the order's deposit is still to be paid before the hand-over (None:
        nothing). `expected`: each live line's deposit as Booking knows it (line ID → deposit),
        counted for the lines Payments has not charged yet."""
        return deposit_due(LedgerRepository(db.session()), order_id, expected)

    def release_deposit(
        self, command: ReleaseDeposit, photo: ProcessedImage | None = None
    ) -> DepositReleaseResult:
        """Release the deposit held (after the return): keep `command.keep` for damage (with a
        note and the optional photo, only shown to staff) and refund the rest, in one
        transaction. Errors: ConflictError (nothing held, released already), ValidationError
        (keep negative, above what is held, too many decimals; no note)."""
        if photo is not None and not _positive(command.keep):
            photo = None  # released in full: no damage, so no photo to keep
        stored = photo.image if photo is not None else None
        with damage_photo_files(photo), unit_of_work() as session:
            return DepositCommands(
                ledger_commands(session), DamagePhotoRepository(session)
            ).release(replace(command, photo=stored))

    def damage_photos(self, order_id: str) -> dict[str, StoredImage]:
        """The order's damage photos by the damage charge's entry ID (staff only)."""
        return DamagePhotoRepository(db.session()).for_order(order_id)
