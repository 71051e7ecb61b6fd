"""Pricing: rate cards per equipment type and itemised quotes (the cheapest combination)."""

from rental.pricing.application.commands import SetRateCard
from rental.pricing.domain.loyalty import LoyaltyDiscount
from rental.pricing.domain.models import DiscountContext, Quote, QuoteLine, RateCard
from rental.pricing.facade import PricingFacade, register_discount_rule

__all__ = [
    "DiscountContext",
    "LoyaltyDiscount",
    "PricingFacade",
    "Quote",
    "QuoteLine",
    "RateCard",
    "SetRateCard",
    "register_discount_rule",
]
