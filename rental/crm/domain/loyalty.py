"""Loyalty: points from completed rentals, the tier they earn, and the tier's expiry (pure).

1 point per 10 units of currency of a completed line's total (rounded down). Tiers by points:
Bronze 0–100, Silver 101–500, Gold 501+. A tier lasts 12 months after the customer's last
qualifying (completed) rental; a tier that expires drops ONE level (and, below Bronze, stays
Bronze), with a new 12 months before the next drop."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from enum import IntEnum

POINTS_PER_UNIT = Decimal(10)  # currency units per point
SILVER_FROM = 101
GOLD_FROM = 501
TIER_MONTHS = 12


class Tier(IntEnum):
    BRONZE = 0
    SILVER = 1
    GOLD = 2

    @property
    def label(self) -> str:
        return self.name.capitalize()

    @classmethod
    def parse(cls, raw: str) -> Tier:
        return cls[raw.strip().upper()]


def tier_for(points: int) -> Tier:
    """The tier `points` earn (negative counts as 0)."""
    if points >= GOLD_FROM:
        return Tier.GOLD
    if points >= SILVER_FROM:
        return Tier.SILVER
    return Tier.BRONZE


def points_for(total: Decimal) -> int:
    """Points a completed line of `total` earns: one per 10 units, rounded down, never < 0."""
    if not total.is_finite() or total <= 0:
        return 0
    return int((total / POINTS_PER_UNIT).to_integral_value(rounding=ROUND_FLOOR))


def add_months(moment: datetime, months: int) -> datetime:
    """`moment` `months` later on the same day of the month (the month's last day if shorter:
    29 February + 12 months = 28 February)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@dataclass(frozen=True)
class LoyaltyStatus:
    points: int = 0
    tier: Tier = Tier.BRONZE
    last_qualifying_at: datetime | None = None
    tier_expires_at: datetime | None = None  # None: nothing to expire (Bronze)

    def __post_init__(self) -> None:
        if self.points < 0:
            raise ValueError("loyalty points are never negative")


def qualify(status: LoyaltyStatus, points: int, at: datetime) -> LoyaltyStatus:
    """A completed rental earning `points` at `at`: points added, the tier they earn now,
    12 more months for it (from the latest qualifying rental)."""
    total = status.points + max(points, 0)
    last = at if status.last_qualifying_at is None else max(status.last_qualifying_at, at)
    tier = tier_for(total)
    return LoyaltyStatus(
        points=total,
        tier=tier,
        last_qualifying_at=last,
        tier_expires_at=None if tier == Tier.BRONZE else add_months(last, TIER_MONTHS),
    )


def take_back(status: LoyaltyStatus, points: int) -> LoyaltyStatus:
    """A completed rental cancelled after all: its points taken back (never below 0). The tier
    never rises from this; it falls if the points left no longer earn it."""
    left = max(status.points - max(points, 0), 0)
    tier = min(status.tier, tier_for(left))
    return replace(
        status,
        points=left,
        tier=tier,
        tier_expires_at=None if tier == Tier.BRONZE else status.tier_expires_at,
    )


def expire(status: LoyaltyStatus, now: datetime) -> LoyaltyStatus:
    """The daily check: a tier whose expiry has passed drops one level; the lower tier (if
    above Bronze) lasts another 12 months from the old expiry. Points stay."""
    if status.tier_expires_at is None or now < status.tier_expires_at:
        return status
    if status.tier == Tier.BRONZE:
        return replace(status, tier_expires_at=None)
    lower = Tier(status.tier - 1)
    expires = None if lower == Tier.BRONZE else add_months(status.tier_expires_at, TIER_MONTHS)
    return replace(status, tier=lower, tier_expires_at=expires)
