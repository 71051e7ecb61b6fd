"""PaymentsFacade: the only way other modules (and the web layer) reach the ledgers.

Wiring and transactions only: each command runs in one `unit_of_work`; the rules live in
`application/` and `domain/`."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, tzinfo

from sqlalchemy.orm import Session

from rental.payments.application.cancellation import CancellationPreview, preview
from rental.payments.application.commands import (
    AddCharge,
    IssueRefund,
    LedgerCommands,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.application.queries import CashUp, LedgerQueries, LedgerView, cash_up
from rental.payments.domain.cancellation import (
    CancellationQuote,
    cancellation_quote,
    describe_fee,
    free_until,
)
from rental.payments.domain.part_cancellation import fees_charged, part_quote
from rental.payments.domain.policy import PaymentPolicy
from rental.payments.infrastructure.daybook import DayBook
from rental.payments.infrastructure.policy import PolicyRepository
from rental.payments.infrastructure.repositories import LedgerRepository
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.money import Money
from rental.shared.request_cache import cached, forget
from rental.shared.time_range import utcnow

_POLICY = "payments.policy"


def ledger_commands(session: Session | None = None) -> LedgerCommands:
    return LedgerCommands(
        LedgerRepository(session or db.session()), clock=utcnow, record=outbox.record
    )


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

    def cancellation_quote(self, total: Money, start: datetime, now: datetime) -> CancellationQuote:
        """What cancelling a confirmed rental of `total` starting at `start` costs at `now`,
        by the shop's policy (domain/cancellation.py): the one rule the pages' preview and
        the charge both use."""
        return cancellation_quote(self.get_policy(), total, start, now)

    def part_cancellation_quote(
        self, order_id: str, part: Money, order: Money, start: datetime, now: datetime
    ) -> CancellationQuote:
        """What taking `part` out of the order (its confirmed lines total `order`, the part
        included; part == order: the rest is cancelled) costs at `now`, counting the
        cancellation fees the order was charged already (domain/part_cancellation.py)."""
        charged = fees_charged(LedgerRepository(db.session()).get(order_id), part.currency)
        return part_quote(self.get_policy(), part, order, start, now, charged)

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
