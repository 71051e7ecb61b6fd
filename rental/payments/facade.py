"""PaymentsFacade: the only way other modules (and the web layer) reach the ledgers.

Wiring and transactions only: each command runs in one `unit_of_work`; the rules live in
`application/` and `domain/`."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, tzinfo
from typing import Any

from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rental.payments.application.cancellation import CancellationPreview, preview
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
from rental.payments.application.late_fees import LateFeeCommands, SettleLateFee, propose
from rental.payments.application.queries import (
    CashUp,
    CashUpEntry,
    LedgerQueries,
    LedgerView,
    Revenue,
    cash_up,
    revenue_by_day,
    stream_cash_up_entries,
)
from rental.payments.domain.cancellation import (
    CancellationQuote,
    cancellation_quote,
    describe_fee,
    free_until,
)
from rental.payments.domain.late_fee import LateFee, LateFeeDecision, including_vat
from rental.payments.domain.part_cancellation import fees_charged, part_quote
from rental.payments.domain.policy import PaymentPolicy
from rental.payments.infrastructure.damage_photos import damage_photo_files
from rental.payments.infrastructure.daybook import DayBook
from rental.payments.infrastructure.deposits import DamagePhotoRepository
from rental.payments.infrastructure.late_fees import LateFeeRepository
from rental.payments.infrastructure.policy import PolicyRepository
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.pricing import PricingFacade
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.images import StoredImage
from rental.shared.images.processing import ProcessedImage
from rental.shared.money import Money
from rental.shared.request_cache import cached, forget
from rental.shared.time_range import utcnow

_POLICY = "payments.policy"


def _clock() -> Callable[[], datetime]:
    """The time entries are recorded at: the real time, or `app.extensions["payments.clock"]`
    (the demo seeds a month of past hires, like Booking's and Inventory's clocks)."""
    extensions: Any = current_app.extensions if has_app_context() else {}
    return extensions.get("payments.clock") or utcnow


def ledger_commands(session: Session | None = None) -> LedgerCommands:
    return LedgerCommands(
        LedgerRepository(session or db.session()),
        clock=_clock(),
        record=outbox.record,
        policy=PaymentsFacade().get_policy,
    )


def _paid_as(policy: PaymentPolicy, total: Money) -> Money:
    """Booking's total as the ledger holds it: under a net policy rounded, then with the VAT
    added (PaymentPolicy.gross); as it is otherwise."""
    return policy.gross(total.rounded()) if policy.adds_vat else total


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
            _POLICY,
            None,
            lambda: PolicyRepository(db.session()).get() or PaymentPolicy(),
            across_requests=True,
        )

    def save_policy(self, policy: PaymentPolicy) -> None:
        try:
            with unit_of_work() as session:
                PolicyRepository(session).save(policy, utcnow())
        finally:
            forget(_POLICY)

    def cancellation_quote(self, total: Money, start: datetime, now: datetime) -> CancellationQuote:
        """What cancelling a confirmed rental of `total` starting at `start` costs at `now`,
        by the shop's policy (domain/cancellation.py): the one rule the pages' preview and
        the charge both use. `total` is Booking's (net under a net policy): the fee is taken
        from what the customer pays (PaymentPolicy.gross), as the ledger charges it."""
        policy = self.get_policy()
        return cancellation_quote(policy, _paid_as(policy, total), start, now)

    def part_cancellation_quote(
        self, order_id: str, part: Money, order: Money, start: datetime, now: datetime
    ) -> CancellationQuote:
        """What taking `part` out of the order (its confirmed lines total `order`, the part
        included; part == order: the rest is cancelled) costs at `now`, counting the
        cancellation fees the order was charged already (domain/part_cancellation.py).
        `part` and `order` are Booking's totals (net under a net policy): the fee is worked
        out on what the customer pays (PaymentPolicy.gross), as the ledger holds it."""
        charged = fees_charged(LedgerRepository(db.session()).get(order_id), part.currency)
        policy = self.get_policy()
        gross_part = _paid_as(policy, part)
        gross_order = gross_part if part >= order else _paid_as(policy, order)
        return part_quote(policy, gross_part, gross_order, start, now, charged)

    def cancellation_terms(self, start: datetime, currency: str) -> tuple[str, datetime | None]:
        """The policy's fee in words and the moment it starts to apply for a rental starting
        at `start` (("", None) when cancelling is free until the start)."""
        policy = self.get_policy()
        return describe_fee(policy, currency), free_until(policy, start)

    def cancellation_preview(
        self, order_id: str, line_ids: Iterable[str], quote: CancellationQuote | None
    ) -> CancellationPreview:
        """The order's balance once the lines are cancelled with the quoted fee."""
        return preview(LedgerRepository(db.session()).get(order_id), line_ids, quote)

    def get_ledger(self, order_id: str) -> LedgerView | None:
        """The order's ledger, or None when nothing was charged or paid for it yet."""
        return LedgerQueries(LedgerRepository(db.session())).get_ledger(order_id)

    def cash_up(self, day: date, tz: tzinfo) -> CashUp:
        """The day-end cash-up: payments and refunds recorded on the local `day` (in `tz`),
        totals per method; reversed entries shown but not counted."""
        return cash_up(DayBook(db.session()), day, tz)

    def export_cash_up(self, day: date, tz: tzinfo) -> Iterator[list[CashUpEntry]]:
        """The cash-up's entries of `day`, read a batch at a time once iterated — on the
        session of the context iterating them (a streamed response's request, which outlives
        the view's)."""

        def batches() -> Iterator[list[CashUpEntry]]:
            yield from stream_cash_up_entries(DayBook(db.session()), day, tz)

        return batches()

    def revenue_by_day(self, first: date, last: date, tz: tzinfo, currency: str) -> Revenue:
        """Rental revenue (payments − refunds on the rental account; deposits are held, not
        earned) per local day from `first` to `last`, in `currency` (the staff dashboard's
        revenue chart)."""
        return revenue_by_day(DayBook(db.session()), first, last, tz, currency)

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

    # --- late fees (application/late_fees.py) --------------------------------------------------

    def propose_late_fee(
        self,
        equipment_type_id: str,
        due_at: datetime,
        returned: Sequence[datetime],
        timezone: tzinfo,
    ) -> LateFee | None:
        """The late fee for units of the type due back at `due_at` and back at `returned`
        (one moment per unit), from its rate card and the shop's grace period; None when
        none is late beyond the grace, or the type has no rate card."""
        policy = self.get_policy()
        fee = propose(
            PricingFacade(), equipment_type_id, due_at, returned, policy.overdue_grace, timezone
        )
        return including_vat(fee, policy)  # a net rate card: what the customer pays

    def settle_late_fee(self, command: SettleLateFee) -> LateFeeDecision:
        """Charge (a LATE_FEE charge on the rental account) or waive a line's late fee, once
        per line: a second call returns the first decision and writes nothing. Two decided
        at the same moment: the line's primary key refuses the second (ConflictError; its
        transaction — with its charge — rolls back)."""
        try:
            with unit_of_work() as session:
                return LateFeeCommands(
                    LateFeeRepository(session), ledger_commands(session), _clock()
                ).settle(command)
        except IntegrityError:
            raise ConflictError(
                "The late fee of this line was decided by someone else at the same moment; "
                "nothing was saved. Reload the page to see it."
            ) from None

    def get_late_fee_decision(self, line_id: str) -> LateFeeDecision | None:
        return LateFeeRepository(db.session()).get(line_id)

    def list_late_fee_decisions(self, order_id: str) -> list[LateFeeDecision]:
        return LateFeeRepository(db.session()).for_order(order_id)

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
