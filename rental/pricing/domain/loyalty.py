"""Loyalty pricing: a known customer's tier (CRM's) as a percentage off the rental subtotal.
Pure Python (no Flask, no SQLAlchemy).

The discount is one quote line, "Gold member −10 %": the percentage of the rental subtotal
(never the deposit), rounded to the currency's minor unit, never more than the subtotal (the
total cannot go below zero). Bronze, an unknown customer and an anonymous visitor get none."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from rental.pricing.domain.models import QuoteLine
from rental.shared.money import Money

MINUS = "\u2212"  # the minus sign in "Gold member −10 %"


@dataclass(frozen=True, slots=True)
class LoyaltyDiscount:
    """A customer's loyalty discount: the tier's name ("Gold") and its percentage."""

    tier: str
    percent: Decimal

    @property
    def label(self) -> str:
        percent = self.percent.normalize()
        whole = percent == percent.to_integral_value()
        text = str(int(percent)) if whole else f"{percent:f}"
        return f"{self.tier} member {MINUS}{text} %"

    def line(self, subtotal: Money) -> QuoteLine | None:
        """The discount line on `subtotal` (negative), None when there is nothing off."""
        if self.percent <= 0 or subtotal.amount <= 0:
            return None
        off = (subtotal * (self.percent / 100)).rounded()
        if off > subtotal:
            off = subtotal.rounded()
        if off.is_zero:
            return None
        return QuoteLine(self.label, -off)


def loyalty_discount(
    tier: str, silver_percent: Decimal, gold_percent: Decimal
) -> LoyaltyDiscount | None:
    """The discount of a tier by its name (Bronze, Silver, Gold); None when it has none."""
    percent = {"SILVER": silver_percent, "GOLD": gold_percent}.get(tier.strip().upper())
    if not percent or percent <= 0:
        return None
    return LoyaltyDiscount(tier.strip().capitalize(), Decimal(percent))
