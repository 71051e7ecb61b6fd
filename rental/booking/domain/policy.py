"""Booking rules for a requested period and quantity, with messages a customer understands."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rental.booking.domain.models import PricingBasis
from rental.shared.errors import ValidationError
from rental.shared.time_range import TimeRange


@dataclass(frozen=True, slots=True)
class BookingPolicy:
    timezone: ZoneInfo
    slot_minutes: int = 15
    max_duration: timedelta = timedelta(days=90)
    clock_skew: timedelta = timedelta(minutes=2)
    hold_minutes: int = 15
    search_horizon: timedelta = timedelta(days=14)
    # How far ahead a booking may start (far-future holds would block capacity for nothing).
    horizon: timedelta = timedelta(days=365)
    # Against hold flooding: one online booking may take at most this share of a type's
    # fleet (more becomes a request staff approve), and a customer or a network may have only
    # so many bookings waiting for confirmation at once.
    online_max_share: float = 0.5
    open_per_customer: int = 3
    open_per_origin: int = 5

    def check_period(
        self,
        period: TimeRange,
        basis: PricingBasis,
        now: datetime,
        minimum: timedelta | None = None,
    ) -> None:
        if period.start < now - self.clock_skew:
            raise ValidationError("The start must be in the future.", field="start")
        if period.start > now + self.horizon:
            last = (now + self.horizon).astimezone(self.timezone)
            raise ValidationError(
                f"We take bookings up to {self.horizon.days} days ahead: pick a start on or "
                f"before {last:%a %d %b %Y}.",
                field="start",
            )
        if period.duration > self.max_duration:
            raise ValidationError(
                f"Bookings can last at most {self.max_duration.days} days.", field="end"
            )
        if basis is PricingBasis.DAILY:
            for name, moment in (("start", period.start), ("end", period.end)):
                if moment.astimezone(self.timezone).time() != time(0, 0):
                    raise ValidationError(
                        "Daily bookings run from midnight to midnight; pick whole days.",
                        field=name,
                    )
        else:
            for name, moment in (("start", period.start), ("end", period.end)):
                local = moment.astimezone(self.timezone)
                if local.minute % self.slot_minutes or local.second or local.microsecond:
                    raise ValidationError(
                        f"Times must be on the {self.slot_minutes}-minute mark "
                        f"(for example 09:00 or 09:{self.slot_minutes:02d}).",
                        field=name,
                    )
        if minimum and period.duration < minimum:
            raise ValidationError(
                f"The minimum rental is {describe_duration(minimum)}.", field="end"
            )

    @staticmethod
    def check_quantity(quantity: int, total_capacity: int | None = None) -> None:
        if quantity < 1:
            raise ValidationError("Choose at least 1.", field="quantity")
        if total_capacity is not None and quantity > total_capacity:
            if total_capacity == 0:
                raise ValidationError(
                    "None of these can be booked for that period.", field="quantity"
                )
            raise ValidationError(
                f"We have {total_capacity} in total for that period; choose {total_capacity} "
                "or fewer.",
                field="quantity",
            )

    def online_limit(self, total_capacity: int) -> int:
        """The most units one online booking may take without staff approval."""
        return max(1, math.ceil(total_capacity * self.online_max_share))

    def needs_approval(self, quantity: int, total_capacity: int) -> bool:
        return quantity > self.online_limit(total_capacity)

    def align_up(self, moment: datetime, basis: PricingBasis) -> datetime:
        """The first bookable instant at or after `moment` on this basis's grid."""
        local = moment.astimezone(self.timezone)
        if basis is PricingBasis.DAILY:
            midnight = datetime.combine(local.date(), time(0), tzinfo=self.timezone)
            if midnight < local:
                midnight = datetime.combine(
                    local.date() + timedelta(days=1), time(0), tzinfo=self.timezone
                )
            return midnight.astimezone(moment.tzinfo)
        step = timedelta(minutes=self.slot_minutes)
        floored = local.replace(
            minute=local.minute - local.minute % self.slot_minutes, second=0, microsecond=0
        )
        if floored < local:
            floored += step
        return floored.astimezone(moment.tzinfo)

    def daily_period(self, first_day, last_day) -> TimeRange:
        """Whole days in the business time zone, both days included."""
        if last_day < first_day:
            raise ValidationError("The last day must be on or after the first day.", field="end")
        start = datetime.combine(first_day, time(0), tzinfo=self.timezone)
        end = datetime.combine(last_day + timedelta(days=1), time(0), tzinfo=self.timezone)
        return TimeRange(start, end)


def describe_duration(duration: timedelta) -> str:
    minutes = int(duration.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = []
    if days:
        parts.append(f"{days} day{'s' if days != 1 else ''}")
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if mins:
        parts.append(f"{mins} minute{'s' if mins != 1 else ''}")
    return " ".join(parts) or "0 minutes"
