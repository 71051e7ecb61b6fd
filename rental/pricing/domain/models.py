"""Pricing domain: rate cards and the quote arithmetic. Pure Python (no Flask, no SQLAlchemy).

The rental charge for one unit is the cheapest way to cover the period with started hours,
days (24 h) and weeks (7 days): a partial day costs min(hours x hourly, daily) and a partial
week costs min(days and hours, weekly). Amounts stay exact Decimals until the final total,
which is rounded once to the currency's minor unit."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from rental.shared.errors import ValidationError
from rental.shared.money import Money, minor_units
from rental.shared.time_range import TimeRange

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)
TIMES = "\u00d7"  # the multiplication sign in quote lines


@dataclass(frozen=True, slots=True)
class RateCard:
    equipment_type_id: str
    hourly: Money
    daily: Money
    weekly: Money | None = None
    minimum_duration: timedelta = HOUR
    deposit: Money | None = None

    def __post_init__(self) -> None:
        currency = self.hourly.currency
        errors: dict[str, str] = {}
        for name, label, amount in (
            ("hourly", "hourly rate", self.hourly),
            ("daily", "daily rate", self.daily),
            ("weekly", "weekly rate", self.weekly),
            ("deposit", "deposit", self.deposit),
        ):
            if amount is None:
                continue
            if amount.currency != currency:
                errors[name] = "All amounts of a rate card use the same currency."
            elif amount.amount <= 0 and name != "deposit":
                errors[name] = f"The {label} must be more than zero."
            elif amount.amount < 0:
                errors[name] = f"The {label} cannot be negative."
            elif amount.amount != amount.rounded().amount:
                digits = minor_units(currency)
                errors[name] = (
                    f"The {label} can have at most {digits} decimal"
                    f"{'s' if digits != 1 else ''} in {currency}."
                )
        if self.minimum_duration < timedelta(0):
            errors["minimum_duration"] = "The minimum rental cannot be negative."
        elif self.minimum_duration > timedelta(days=90):
            errors["minimum_duration"] = "The minimum rental can be at most 90 days."
        if errors:
            raise ValidationError(next(iter(errors.values())), errors=errors)

    @property
    def currency(self) -> str:
        return self.hourly.currency


@dataclass(frozen=True, slots=True)
class QuoteLine:
    label: str
    amount: Money


@dataclass(frozen=True, slots=True)
class Quote:
    lines: list[QuoteLine]
    subtotal: Money
    discounts: list[QuoteLine]
    deposit: Money
    total: Money
    currency: str
    duration: timedelta
    quantity: int = 1
    equipment_type_id: str = ""

    @property
    def has_deposit(self) -> bool:
        return not self.deposit.is_zero


@dataclass(frozen=True, slots=True)
class DiscountContext:
    """What a discount rule sees: the request and the undiscounted charge."""

    equipment_type_id: str
    period: TimeRange
    quantity: int
    customer_id: str | None
    subtotal: Money


# A discount rule returns lines with negative amounts (e.g. "Gold member -10%": -12.00 EUR).
DiscountRule = Callable[[DiscountContext], Sequence[QuoteLine]]


@dataclass(frozen=True, slots=True)
class Breakdown:
    """How one unit is charged: counts of weeks, days and hours with their unit prices."""

    weeks: int
    week_price: Money
    days: int
    day_price: Money
    hours: int
    hour_price: Money

    @property
    def total(self) -> Money:
        return (
            self.week_price * self.weeks
            + self.day_price * self.days
            + (self.hour_price * self.hours)
        )


def billable_hours(duration: timedelta) -> int:
    """Started hours: 61 minutes is 2 hours."""
    whole, rest = divmod(duration, HOUR)
    return int(whole) + (1 if rest else 0)


def cheapest_breakdown(card: RateCard, duration: timedelta) -> Breakdown:
    hourly = card.hourly
    day = min(card.daily, hourly * 24)
    week = min(card.weekly, day * 7) if card.weekly is not None else day * 7
    hours_total = billable_hours(duration)
    weeks, rest = divmod(hours_total, 24 * 7)
    days, hours = divmod(rest, 24)

    # A partial day costs at most a day; a partial week at most a week.
    if hours and hourly * hours >= day:
        days, hours = days + 1, 0
    if days == 7:  # the rounded-up day completed a week
        weeks, days = weeks + 1, 0
    if (days or hours) and day * days + hourly * hours >= week:
        weeks, days, hours = weeks + 1, 0, 0
    return Breakdown(weeks, week, days, day, hours, hourly)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def quote(
    card: RateCard,
    period: TimeRange,
    quantity: int,
    *,
    name: str = "this equipment",
    customer_id: str | None = None,
    discount_rules: Sequence[DiscountRule] = (),
) -> Quote:
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationError("Rent at least one unit.", field="quantity")
    duration = period.duration
    if duration < card.minimum_duration:
        raise ValidationError(
            f"The minimum rental for {name} is {describe_duration(card.minimum_duration)}.",
            field="end",
        )
    b = cheapest_breakdown(card, duration)
    per = f" {TIMES} {quantity} units" if quantity > 1 else ""
    lines = [
        QuoteLine(f"{_plural(count, unit)} {TIMES} {price.format()}{per}", price * count * quantity)
        for count, unit, price in (
            (b.weeks, "week", b.week_price),
            (b.days, "day", b.day_price),
            (b.hours, "hour", b.hour_price),
        )
        if count
    ]
    currency = card.currency
    subtotal = sum((line.amount for line in lines), Money.zero(currency))
    context = DiscountContext(card.equipment_type_id, period, quantity, customer_id, subtotal)
    discounts = [
        line for rule in discount_rules for line in rule(context) if not line.amount.is_zero
    ]
    total = subtotal + sum((d.amount for d in discounts), Money.zero(currency))
    if total.amount < 0:
        total = Money.zero(currency)
    deposit = (card.deposit or Money.zero(currency)) * quantity
    return Quote(
        lines=lines,
        subtotal=subtotal.rounded(),
        discounts=discounts,
        deposit=deposit.rounded(),
        total=total.rounded(),
        currency=currency,
        duration=duration,
        quantity=quantity,
        equipment_type_id=card.equipment_type_id,
    )


def describe_duration(duration: timedelta) -> str:
    """timedelta(hours=2) -> '2 hours', timedelta(days=1, hours=12) -> '1 day 12 hours'."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [_plural(n, u) for n, u in ((days, "day"), (hours, "hour"), (mins, "minute")) if n]
    return " ".join(parts) or "0 minutes"


@dataclass
class DiscountRules:
    """The pluggable list of discount rules (CRM adds loyalty discounts here)."""

    rules: list[DiscountRule] = field(default_factory=list)

    def add(self, rule: DiscountRule) -> None:
        if rule not in self.rules:
            self.rules.append(rule)
