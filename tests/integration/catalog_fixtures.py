"""Small builders shared by the catalog, inventory and pricing integration tests."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from rental.catalog import CatalogFacade, CreateCategory, DefineEquipmentType
from rental.pricing import PricingFacade, SetRateCard


def make_type(
    name: str = "Diesel generator",
    specs: dict | None = None,
    category: str | None = None,
    **kw,
) -> str:
    catalog = CatalogFacade()
    if category is None:
        existing = catalog.get_category_by_slug("power")
        category = existing.id if existing else catalog.create_category(CreateCategory("Power"))
    return catalog.define_equipment_type(
        DefineEquipmentType(
            name=name,
            category_id=category,
            short_description=kw.pop("short_description", f"A {name.lower()}."),
            specs=specs or {},
            **kw,
        )
    )


def price(type_id: str, hourly="20", daily="120", weekly="500", minimum_hours=2, deposit=None):
    return PricingFacade().set_rate_card(
        SetRateCard(
            equipment_type_id=type_id,
            hourly=Decimal(hourly),
            daily=Decimal(daily),
            weekly=Decimal(weekly) if weekly else None,
            minimum_duration=timedelta(hours=minimum_hours),
            deposit=Decimal(deposit) if deposit else None,
        )
    )
