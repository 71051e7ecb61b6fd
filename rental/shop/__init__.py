"""Shop: who the shop is and when it is open — name, address, phone, e-mail, opening hours
per weekday and closed dates, pick-up/return rules and rental terms.

Other modules and the web layer use only what is exported here."""

from rental.shop.application.commands import SaveShopSettings
from rental.shop.application.queries import DayHours, OpeningHours, ShopSettings
from rental.shop.facade import ShopFacade

__all__ = ["DayHours", "OpeningHours", "SaveShopSettings", "ShopFacade", "ShopSettings"]
