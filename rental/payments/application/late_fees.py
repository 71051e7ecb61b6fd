"""Late fees at check-in: the fee proposed for a line back late (from the type's rate card,
priced by Pricing like a booking of the overdue stretch), and staff's decision — charged to the
rental account as a LATE_FEE charge, or waived with a reason. Both are recorded once per line
(payments_late_fees), so checking in again never charges the same lateness twice."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from rental.payments.application.commands import REASON_MAX, AddCharge, LedgerCommands
from rental.payments.domain.late_fee import LateFee, LateFeeDecision, late_fee, overdue_stretch
from rental.payments.domain.ledger import Account, Category
from rental.payments.infrastructure.late_fees import LateFeeRepository
from rental.pricing import PricingFacade
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.text import clean_line
from rental.shared.time_range import TimeRange


@dataclass(frozen=True, slots=True)
class SettleLateFee:
    """Staff's decision at a line's final check-in: `waive` with a `reason` (required), or
    charge `fee` (the proposal computed in the same transaction)."""

    order_id: str
    line_id: str
    line_reference: str
    fee: LateFee
    waive: bool
    reason: str
    actor: str


def check_waiver(waive: bool, reason: str) -> str:
    """The waiver's reason, cleaned; ValidationError (field `late_fee_reason`) when a waiver
    has none. Checked before anything is written."""
    reason = clean_line(reason or "")[:REASON_MAX]
    if waive and not reason:
        raise ValidationError(
            "Say why the late fee is waived (for example: “customer called ahead”).",
            field="late_fee_reason",
        )
    return reason


def propose(
    pricing: PricingFacade,
    equipment_type_id: str,
    due_at: datetime,
    returned: Sequence[datetime],
    grace: timedelta,
    timezone: tzinfo,
) -> LateFee | None:
    """The fee for units of the type back at `returned` (one moment per unit): None within
    the grace, or when the type has no rate card (nothing to price it by)."""
    if not any(overdue_stretch(due_at, moment, grace) for moment in returned):
        return None  # on time: no rate card to read
    card = pricing.get_rate_card(equipment_type_id)
    if card is None:
        return None

    def price(stretch: TimeRange, units: int) -> tuple[Money, Sequence[str]]:
        quote = pricing.quote_rates(
            card.hourly, card.daily, card.weekly, stretch, units, timezone=timezone
        )
        return quote.total, [line.label for line in quote.lines]

    return late_fee(due_at, returned, grace, price)


class LateFeeCommands:
    def __init__(
        self,
        decisions: LateFeeRepository,
        ledger: LedgerCommands,
        clock: Callable[[], datetime],
    ) -> None:
        self._decisions = decisions
        self._ledger = ledger
        self._clock = clock

    def settle(self, cmd: SettleLateFee) -> LateFeeDecision:
        """Charge or waive the line's late fee; the decision already made when there is one
        (idempotent: nothing new is written). NotFoundError when a fee is to be charged and
        the order has no ledger. The order's ledger row is locked first, so two decisions on
        the same line take turns and the second finds the first."""
        self._ledger.ledgers.get(cmd.order_id, for_update=True)
        existing = self._decisions.get(cmd.line_id)
        if existing is not None:
            return existing
        reason = check_waiver(cmd.waive, cmd.reason)
        entry_id = None
        if not cmd.waive:
            entry_id = self._ledger.add_charge(
                AddCharge(
                    order_id=cmd.order_id,
                    amount=cmd.fee.amount.amount,
                    category=Category.LATE_FEE,
                    account=Account.RENTAL,
                    reason=f"Late return of {cmd.line_reference}: {cmd.fee.description}"[
                        :REASON_MAX
                    ],
                    actor=cmd.actor,
                )
            )
        decision = LateFeeDecision(
            line_id=cmd.line_id,
            order_id=cmd.order_id,
            line_reference=cmd.line_reference,
            amount=cmd.fee.amount,
            late_minutes=int(cmd.fee.late_by.total_seconds() // 60),
            description=cmd.fee.description[:REASON_MAX],
            waived=cmd.waive,
            reason=reason,
            entry_id=entry_id,
            actor=cmd.actor,
            decided_at=self._clock(),
        )
        self._decisions.add(decision)
        return decision
