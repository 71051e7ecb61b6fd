"""ShopFacade: the shop's settings. Wiring, unit_of_work and nothing else.

The settings are read once per web request however many modules ask (the footer, the type
page, Booking's opening-hours rule): `rental.shared.request_cache`. Saving forgets them."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from rental.shared.db import db, unit_of_work
from rental.shared.request_cache import cached, forget
from rental.shop.application.commands import SaveShopSettings, ShopSettingsCommands
from rental.shop.application.queries import OpeningHours, ShopQueries, ShopSettings
from rental.shop.infrastructure.repositories import ShopSettingsRepository

_SETTINGS = "shop.settings"


class ShopFacade:
    def get_settings(self) -> ShopSettings:
        """The shop's settings (empty ones when none are saved)."""
        return cached(
            _SETTINGS,
            None,
            lambda: ShopQueries(ShopSettingsRepository(db.session())).settings(),
            across_requests=True,
        )

    def opening_hours(self) -> OpeningHours:
        """The hours (`restricts` is false when the shop has given none)."""
        return self.get_settings().hours

    def phone(self) -> str:
        """The phone number the shop gave ("" when none)."""
        return self.get_settings().phone

    def save_settings(self, cmd: SaveShopSettings) -> None:
        """Raises ValidationError (every faulty field in `errors`); nothing is saved then."""
        try:
            for attempt in (1, 2):
                try:
                    with unit_of_work() as session:
                        ShopSettingsCommands(ShopSettingsRepository(session)).save(cmd)
                    return
                except IntegrityError:
                    # Two first saves at once: the other one inserted the row; update it.
                    if attempt == 2:
                        raise
        finally:
            forget(_SETTINGS)
