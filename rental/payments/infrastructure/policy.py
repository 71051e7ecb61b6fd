"""The payment policy's one row (mappers to_domain / to_entity)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from rental.payments.domain.policy import DepositRule, FeeKind, PaymentPolicy, RentalDue
from rental.payments.infrastructure.entities import POLICY_ID, PolicyEntity


def to_domain(e: PolicyEntity) -> PaymentPolicy:
    return PaymentPolicy(
        rental_due=RentalDue(e.rental_due),
        invoice_days=e.invoice_days,
        deposit=DepositRule(e.deposit),
        vat_rate=Decimal(e.vat_rate),
        prices_include_vat=e.prices_include_vat,
        vat_id=e.vat_id or "",
        invoice_on_confirm=e.invoice_on_confirm,
        cancellation_free_hours=e.cancellation_free_hours,
        cancellation_fee=FeeKind(e.cancellation_fee),
        cancellation_fee_value=Decimal(e.cancellation_fee_value),
        overdue_grace_minutes=e.overdue_grace_minutes,
    )


class PolicyRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self) -> PaymentPolicy | None:
        """The saved policy; None when the shop has saved none."""
        entity = self.session.get(PolicyEntity, POLICY_ID)
        return to_domain(entity) if entity else None

    def save(self, policy: PaymentPolicy, at: datetime) -> None:
        entity = self.session.get(PolicyEntity, POLICY_ID, with_for_update=True)
        if entity is None:
            entity = PolicyEntity(id=POLICY_ID)
            self.session.add(entity)
        entity.rental_due = policy.rental_due.value
        entity.invoice_days = policy.invoice_days
        entity.deposit = policy.deposit.value
        entity.vat_rate = policy.vat_rate
        entity.prices_include_vat = policy.prices_include_vat
        entity.vat_id = policy.vat_id
        entity.invoice_on_confirm = policy.invoice_on_confirm
        entity.cancellation_free_hours = policy.cancellation_free_hours
        entity.cancellation_fee = policy.cancellation_fee.value
        entity.cancellation_fee_value = policy.cancellation_fee_value
        entity.overdue_grace_minutes = policy.overdue_grace_minutes
        entity.updated_at = at
        self.session.flush()
