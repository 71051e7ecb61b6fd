"""Pricing domain: rate cards and the quote arithmetic. Pure Python (no Flask, no SQLAlchemy).

The rental charge for one unit is the cheapest way to cover the period with started hours,
days and weeks (7 days): a partial day costs min(hours x hourly, daily) and a partial week
costs min(days and hours, weekly). Amounts stay exact Decimals until the final total, which is
rounded once to the currency's minor unit.

Days are calendar days of the business time zone the caller passes in (README, "Booking"): a
day is charged as one day whether a clock change makes it 23, 24 or 25 hours long; the time
beyond the whole days is real elapsed time, in started hours. In UTC a day is 24 hours."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import ROUND_DOWN, Decimal

from rental.shared import local_time
from rental.shared.errors import InputWarning, ValidationError, ensure_confirmed
from rental.shared.money import Money, clean_currency, minor_units
from rental.shared.time_range import TimeRange

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
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
        if errors:
            raise ValidationError(next(iter(errors.values())), errors=errors)

    @property
    def currency(self) -> str:
        return self.hourly.currency


# --- rules for a rate card that staff set -----------------------------------------------------
# RateCard itself only holds what every stored card satisfies, so cards saved by older versions
# still load and price; a card that staff set passes these stricter rules as well.

MAX_RATE = Decimal("1000000")  # per unit and period; fits every amount column, with room
MINIMUM_STEP = timedelta(minutes=15)  # bookings start and end on the 15-minute grid
BOOKING_MAX = timedelta(days=90)  # the longest booking (BOOKING_MAX_DAYS)
DEPOSIT_DAYS = 20  # a deposit above this many days of rent is questioned


@dataclass(frozen=True, slots=True)
class RateCardLimits:
    max_minimum: timedelta = BOOKING_MAX
    minimum_step: timedelta = MINIMUM_STEP

    @classmethod
    def for_bookings(cls, max_days: int, slot_minutes: int) -> RateCardLimits:
        """A minimum rental fits the booking rules: at most the longest booking
        (BOOKING_MAX_DAYS), on the booking grid (BOOKING_SLOT_MINUTES)."""
        return cls(
            max_minimum=timedelta(days=max_days), minimum_step=timedelta(minutes=slot_minutes)
        )


_LABELS = {
    "hourly": "hourly rate",
    "daily": "daily rate",
    "weekly": "weekly rate",
    "deposit": "deposit",
}


def _format(amount: Decimal, currency: str) -> str:
    try:
        return Money(amount, currency).format()
    except ValidationError:  # no usable currency code (reported on its own field)
        return f"{amount:,}"


def _amount_error(name: str, value: Decimal, currency: str) -> str | None:
    label = _LABELS[name]
    if not value.is_finite():
        return f"The {label} is not an amount."
    if name == "deposit":
        if value < 0:
            return "The deposit cannot be negative."
    elif value <= 0:
        return f"The {label} must be more than zero."
    if value > MAX_RATE:
        return f"The {label} can be at most {_format(MAX_RATE, currency)}."
    digits = minor_units(currency)
    if value != value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_DOWN):
        places = "no decimals" if digits == 0 else f"at most {_plural(digits, 'decimal')}"
        return f"The {label} can have {places} in {currency}."
    return None


def _minimum_error(minimum: timedelta, limits: RateCardLimits) -> str | None:
    if minimum <= timedelta(0):
        return "The minimum rental must be more than zero, e.g. 1 hour."
    if minimum > limits.max_minimum:
        return (
            f"The minimum rental can be at most {describe_duration(limits.max_minimum)} "
            "(the longest booking)."
        )
    if minimum % limits.minimum_step:
        step = int(limits.minimum_step / timedelta(minutes=1))
        return (
            f"Give the minimum rental in steps of {step} minutes (e.g. 1.5 or 2.25 hours): "
            f"bookings start and end on a {step}-minute grid."
        )
    return None


def minimum_from_hours(hours: Decimal, limits: RateCardLimits | None = None) -> timedelta:
    """The form's 'minimum rental (hours)' as a duration; refuses what no duration can hold
    (the rules themselves are applied by new_rate_card)."""
    limits = limits or RateCardLimits()
    if not hours.is_finite() or abs(hours) > Decimal(limits.max_minimum / HOUR) + 1:
        raise ValidationError(
            f"The minimum rental can be at most {describe_duration(limits.max_minimum)} "
            "(the longest booking).",
            field="minimum_duration",
        )
    return timedelta(seconds=int((hours * 3600).to_integral_value()))


def rate_card_warnings(card: RateCard) -> list[InputWarning]:
    """Rates that are allowed but make another rate pointless: each needs a confirmation."""
    hourly, daily, weekly, deposit = card.hourly, card.daily, card.weekly, card.deposit
    warnings: list[InputWarning] = []
    if hourly >= daily:
        relation = "the same as" if hourly == daily else "above"
        warnings.append(
            InputWarning(
                "hourly_above_daily",
                f"The hourly rate ({hourly.format()}) is {relation} the daily rate "
                f"({daily.format()}): even a 1-hour rental would cost the daily rate, so the "
                "hourly rate is never charged.",
                "hourly",
            )
        )
    elif hourly * 24 < daily:
        warnings.append(
            InputWarning(
                "daily_above_24_hours",
                f"24 hours at the hourly rate cost {(hourly * 24).format()}, less than the "
                f"daily rate ({daily.format()}): a whole day is charged as 24 hours, so the "
                "daily rate is never charged.",
                "daily",
            )
        )
    day = min(daily, hourly * 24)
    if weekly is not None and weekly <= daily:
        relation = "the same as" if weekly == daily else "below"
        warnings.append(
            InputWarning(
                "weekly_below_daily",
                f"The weekly rate ({weekly.format()}) is {relation} the daily rate "
                f"({daily.format()}): even a 1-day rental would cost only the weekly rate, so "
                "the daily rate is never charged.",
                "weekly",
            )
        )
    elif weekly is not None and weekly > day * 7:
        warnings.append(
            InputWarning(
                "weekly_above_7_days",
                f"The weekly rate ({weekly.format()}) is more than 7 days of rent "
                f"(7 {TIMES} {day.format()} = {(day * 7).format()}): a week is charged as 7 "
                "days, so the weekly rate is never charged.",
                "weekly",
            )
        )
    if deposit is not None and deposit > day * DEPOSIT_DAYS:
        warnings.append(
            InputWarning(
                "deposit_above_20_days",
                f"The deposit ({deposit.format()}) is more than {DEPOSIT_DAYS} days of rent "
                f"({DEPOSIT_DAYS} {TIMES} {day.format()} = {(day * DEPOSIT_DAYS).format()}); "
                "every customer pays it for each unit, up front.",
                "deposit",
            )
        )
    return warnings


def new_rate_card(
    equipment_type_id: str,
    currency: str,
    hourly: Decimal,
    daily: Decimal,
    weekly: Decimal | None = None,
    minimum_duration: timedelta = HOUR,
    deposit: Decimal | None = None,
    *,
    limits: RateCardLimits | None = None,
    confirmed: Collection[str] = (),
) -> RateCard:
    """A rate card as staff set it. Raises ValidationError naming every faulty field, then
    NeedsConfirmation listing the warnings not among `confirmed` (nothing to save either way)."""
    limits = limits or RateCardLimits()
    errors: dict[str, str] = {}
    try:
        code = clean_currency(currency)
    except ValidationError as exc:
        errors.update(exc.errors)
        code = (currency or "").strip().upper()
    amounts = {"hourly": hourly, "daily": daily, "weekly": weekly, "deposit": deposit}
    for name, value in amounts.items():
        message = None if value is None else _amount_error(name, value, code)
        if message:
            errors[name] = message
    message = _minimum_error(minimum_duration, limits)
    if message:
        errors["minimum_duration"] = message
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)

    def money(value: Decimal | None) -> Money | None:
        return None if value is None else Money(value, code)

    card = RateCard(
        equipment_type_id,
        Money(hourly, code),
        Money(daily, code),
        money(weekly),
        minimum_duration,
        money(deposit),
    )
    ensure_confirmed(rate_card_warnings(card), confirmed)
    return card


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
    # Why the count may differ from the clock: daylight-saving changes inside the period.
    notes: tuple[str, ...] = ()


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
    """The breakdown for a plain duration (days of 24 hours)."""
    whole_days, rest = divmod(duration, DAY)
    return breakdown(card, int(whole_days), rest)


def breakdown(card: RateCard, whole_days: int, rest: timedelta) -> Breakdown:
    """The cheapest cover of `whole_days` days plus `rest` of real time."""
    hourly = card.hourly
    day = min(card.daily, hourly * 24)
    week = min(card.weekly, day * 7) if card.weekly is not None else day * 7
    hours = billable_hours(rest)
    if hours >= 24:  # the rest of a 25-hour day: still a partial day
        whole_days, hours = whole_days + 1, 0
    weeks, days = divmod(whole_days, 7)

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
    timezone: tzinfo = UTC,
) -> Quote:
    """Price `period` for `quantity` units; `timezone` is the business time zone whose
    calendar days are counted."""
    if not isinstance(quantity, int) or quantity < 1:
        raise ValidationError("Rent at least one unit.", field="quantity")
    if period.end < local_time.add(period.start, card.minimum_duration, timezone):
        raise ValidationError(
            f"The minimum rental for {name} is {describe_duration(card.minimum_duration)}.",
            field="end",
        )
    whole_days, rest = local_time.split_days(period, timezone)
    b = breakdown(card, whole_days, rest)
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
        duration=period.duration,
        quantity=quantity,
        equipment_type_id=card.equipment_type_id,
        notes=clock_notes(period, timezone, whole_days, rest)
        + started_hours_note(period, timezone, whole_days, rest, b.hours),
    )


def started_hours_note(
    period: TimeRange, tz: tzinfo, whole_days: int, rest: timedelta, hours: int
) -> tuple[str, ...]:
    """The billing unit, said next to the price when it rounds: hours are started hours, so
    09:00–11:15 is charged as 3 hours (nothing to say when the hours are whole, or when the
    rest was cheaper as a day)."""
    if not hours or not rest % HOUR:
        return ()
    length, charged = local_time.describe_length(rest), _plural(hours, "hour")
    if whole_days:
        return (
            f"Billed per started hour: the {length} beyond {_plural(whole_days, 'whole day')} "
            f"{'is' if rest <= HOUR else 'are'} charged as {charged}.",
        )
    start, end = period.start.astimezone(tz), period.end.astimezone(tz)
    return (
        f"Billed per started hour: {local_time.clock(start)}–{local_time.clock(end)} is "
        f"{length}, charged as {charged}.",
    )


def clock_notes(period: TimeRange, tz: tzinfo, whole_days: int, rest: timedelta) -> tuple[str, ...]:
    """What a customer should read next to the price when the clocks change during the
    booking, or when it starts or ends in the hour that happens twice (which of the two)."""
    spanned = local_time.clock_changes(period, tz)
    which_of_two: dict[datetime, list[str]] = {}
    repeating: dict[datetime, local_time.ClockChange] = {}
    for moment in (period.start, period.end):
        wall = moment.astimezone(tz).replace(tzinfo=None)
        change = local_time.change_at(wall, tz)
        if change is None:
            continue
        time_of_day = local_time.clock(wall)
        first = moment < change.at
        which = "first" if first else "second"
        when = f"{moment.astimezone(tz).tzname()}, {'before' if first else 'after'} the change"
        which_of_two.setdefault(change.at, []).append(f"{time_of_day} is the {which} one ({when})")
        repeating[change.at] = change
    notes: list[str] = []
    for at, change in repeating.items():
        if any(c.at == at for c in spanned):
            continue  # said in the note on the change below
        hour = f"{local_time.clock(change.wall_to)}–{local_time.clock(change.wall_from)}"
        notes.append(
            f"{hour} on {local_time.day_label(change.day)} happens twice (the "
            f"{change.describe()}): {' and '.join(which_of_two[at])}."
        )
    days_end = local_time.add_days(period.start, whole_days, tz)
    for change in spanned:
        prefix = f"Includes the clock change on {local_time.day_label(change.day)} "
        prefix += f"({change.describe()})"
        clauses = " and ".join(which_of_two.get(change.at, []))
        if change.at <= days_end:
            hours = int(local_time.day_length(change.day, tz) / HOUR)
            note = f"{prefix}: that day has {hours} hours but counts as one day."
            notes.insert(0, f"{note} {clauses}." if clauses else note)
        else:
            real = local_time.describe_length(rest)
            counted = f"{_plural(whole_days, 'day')} plus {real}" if whole_days else real
            reason = f"{clauses}, so this is " if clauses else ""
            notes.insert(0, f"{prefix}: {reason}{counted} of real time.")
    return tuple(notes)


def describe_duration(duration: timedelta) -> str:
    """timedelta(hours=2) -> '2 hours', timedelta(days=1, hours=12) -> '1 day 12 hours'."""
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [_plural(n, u) for n, u in ((days, "day"), (hours, "hour"), (mins, "minute")) if n]
    return " ".join(parts) or "0 minutes"


@dataclass
class DiscountRules:
    """The pluggable list of discount rules: the hook for discounts decided elsewhere (a future
    loyalty module would add its rules here); none is registered today."""

    rules: list[DiscountRule] = field(default_factory=list)

    def add(self, rule: DiscountRule) -> None:
        if rule not in self.rules:
            self.rules.append(rule)
