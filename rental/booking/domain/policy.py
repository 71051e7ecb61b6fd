"""Booking rules for a requested period and quantity, with messages a customer understands."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rental.booking.domain.models import PricingBasis
from rental.shared import local_time
from rental.shared.errors import ValidationError
from rental.shared.time_range import TimeRange

# The one answer the public journey gives when it will not take a booking for reasons that
# are the account's (suspended, anonymised, too many bookings waiting under that e-mail):
# the same words whatever the reason, so typing someone's e-mail tells nothing about them.
REFUSED_ONLINE = "We could not take this booking online; please call us"


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
    # How customers reach the shop when online booking cannot help ("" when not configured).
    shop_phone: str = ""
    # Whole-day bookings may start today until this local time (the shop still hands
    # equipment out); after it, or when None, the earliest first day is tomorrow.
    same_day_until: time | None = time(15, 0)
    # Equipment may be handed over from the start of the local day this many days before the
    # rental's first day (0: from the morning of the first day); an early pick-up still asks
    # first when it leaves another booking without a machine.
    early_pickup_days: int = 1

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> BookingPolicy:
        """The policy the shop configured (the app's settings, see README: Configuration)."""
        return cls(
            timezone=ZoneInfo(settings.get("BUSINESS_TIMEZONE", "UTC")),
            slot_minutes=int(settings.get("BOOKING_SLOT_MINUTES", 15)),
            max_duration=timedelta(days=int(settings.get("BOOKING_MAX_DAYS", 90))),
            hold_minutes=int(settings.get("BOOKING_HOLD_MINUTES", 15)),
            horizon=timedelta(days=int(settings.get("BOOKING_HORIZON_DAYS", 365))),
            online_max_share=float(settings.get("BOOKING_ONLINE_MAX_SHARE", 0.5)),
            open_per_customer=int(settings.get("BOOKING_OPEN_PER_EMAIL", 3)),
            open_per_origin=int(settings.get("BOOKING_OPEN_PER_IP", 5)),
            same_day_until=same_day_cutoff(str(settings.get("BOOKING_SAME_DAY_UNTIL", "15:00"))),
            shop_phone=str(settings.get("SHOP_PHONE") or ""),
            early_pickup_days=int(settings.get("BOOKING_EARLY_PICKUP_DAYS", 1)),
        )

    def pickup_opens(self, start: datetime) -> datetime:
        """The first moment a booking starting at `start` may be handed over: local midnight
        `early_pickup_days` days before its first day (never later than the start)."""
        first = start.astimezone(self.timezone).date()
        first -= timedelta(days=self.early_pickup_days)
        opens = local_time.start_of_day(first, self.timezone)
        return min(opens.astimezone(UTC), start)

    def cancellation_rule(
        self,
        period: TimeRange,
        now: datetime,
        *,
        confirmed: bool,
        fee: str = "",
        fee_from: datetime | None = None,
    ) -> str:
        """What a customer is told about cancelling online (review and manage pages): until
        the rental starts, then only by calling the shop. With the payment policy's fee
        (`fee` in words, charged from `fee_from`): free until then, the fee after."""
        start = period.start.astimezone(self.timezone)
        when = f"{local_time.day_label(start.date())}, {local_time.clock(start)}"
        call = f"please call us on {self.shop_phone}" if self.shop_phone else "please call us"
        if now < period.start and fee and fee_from is not None:
            after = f"After the start it can no longer be cancelled online: {call}."
            if now < fee_from:
                local = fee_from.astimezone(self.timezone)
                free = f"{local_time.day_label(local.date())}, {local_time.clock(local)}"
                return (
                    f"You can cancel free of charge from your booking link until {free}; from "
                    f"then until the rental starts ({when}) cancelling costs {fee}. {after}"
                )
            return (
                f"Cancelling from your booking link costs {fee} from now until the rental "
                f"starts ({when}). {after}"
            )
        if now < period.start:
            return (
                f"You can cancel free of charge from your booking link until the rental starts "
                f"({when}). After that it can no longer be cancelled online: {call}."
            )
        if confirmed:
            return f"The rental started {when}, so it can no longer be cancelled online: {call}."
        return (
            f"The rental starts {when}, which has already begun: once confirmed it can no "
            f"longer be cancelled online ({call}). Until you confirm, you can let the hold go."
        )

    def refusal(self) -> str:
        """The neutral refusal (REFUSED_ONLINE), with the shop's phone when there is one."""
        return (
            f"{REFUSED_ONLINE} on {self.shop_phone}." if self.shop_phone else f"{REFUSED_ONLINE}."
        )

    def check_period(
        self,
        period: TimeRange,
        basis: PricingBasis,
        now: datetime,
        minimum: timedelta | None = None,
        *,
        kept_start: bool = False,
    ) -> None:
        """Lengths count calendar days in the business time zone (README, "Booking"): 90 days
        are 90 days whether a clock change makes them an hour longer or shorter. `kept_start`:
        a change of a booking that keeps its start (which may have passed: a booking on hire
        is extended), so the start is not judged again."""
        tz = self.timezone
        problem = None if kept_start else self.start_problem(period, basis, now)
        if problem:
            raise ValidationError(problem, field="start")
        if not kept_start and period.start > now + self.horizon:
            last = (now + self.horizon).astimezone(self.timezone)
            raise ValidationError(
                f"We take bookings up to {self.horizon.days} days ahead: pick a start on or "
                f"before {last:%a %d %b %Y}.",
                field="start",
            )
        if period.end > local_time.add(period.start, self.max_duration, tz):
            raise ValidationError(
                f"Bookings can last at most {describe_duration(self.max_duration)}.",
                field="end",
            )
        if basis is PricingBasis.DAILY:
            for name, moment in (("start", period.start), ("end", period.end)):
                if not local_time.is_start_of_day(moment, tz):
                    raise ValidationError(
                        "Daily bookings run from midnight to midnight; pick whole days.",
                        field=name,
                    )
        else:
            for name, moment in (("start", period.start), ("end", period.end)):
                if kept_start and name == "start":
                    continue
                local = moment.astimezone(tz)
                if local.minute % self.slot_minutes or local.second or local.microsecond:
                    raise ValidationError(
                        f"Times must be on the {self.slot_minutes}-minute mark "
                        f"(for example 09:00 or 09:{self.slot_minutes:02d}).",
                        field=name,
                    )
        if minimum and period.end < local_time.add(period.start, minimum, tz):
            raise ValidationError(self._too_short(period, minimum), field="end")

    def earliest_day(self, now: datetime) -> date:
        """The first day a whole-day booking can start on: today while the shop still takes
        same-day rentals (before `same_day_until`, local time), else tomorrow."""
        local = now.astimezone(self.timezone)
        if self.same_day_until is not None and local.time() < self.same_day_until:
            return local.date()
        return local.date() + timedelta(days=1)

    def same_day_note(self, now: datetime) -> str:
        """What the daily form says about today, so nobody has to find out by trying."""
        if self.earliest_day(now) == now.astimezone(self.timezone).date():
            return f"Today can still be booked until {self.same_day_until:%H:%M}."
        if self.same_day_until is None:
            return "The earliest first day is tomorrow."
        return (
            f"Bookings for today closed at {self.same_day_until:%H:%M}: "
            "the earliest first day is tomorrow."
        )

    def earliest_hourly_start(self, now: datetime) -> datetime:
        """The first bookable start of an hourly booking: the next mark on the grid."""
        return self.align_up(now, PricingBasis.HOURLY)

    def start_problem(self, period: TimeRange, basis: PricingBasis, now: datetime) -> str | None:
        """Why the period cannot start when it does, in words that name the earliest
        possible start; None when it can. Whole days count from today (until the same-day
        cut-off) although today's midnight has passed; times must still be ahead."""
        if basis is PricingBasis.DAILY:
            first = period.start.astimezone(self.timezone).date()
            earliest = self.earliest_day(now)
            if first >= earliest:
                return None
            today = now.astimezone(self.timezone).date()
            when = "today" if earliest == today else "tomorrow"
            label = f"{when}, {local_time.day_label(earliest)}"
            if first == today:
                if self.same_day_until is None:
                    reason = "We do not take whole-day bookings for the same day online"
                else:
                    reason = f"Whole-day bookings for today close at {self.same_day_until:%H:%M}"
                return f"{reason}: the earliest first day is {label}."
            return f"That day has passed: the earliest first day is {label}."
        if period.start < now - self.clock_skew:
            earliest = self.earliest_hourly_start(now).astimezone(self.timezone)
            return (
                f"The start must be in the future: the earliest start is "
                f"{local_time.day_label(earliest.date())}, {local_time.clock(earliest)}."
            )
        return None

    def _too_short(self, period: TimeRange, minimum: timedelta) -> str:
        message = f"The minimum rental is {describe_duration(minimum)}."
        changes = [c for c in local_time.clock_changes(period, self.timezone) if c.forward]
        if not changes:
            return message
        # 01:30–03:30 looks like 2 hours on the clock; say why it is not.
        start = period.start.astimezone(self.timezone)
        end = period.end.astimezone(self.timezone)
        change = changes[0]
        return (
            f"{message} On {local_time.day_label(change.day)} the {change.describe()}, "
            f"so {local_time.clock(start)}–{local_time.clock(end)} is only "
            f"{local_time.describe_length(period.duration)}."
        )

    def local_moment(self, wall: datetime, field: str) -> datetime:
        """A wall-clock time the customer typed, as an instant (UTC). A time the clocks skip
        is refused naming the change; a time that happens twice means its first occurrence."""
        if wall.tzinfo is not None:
            return wall.astimezone(UTC)
        change = local_time.gap_at(wall, self.timezone)
        if change is not None:
            raise ValidationError(local_time.missing_time_message(wall, change), field=field)
        return local_time.resolve(wall, self.timezone)

    @staticmethod
    def check_quantity(quantity: int) -> None:
        """At least one. More than the fleet has is not refused here: it is a shortage, and the
        availability answer offers the units that are free."""
        if quantity < 1:
            raise ValidationError("Choose at least 1.", field="quantity")

    def online_limit(self, total_capacity: int) -> int:
        """The most units one online booking may take without staff approval."""
        return max(1, math.ceil(total_capacity * self.online_max_share))

    def needs_approval(self, quantity: int, total_capacity: int) -> bool:
        return quantity > self.online_limit(total_capacity)

    def align_up(self, moment: datetime, basis: PricingBasis) -> datetime:
        """The first bookable instant at or after `moment` on this basis's grid."""
        tz = self.timezone
        local = moment.astimezone(tz)
        if basis is PricingBasis.DAILY:
            start = local_time.start_of_day(local.date(), tz)
            if start < moment:
                start = local_time.start_of_day(local.date() + timedelta(days=1), tz)
            return start.astimezone(moment.tzinfo)
        # Floor on the local clock (the grid is local: zones with half-hour offsets), then
        # step in real time, so the repeated hour of a clock change is not skipped.
        floored = local.replace(
            minute=local.minute - local.minute % self.slot_minutes, second=0, microsecond=0
        ).astimezone(UTC)
        if floored < moment:
            floored += timedelta(minutes=self.slot_minutes)
        return floored.astimezone(moment.tzinfo)

    def daily_period(self, first_day: date, last_day: date) -> TimeRange:
        """Whole calendar days in the business time zone, both days included."""
        if last_day < first_day:
            raise ValidationError("The last day must be on or after the first day.", field="end")
        start = local_time.start_of_day(first_day, self.timezone)
        end = local_time.start_of_day(last_day + timedelta(days=1), self.timezone)
        return TimeRange(start, end)

    def follow_start(
        self, previous: TimeRange | None, start: datetime, end: datetime
    ) -> TimeRange | None:
        """The period meant when the customer moved the start of `previous`: the end moves
        with it, keeping the length, when the end was left as it was or would now fall before
        the start. None: take the start and end as typed."""
        if previous is None or start == previous.start:
            return None
        if end == previous.end or end <= start:
            return self.same_length_from(previous, start)
        return None

    def same_length_from(self, period: TimeRange, start: datetime) -> TimeRange:
        """A period as long as `period` (same calendar days, same real time beyond them)
        starting at `start`: what "the same booking, later" means across a clock change."""
        days, rest = local_time.split_days(period, self.timezone)
        return TimeRange(start, local_time.add_days(start, days, self.timezone) + rest)


def same_day_cutoff(value: str) -> time | None:
    """BOOKING_SAME_DAY_UNTIL ('HH:MM', or 'off': no whole-day bookings for the same day)
    as the policy's cut-off (the configuration has checked the value)."""
    if value.strip().lower() == "off":
        return None
    hours, minutes = value.strip().split(":")
    return time(int(hours), int(minutes))


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
