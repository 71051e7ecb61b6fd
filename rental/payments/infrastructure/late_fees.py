"""The late-fee decision per order line (payments_late_fees): charged (with the ledger entry)
or waived (with the reason). One row per line: the primary key is the line, so a line's
lateness is decided once, even by two check-ins racing."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Boolean, Integer, Numeric, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from rental.payments.domain.late_fee import LateFeeDecision
from rental.shared.db import Base, UTCDateTime
from rental.shared.money import Money


class LateFeeEntity(Base):
    __tablename__ = "payments_late_fees"

    line_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    order_id: Mapped[str] = mapped_column(String(36), index=True)
    line_reference: Mapped[str] = mapped_column(String(40), default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 4))
    currency: Mapped[str] = mapped_column(String(3))
    late_minutes: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500), default="")
    waived: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(String(500), default="")
    entry_id: Mapped[str | None] = mapped_column(String(36))
    actor: Mapped[str] = mapped_column(String(254))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)


def to_domain(e: LateFeeEntity) -> LateFeeDecision:
    return LateFeeDecision(
        line_id=e.line_id,
        order_id=e.order_id,
        line_reference=e.line_reference,
        amount=Money(Decimal(e.amount), e.currency),
        late_minutes=e.late_minutes,
        description=e.description,
        waived=e.waived,
        reason=e.reason,
        entry_id=e.entry_id,
        actor=e.actor,
        decided_at=e.decided_at,
    )


class LateFeeRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, line_id: str) -> LateFeeDecision | None:
        entity = self.session.get(LateFeeEntity, line_id)
        return to_domain(entity) if entity else None

    def for_order(self, order_id: str) -> list[LateFeeDecision]:
        rows = self.session.scalars(
            select(LateFeeEntity)
            .where(LateFeeEntity.order_id == order_id)
            .order_by(LateFeeEntity.decided_at, LateFeeEntity.line_id)
        )
        return [to_domain(e) for e in rows]

    def add(self, decision: LateFeeDecision) -> None:
        self.session.add(
            LateFeeEntity(
                line_id=decision.line_id,
                order_id=decision.order_id,
                line_reference=decision.line_reference,
                amount=decision.amount.amount,
                currency=decision.amount.currency,
                late_minutes=decision.late_minutes,
                description=decision.description,
                waived=decision.waived,
                reason=decision.reason,
                entry_id=decision.entry_id,
                actor=decision.actor,
                decided_at=decision.decided_at,
            )
        )
        self.session.flush()
