"""Arrange real data through the real facades: a category, equipment types with rate cards
and items, and customers. Used by the booking tests."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from rental.catalog import CatalogFacade, CreateCategory, DefineEquipmentType
from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from rental.inventory import InventoryFacade, RegisterEquipmentBulk
from rental.pricing import PricingFacade, SetRateCard

_counter = itertools.count(1)


@dataclass(frozen=True)
class Fleet:
    type_id: str
    slug: str
    category_id: str
    item_ids: list[str]


def make_category(name: str = "Power") -> str:
    return CatalogFacade().create_category(CreateCategory(name=f"{name} {next(_counter)}"))


def make_type(
    units: int = 3,
    *,
    name: str = "Generator",
    category_id: str | None = None,
    hourly: str = "20.00",
    daily: str = "120.00",
    weekly: str | None = "600.00",
    minimum: timedelta = timedelta(hours=1),
    deposit: str | None = "200.00",
) -> Fleet:
    category_id = category_id or make_category()
    n = next(_counter)
    type_id = CatalogFacade().define_equipment_type(
        DefineEquipmentType(
            name=f"{name} {n}",
            category_id=category_id,
            short_description="Quiet diesel power",
            specs={"power_kw": 16},
        )
    )
    PricingFacade().set_rate_card(
        SetRateCard(
            equipment_type_id=type_id,
            hourly=Decimal(hourly),
            daily=Decimal(daily),
            weekly=Decimal(weekly) if weekly else None,
            minimum_duration=minimum,
            deposit=Decimal(deposit) if deposit else None,
        )
    )
    serials = [f"SN-{n}-{i:03d}-{uuid.uuid4().hex[:4]}" for i in range(units)]
    result = InventoryFacade().register_equipment_bulk(
        RegisterEquipmentBulk(equipment_type_id=type_id, serial_numbers=serials)
    )
    item_ids = [line.item_id for line in result.registered]
    slug = CatalogFacade().get_equipment_type_details(type_id).slug
    return Fleet(type_id, slug, category_id, item_ids)


def make_customer(email: str | None = None) -> str:
    n = next(_counter)
    return CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                name=f"Test Customer {n}",
                email=email or f"customer{n}-{uuid.uuid4().hex[:6]}@example.com",
                phone="+49 30 1234567",
                street="Hauptstr. 1",
                city="Berlin",
                state="Berlin",
                postal_code="10115",
                country="Germany",
            )
        )
    )


def tomorrow_at(hour: int, minute: int = 0, days: int = 1) -> datetime:
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return base + timedelta(days=days, hours=hour, minutes=minute)
