"""The loyalty mail: "You are now a Silver/Gold member", when CRM's `LoyaltyTierChanged` says
a customer's tier went UP (a drop sends nothing). It is marketing — the customer did not ask
for it — so it goes only to a customer whose communication preferences (CRM) say yes to
marketing e-mail, asked at send time (senders.may_send); all are off by default.

The percentage off is the shop's setting for the tier (ShopFacade), as Pricing quotes it.
Keyed on the change's ID: one mail per change, none again on redelivery; a customer who
drops and reaches Silver again gets a new one. `crm rebuild` publishes no changes, so it
sends nothing."""

from __future__ import annotations

from decimal import Decimal

from rental.crm import LoyaltyTierChanged, Tier
from rental.notifications.application.senders import (
    compose_and_send,
    customer_address,
    external_url,
    may_send,
)
from rental.notifications.domain.consent import MARKETING
from rental.notifications.domain.notification import LOYALTY_TIER_UP
from rental.notifications.infrastructure.messages import already_sent
from rental.shop import ShopFacade


def _percent(value: Decimal | None) -> str:
    if not value or value <= 0:
        return ""
    value = value.normalize()
    return str(int(value)) if value == value.to_integral_value() else f"{value:f}"


def send_tier_up(event: LoyaltyTierChanged) -> None:
    if not event.is_up:
        return
    key = f"{LOYALTY_TIER_UP}:{event.change_id}"
    if already_sent(key) or not may_send(event.customer_id, MARKETING):
        return
    contact = customer_address(event.customer_id)
    if contact is None:
        return
    shop = ShopFacade().get_settings()
    shop_name = shop.name or "RentKit"
    tier = Tier.parse(event.new_tier)
    percent = {
        Tier.SILVER: shop.loyalty_silver_percent,
        Tier.GOLD: shop.loyalty_gold_percent,
    }.get(tier)
    compose_and_send(
        key,
        LOYALTY_TIER_UP,
        contact[1],
        f"You are now a {tier.label} member – {shop_name}",
        {
            "shop": shop,
            "shop_name": shop_name,
            "customer_name": contact[0],
            "tier": tier.label,
            "points": event.points,
            "percent": _percent(percent),
            "book_url": external_url("storefront.catalog"),
        },
        customer_id=event.customer_id,
    )
