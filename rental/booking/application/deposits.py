"""The deposit at the counter: before equipment is handed over, Payments says what of the
order's deposit is still to be paid. The shop's payment policy decides what then happens —
REQUIRED: the hand-over is refused until staff take it (Money panel); OPTIONAL: staff are
asked first (an InputWarning, confirmed like an early pick-up)."""

from __future__ import annotations

from collections.abc import Callable

from rental.booking.domain.models import Order
from rental.payments import DepositRule, PaymentsFacade
from rental.shared.errors import ConflictError, InputWarning

DEPOSIT_NOT_HELD = "deposit_not_held"


class DepositGate:
    def __init__(self, payments: PaymentsFacade, order: Callable[[str], Order]) -> None:
        self._payments = payments
        self._order = order

    def warnings(self, order_id: str) -> list[InputWarning]:
        """Nothing when the order's deposit is paid (or it has none); ConflictError when the
        policy requires it; else the warning staff confirm to hand over without it."""
        order = self._order(order_id)
        expected = {r.id: r.quote.deposit for r in order.live_lines if r.quote.deposit.amount > 0}
        due = self._payments.deposit_due(order.id, expected)
        if due is None:
            return []
        if self._payments.get_policy().deposit == DepositRule.REQUIRED:
            raise ConflictError(
                f"Take the deposit of {due.format()} first (Money panel): the shop's payment "
                "policy requires it before the equipment is handed over."
            )
        return [
            InputWarning(
                DEPOSIT_NOT_HELD,
                f"The deposit of {due.format()} has not been paid. Hand the equipment over "
                "without it?",
            )
        ]
