"""The kits repository: Kit in, Kit out; its components are rewritten with it."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from rental.catalog.domain.kits import OWN_RATES, SUM_LESS_DISCOUNT, Kit, KitComponent, KitRates
from rental.catalog.infrastructure.entities import (
    EquipmentTypeEntity,
    KitComponentEntity,
    KitEntity,
)
from rental.catalog.infrastructure.repositories import stored_image
from rental.shared.money import Money, minor_units
from rental.shared.time_range import utcnow


class KitRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, kit_id: str) -> Kit | None:
        entity = self._session.get(KitEntity, kit_id)
        if entity is None:
            return None
        rows = self._session.execute(
            select(KitComponentEntity.equipment_type_id, KitComponentEntity.quantity)
            .where(KitComponentEntity.kit_id == kit_id)
            .order_by(KitComponentEntity.position)
        )
        return Kit(
            id=entity.id,
            name=entity.name,
            slug=entity.slug,
            description=entity.description or "",
            discount_percent=Decimal(entity.discount_percent or 0),
            components=[KitComponent(type_id, qty) for type_id, qty in rows],
            active=bool(entity.active),
            image=stored_image(entity),
            image_alt=entity.image_alt or "",
            rates=kit_rates(
                entity.pricing,
                entity.hourly_rate,
                entity.daily_rate,
                entity.weekly_rate,
                entity.rate_currency,
            ),
        )

    def slug_taken(self, slug: str, except_id: str | None = None) -> bool:
        query = select(KitEntity.id).where(KitEntity.slug == slug)
        if except_id:
            query = query.where(KitEntity.id != except_id)
        return self._session.scalar(query) is not None

    def active_type_ids(self, type_ids: set[str]) -> set[str]:
        """Which of these equipment types exist and are active."""
        if not type_ids:
            return set()
        query = select(EquipmentTypeEntity.id).where(
            EquipmentTypeEntity.id.in_(sorted(type_ids)), EquipmentTypeEntity.active.is_(True)
        )
        return set(self._session.scalars(query))

    def add(self, kit: Kit) -> None:
        now = utcnow()
        entity = KitEntity(id=kit.id, created_at=now, updated_at=now)
        self._apply(entity, kit)
        self._session.add(entity)
        self._session.flush()
        self._write_components(kit)

    def save(self, kit: Kit) -> None:
        entity = self._session.get(KitEntity, kit.id)
        assert entity is not None
        self._apply(entity, kit)
        entity.updated_at = utcnow()
        self._session.flush()
        self._write_components(kit)

    @staticmethod
    def _apply(entity: KitEntity, kit: Kit) -> None:
        entity.name = kit.name
        entity.slug = kit.slug
        entity.description = kit.description
        entity.discount_percent = kit.discount_percent
        entity.active = kit.active
        entity.image_key = kit.image.key if kit.image else None
        entity.image_width = kit.image.width if kit.image else None
        entity.image_height = kit.image.height if kit.image else None
        entity.image_alt = kit.image_alt
        rates = kit.rates
        entity.pricing = OWN_RATES if rates else SUM_LESS_DISCOUNT
        entity.hourly_rate = rates.hourly.amount if rates else None
        entity.daily_rate = rates.daily.amount if rates else None
        entity.weekly_rate = rates.weekly.amount if rates and rates.weekly else None
        entity.rate_currency = rates.currency if rates else None

    def _write_components(self, kit: Kit) -> None:
        self._session.execute(delete(KitComponentEntity).where(KitComponentEntity.kit_id == kit.id))
        self._session.add_all(
            KitComponentEntity(
                kit_id=kit.id,
                equipment_type_id=c.equipment_type_id,
                quantity=c.quantity,
                position=position,
            )
            for position, c in enumerate(kit.components)
        )
        self._session.flush()


def kit_rates(
    pricing: str | None,
    hourly: Decimal | None,
    daily: Decimal | None,
    weekly: Decimal | None,
    currency: str | None,
) -> KitRates | None:
    """The stored own rates; None for a kit priced as its components less the discount (or
    rates that are not all there)."""
    if pricing != OWN_RATES or hourly is None or daily is None or not currency:
        return None

    def money(value: Decimal) -> Money:
        return Money(Decimal(value).quantize(Decimal(1).scaleb(-minor_units(currency))), currency)

    return KitRates(money(hourly), money(daily), money(weekly) if weekly is not None else None)
