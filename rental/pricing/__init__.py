"""Pricing: rate cards per equipment type and itemised quotes (the cheapest combination)."""

from rental.pricing.application.commands import (
    RATE_FORM_FIELDS,
    SetRateCard,
    form_errors,
    rate_card_form,
    read_rate_card_form,
)
from rental.pricing.domain.loyalty import LoyaltyDiscount
from rental.pricing.domain.models import DiscountContext, Quote, QuoteLine, RateCard
from rental.pricing.facade import PricingFacade, register_discount_rule

__all__ = [
    "RATE_FORM_FIELDS",
    "DiscountContext",
    "LoyaltyDiscount",
    "PricingFacade",
    "Quote",
    "QuoteLine",
    "RateCard",
    "SetRateCard",
    "form_errors",
    "rate_card_form",
    "read_rate_card_form",
    "register_discount_rule",
]
