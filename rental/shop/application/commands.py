"""Shop commands: SaveShopSettings and its handler ShopSettingsCommands (one aggregate, the
settings row). The repository is passed in by the facade."""

from __future__ import annotations

from dataclasses import dataclass

from rental.shop.domain.models import build_settings
from rental.shop.infrastructure.repositories import ShopSettingsRepository


@dataclass(frozen=True, slots=True)
class SaveShopSettings:
    """What staff typed on the settings page, as text (the domain checks it)."""

    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    # (opens, closes) per weekday, Monday first, "HH:MM" or both blank (closed).
    week: tuple[tuple[str, str], ...] = ()
    closed_dates: str = ""
    pickup_rules: str = ""
    terms: str = ""
    # Loyalty discounts, percent (blank: the defaults, 5 and 10).
    loyalty_silver: str = ""
    loyalty_gold: str = ""


class ShopSettingsCommands:
    def __init__(self, settings: ShopSettingsRepository) -> None:
        self._settings = settings

    def save(self, cmd: SaveShopSettings) -> None:
        """Replaces the settings. Raises ValidationError with every faulty field (nothing is
        saved)."""
        form = {
            "name": cmd.name,
            "address": cmd.address,
            "phone": cmd.phone,
            "email": cmd.email,
            "closed_dates": cmd.closed_dates,
            "pickup_rules": cmd.pickup_rules,
            "terms": cmd.terms,
            "loyalty_silver": cmd.loyalty_silver,
            "loyalty_gold": cmd.loyalty_gold,
        }
        self._settings.save(build_settings(form, cmd.week))
