"""The demo shop's payment policy: rental paid at pick-up, deposit required before hand-over,
prices include 19 % VAT, cancelling free until 4 days before the start and 25 % of the rental
after that, 30 minutes' grace on returns (idempotent: kept when the shop saved its own)."""

from __future__ import annotations

from decimal import Decimal

from rental.payments.domain.policy import DepositRule, FeeKind, PaymentPolicy, RentalDue
from rental.payments.facade import PaymentsFacade
from rental.payments.infrastructure.policy import PolicyRepository
from rental.shared.db import db

DEMO = PaymentPolicy(
    rental_due=RentalDue.AT_PICKUP,
    deposit=DepositRule.REQUIRED,
    vat_rate=Decimal("19"),
    prices_include_vat=True,
    vat_id="DE123456789",
    invoice_on_confirm=True,
    cancellation_free_hours=96,
    cancellation_fee=FeeKind.PERCENT,
    cancellation_fee_value=Decimal("25"),
    overdue_grace_minutes=30,
)


def seed_policy() -> None:
    if PolicyRepository(db.session()).get() is None:
        PaymentsFacade().save_policy(DEMO)
