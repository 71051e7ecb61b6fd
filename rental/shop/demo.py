"""Demo shop settings: an address, a phone, hours Mon–Fri 07:00–18:00, Sat 08:00–13:00,
Sunday closed (idempotent: kept when the shop has saved its own)."""

from __future__ import annotations

from rental.shop.application.commands import SaveShopSettings
from rental.shop.facade import ShopFacade

WEEKDAY = ("07:00", "18:00")

DEMO = SaveShopSettings(
    name="RentKit Demo Hire",
    address="Hafenstraße 12\n20457 Hamburg",
    phone="+49 40 123456",
    email="hire@example.com",
    week=(WEEKDAY,) * 5 + (("08:00", "13:00"), ("", "")),
    pickup_rules=(
        "Pick up from opening time on your first day and bring the equipment back by closing "
        "time on your last day. Bring photo ID and the card you booked with. Machines go out "
        "cleaned and fuelled; please return them the same way."
    ),
    terms=(
        "Rentals are charged per started hour or per calendar day as quoted. The deposit is "
        "refunded when the equipment comes back undamaged. You may cancel free of charge until "
        "4 days before the rental starts; after that cancelling costs 25 % of the rental. "
        "The hirer is responsible for the equipment while it is out."
    ),
)


def seed_shop() -> None:
    shop = ShopFacade()
    if shop.get_settings().is_empty:
        shop.save_settings(DEMO)
