"""What is due when (pure): the lines the booking pages show from the shop's payment policy —
the rental total and when it is paid, the refundable deposit and when it is due."""

from __future__ import annotations

from dataclasses import dataclass

from rental.payments.domain.policy import DepositRule, PaymentPolicy, RentalDue
from rental.shared.money import Money


@dataclass(frozen=True, slots=True)
class DueItem:
    code: str  # "rental" | "deposit"
    label: str  # "Rental", "Refundable deposit"
    amount: Money
    when: str  # "Pay at pick-up."


def rental_when(policy: PaymentPolicy) -> str:
    if policy.rental_due == RentalDue.AT_RETURN:
        return "Pay when you bring the equipment back."
    if policy.rental_due == RentalDue.BY_INVOICE:
        if policy.invoice_days == 0:
            return "Pay by bank transfer when you receive the invoice."
        days = policy.invoice_days
        return f"Pay by bank transfer within {days} day{'s' if days != 1 else ''} of the invoice."
    return "Pay at pick-up."


def deposit_when(policy: PaymentPolicy) -> str:
    if policy.deposit == DepositRule.REQUIRED:
        return (
            "Due before pick-up: we hand the equipment over once it is paid. You get it back "
            "when the equipment is returned undamaged."
        )
    return "We may ask for it at pick-up. You get it back when the equipment is returned undamaged."


def what_is_due(policy: PaymentPolicy, total: Money, deposit: Money | None) -> list[DueItem]:
    """The rental (always) and the deposit (when there is one), with when each is due."""
    items = [DueItem("rental", "Rental", total, rental_when(policy))]
    if deposit is not None and deposit.amount > 0:
        items.append(DueItem("deposit", "Refundable deposit", deposit, deposit_when(policy)))
    return items
