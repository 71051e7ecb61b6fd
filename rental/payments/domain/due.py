"""What is due when (pure): the lines the booking pages show from the shop's payment policy —
the rental total and when it is paid, the refundable deposit and when it is due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from rental.payments.domain.policy import DepositRule, PaymentPolicy, RentalDue
from rental.shared.money import Money


@dataclass(frozen=True, slots=True)
class DueItem:
    code: str  # "rental" | "deposit"
    label: str  # "Rental", "Refundable deposit"
    amount: Money
    when: str  # "Pay at pick-up."
    vat: str = ""  # "incl. 19 % VAT": the amount has the VAT a net policy adds


def vat_statement(policy: PaymentPolicy) -> str:
    """The sentence under the amounts due: 'Prices include 19 % VAT.' for a gross policy with
    VAT; '' otherwise (a net policy says 'incl. 19 % VAT' at the rental's amount)."""
    if policy.charges_vat and policy.prices_include_vat:
        return f"Prices include {policy.vat_percent} VAT."
    return ""


def price_vat_note(policy: PaymentPolicy) -> str:
    """What a net price (Booking's quote, a rate card) says next to its total: 'plus 19 %
    VAT' under a net policy with VAT; '' otherwise."""
    return f"plus {policy.vat_percent} VAT" if policy.adds_vat else ""


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


def what_is_due(
    policy: PaymentPolicy,
    total: Money,
    deposit: Money | None,
    line_totals: Iterable[Money] | None = None,
) -> list[DueItem]:
    """The rental (always) and the deposit (when there is one), with when each is due. The
    rental is what the customer pays: under a net policy Booking's `total` with the VAT added
    as the ledger charges it — per booking line when `line_totals` are given (so the sum is
    the ledger's to the cent). The deposit carries no VAT."""
    vat = ""
    if policy.adds_vat:
        lines = list(line_totals) if line_totals is not None else [total]
        total = policy.gross_total(lines, total.currency)
        vat = f"incl. {policy.vat_percent} VAT"
    items = [DueItem("rental", "Rental", total, rental_when(policy), vat)]
    if deposit is not None and deposit.amount > 0:
        items.append(DueItem("deposit", "Refundable deposit", deposit, deposit_when(policy)))
    return items
