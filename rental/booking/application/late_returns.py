"""Late returns at the counter: the late fee a line back after its end plus the grace period
owes (proposed on the staff page, from the rate card), and staff's decision at the line's
final check-in — charged in the same transaction as the return, or waived with a reason.

One fee per line, at the check-in that brings its last item back, computed up to that moment
(each unit with the moment it came back: an item returned earlier counts its own lateness), so
a later check-in never charges the same lateness again (Payments records one decision per
line)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rental.booking.domain.models import Reservation
from rental.inventory import InventoryFacade
from rental.payments import LateFee, LateFeeDecision, PaymentsFacade, SettleLateFee
from rental.shared.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class LateFeeChoice:
    """What the return form says about a late fee: added (the default) or waived, with the
    reason a waiver needs."""

    waive: bool = False
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ReturnOutcome:
    still_out: int  # items of the line still out (0: the line is completed)
    late_fee: LateFeeDecision | None = None  # charged or waived at this (final) check-in
    problem: str = ""  # a late fee that could not be charged, said for staff


class LateReturns:
    def __init__(
        self,
        inventory: InventoryFacade,
        payments: PaymentsFacade,
        timezone: tzinfo,
        clock: Callable[[], datetime],
    ) -> None:
        self._inventory = inventory
        self._payments = payments
        self._tz = timezone
        self._clock = clock

    def _back_at(self, reservation: Reservation, now: datetime) -> list[datetime]:
        """When each unit handed over came back: RETURNED ones then, those still out now."""
        moments = []
        for a in self._inventory.list_allocations_for_reservation(reservation.id):
            if a.status == "RETURNED" and a.returned_at is not None:
                moments.append(a.returned_at)
            elif a.status == "PICKED_UP":
                moments.append(now)
        return moments

    def proposal(self, reservation: Reservation) -> LateFee | None:
        """For the return form: the fee if everything still out came back now (None: on
        time, within the grace, no rate card, or not on hire)."""
        now = self._clock()
        if not reservation.on_hire or now <= reservation.period.end:
            return None
        return self._payments.propose_late_fee(
            reservation.equipment_type_id,
            reservation.period.end,
            self._back_at(reservation, now),
            self._tz,
        )

    def settle(
        self, reservation: Reservation, choice: LateFeeChoice, actor: str
    ) -> tuple[LateFeeDecision | None, str]:
        """At the line's final check-in (everything is back, inside its transaction): charge
        or waive the fee it owes, once. A ledger missing (the confirmation's event not
        handled yet) does not stop the return: staff are told to add the fee by hand."""
        fee = self._payments.propose_late_fee(
            reservation.equipment_type_id,
            reservation.period.end,
            self._back_at(reservation, self._clock()),
            self._tz,
        )
        if fee is None:
            return None, ""
        try:
            decision = self._payments.settle_late_fee(
                SettleLateFee(
                    order_id=reservation.order_id or reservation.id,
                    line_id=reservation.id,
                    line_reference=reservation.reference,
                    fee=fee,
                    waive=choice.waive,
                    reason=choice.reason,
                    actor=actor,
                )
            )
        except NotFoundError as exc:  # nothing was written by it
            return None, (
                f"The late fee of {fee.amount.format()} ({fee.description}) was not charged: "
                f"{exc.message} Add it on the Money panel."
            )
        return decision, ""
