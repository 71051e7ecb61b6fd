"""Shop queries: the settings (the read model is the frozen domain object itself)."""

from __future__ import annotations

from rental.shop.domain.models import DayHours, OpeningHours, ShopSettings
from rental.shop.infrastructure.repositories import ShopSettingsRepository

__all__ = ["DayHours", "OpeningHours", "ShopQueries", "ShopSettings"]


class ShopQueries:
    def __init__(self, settings: ShopSettingsRepository) -> None:
        self._settings = settings

    def settings(self) -> ShopSettings:
        """The saved settings, or empty ones (nothing shown, nothing restricted)."""
        return self._settings.get() or ShopSettings()
