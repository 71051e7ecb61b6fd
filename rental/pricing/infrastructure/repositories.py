"""Rate card repository (mappers to_domain / to_entity)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rental.pricing.domain.models import RateCard
from rental.pricing.infrastructure.entities import RateCardEntity
from rental.shared.money import Money
from rental.shared.time_range import utcnow


def _money(amount: Decimal | None, currency: str) -> Money | None:
    return None if amount is None else Money(Decimal(amount), currency).rounded()


def to_domain(e: RateCardEntity) -> RateCard:
    return RateCard(
        equipment_type_id=e.equipment_type_id,
        hourly=Money(Decimal(e.hourly), e.currency).rounded(),
        daily=Money(Decimal(e.daily), e.currency).rounded(),
        weekly=_money(e.weekly, e.currency),
        minimum_duration=timedelta(minutes=e.minimum_minutes),
        deposit=_money(e.deposit, e.currency),
    )


def to_entity(card: RateCard, entity: RateCardEntity) -> RateCardEntity:
    entity.equipment_type_id = card.equipment_type_id
    entity.currency = card.currency
    entity.hourly = card.hourly.amount
    entity.daily = card.daily.amount
    entity.weekly = card.weekly.amount if card.weekly else None
    entity.deposit = card.deposit.amount if card.deposit else None
    entity.minimum_minutes = int(card.minimum_duration.total_seconds() // 60)
    entity.updated_at = utcnow()
    return entity


class RateCardRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _entity(self, equipment_type_id: str) -> RateCardEntity | None:
        return self._session.scalar(
            select(RateCardEntity).where(RateCardEntity.equipment_type_id == equipment_type_id)
        )

    def get(self, equipment_type_id: str) -> RateCard | None:
        entity = self._entity(equipment_type_id)
        return to_domain(entity) if entity else None

    def get_many(self, equipment_type_ids: Iterable[str]) -> dict[str, RateCard]:
        ids = list(dict.fromkeys(equipment_type_ids))
        if not ids:
            return {}
        rows = self._session.scalars(
            select(RateCardEntity).where(RateCardEntity.equipment_type_id.in_(ids))
        )
        return {r.equipment_type_id: to_domain(r) for r in rows}

    def save(self, card: RateCard) -> str:
        entity = self._entity(card.equipment_type_id)
        if entity is None:
            entity = RateCardEntity(id=str(uuid.uuid4()))
            self._session.add(entity)
        to_entity(card, entity)
        self._session.flush()
        return entity.id
