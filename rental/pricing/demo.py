"""Demo rate cards for the demo catalog (idempotent: existing cards are left alone)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from rental.catalog import CatalogFacade
from rental.pricing.application.commands import SetRateCard
from rental.pricing.facade import PricingFacade
from rental.shared.errors import NotFoundError

# slug: (hourly, daily, weekly, minimum hours, deposit)
RATES = {
    "mini-excavator": ("35.00", "180.00", "750.00", 4, "500.00"),
    "midi-excavator": ("55.00", "290.00", "1200.00", 4, "1000.00"),
    "concrete-mixer": ("6.00", "28.00", "95.00", 2, "50.00"),
    "plate-compactor": ("9.00", "45.00", "160.00", 2, "100.00"),
    "scissor-lift-8m": ("25.00", "120.00", "480.00", 2, "300.00"),
    "scissor-lift-12m": ("38.00", "195.00", "790.00", 4, "500.00"),
    "boom-lift-16m": ("55.00", "310.00", "1250.00", 4, "800.00"),
    "generator": ("15.00", "85.00", "340.00", 2, "250.00"),
    "petrol-generator-3kva": ("7.00", "35.00", "120.00", 2, "100.00"),
    "pressure-washer": ("9.50", "49.00", "180.00", 2, "100.00"),
    "hot-water-pressure-washer": ("16.00", "89.00", "340.00", 2, "200.00"),
    "floor-scrubber": ("14.00", "75.00", "290.00", 2, "150.00"),
    "dumper": ("18.00", "95.00", "380.00", 2, "200.00"),
}


def seed_pricing() -> None:
    catalog, pricing = CatalogFacade(), PricingFacade()
    for slug, (hourly, daily, weekly, min_hours, deposit) in RATES.items():
        try:
            type_id = catalog.get_equipment_type_by_slug(slug).id
        except NotFoundError:
            continue
        if pricing.get_rate_card(type_id) is not None:
            continue
        pricing.set_rate_card(
            SetRateCard(
                equipment_type_id=type_id,
                hourly=Decimal(hourly),
                daily=Decimal(daily),
                weekly=Decimal(weekly),
                currency="EUR",
                minimum_duration=timedelta(hours=min_hours),
                deposit=Decimal(deposit),
            )
        )
