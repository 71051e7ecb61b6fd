"""The shop's settings row (mappers to_domain / to_entity)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from rental.shared.time_range import utcnow
from rental.shop.domain.models import (
    DEFAULT_GOLD_PERCENT,
    DEFAULT_SILVER_PERCENT,
    ShopSettings,
    hours_from_data,
    hours_to_data,
)
from rental.shop.infrastructure.entities import SETTINGS_ID, ShopSettingsEntity


def to_domain(e: ShopSettingsEntity) -> ShopSettings:
    return ShopSettings(
        name=e.name or "",
        address=e.address or "",
        phone=e.phone or "",
        email=e.email or "",
        hours=hours_from_data(e.opening_hours),
        pickup_rules=e.pickup_rules or "",
        terms=e.terms or "",
        loyalty_silver_percent=_percent(e.loyalty_silver_percent, DEFAULT_SILVER_PERCENT),
        loyalty_gold_percent=_percent(e.loyalty_gold_percent, DEFAULT_GOLD_PERCENT),
    )


def _percent(value: Decimal | None, default: Decimal) -> Decimal:
    return default if value is None else value.normalize() + 0


def to_entity(settings: ShopSettings, entity: ShopSettingsEntity) -> ShopSettingsEntity:
    entity.name = settings.name
    entity.address = settings.address
    entity.phone = settings.phone
    entity.email = settings.email
    entity.opening_hours = hours_to_data(settings.hours)
    entity.pickup_rules = settings.pickup_rules
    entity.terms = settings.terms
    entity.loyalty_silver_percent = settings.loyalty_silver_percent
    entity.loyalty_gold_percent = settings.loyalty_gold_percent
    entity.updated_at = utcnow()
    return entity


class ShopSettingsRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _entity(self) -> ShopSettingsEntity | None:
        return self._session.scalar(
            select(ShopSettingsEntity).where(ShopSettingsEntity.id == SETTINGS_ID)
        )

    def get(self) -> ShopSettings | None:
        """The saved settings; None when the shop has saved none."""
        entity = self._entity()
        return to_domain(entity) if entity else None

    def save(self, settings: ShopSettings) -> None:
        entity = self._session.get(ShopSettingsEntity, SETTINGS_ID, with_for_update=True)
        if entity is None:
            entity = ShopSettingsEntity(id=SETTINGS_ID)
            self._session.add(entity)
        to_entity(settings, entity)
        self._session.flush()
