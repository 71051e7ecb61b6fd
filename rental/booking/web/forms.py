"""Parsing the availability / booking request from query strings and forms.

Kept apart from the views so the same rules serve the public journey and the staff pages.
Errors come back as a field → message dict, never as exceptions, so the form can be shown
again with everything the person typed."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rental.booking.domain.models import PricingBasis
from rental.booking.domain.orders import OrderLine
from rental.booking.domain.policy import BookingPolicy
from rental.shared import local_time
from rental.shared.errors import ValidationError
from rental.shared.parsing import parse_date, parse_int, parse_local_datetime
from rental.shared.time_range import TimeRange
from rental.shop import OpeningHours

MAX_QUANTITY = 999


@dataclass
class BookingRequest:
    """What the customer typed, as typed, plus the parsed period when it parses."""

    basis: PricingBasis = PricingBasis.HOURLY
    start: str = ""  # datetime-local, hourly
    end: str = ""
    start_date: str = ""  # date, daily (both days included)
    end_date: str = ""
    quantity: str = "1"
    errors: dict[str, str] = field(default_factory=dict)
    period: TimeRange | None = None
    qty: int = 1
    # The end was moved with the start (the form's "was_*" fields: what it showed before).
    end_moved: bool = False

    @property
    def is_daily(self) -> bool:
        return self.basis is PricingBasis.DAILY

    def was(self) -> dict[str, str]:
        """The form's hidden "was_*" fields: the period as shown, so the next submit can tell
        that the start moved and the end did not."""
        if self.is_daily:
            return {"was_start_date": self.start_date, "was_end_date": self.end_date}
        return {"was_start": self.start, "was_end": self.end}

    def params(self, **overrides: Any) -> dict[str, str]:
        """Query-string parameters that reproduce this request (for links and suggestions)."""
        values = {"basis": self.basis.value.lower(), "quantity": self.quantity}
        if self.is_daily:
            values |= {"start_date": self.start_date, "end_date": self.end_date}
        else:
            values |= {"start": self.start, "end": self.end}
        values.update({k: str(v) for k, v in overrides.items()})
        return values


DEFAULT_OPENS, DEFAULT_CLOSES = time(9), time(17)
Hours = Callable[[], OpeningHours]


def defaults(
    policy: BookingPolicy, now: datetime, basis: PricingBasis, hours: Hours | None = None
) -> BookingRequest:
    """Tomorrow 09:00–17:00 (or tomorrow, one day): the most common first question. By the
    hour, the shop's hours (`hours`, read only when a default is needed) move it to the first
    day the shop is open and within that day's hours, so the form never opens with an error."""
    day = now.astimezone(policy.timezone).date() + timedelta(days=1)
    start_day, opens, closes = day, DEFAULT_OPENS, DEFAULT_CLOSES
    if hours is not None and basis is PricingBasis.HOURLY:
        start_day, opens, closes = hours().first_open_hours(day, opens, closes)
    return BookingRequest(
        basis=basis,
        start=f"{start_day.isoformat()}T{opens:%H:%M}",
        end=f"{start_day.isoformat()}T{closes:%H:%M}",
        start_date=day.isoformat(),
        end_date=day.isoformat(),
    )


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    try:
        return parse_date(value, field=field, label="first day" if field == "start" else "last day")
    except ValidationError as exc:
        errors[field] = exc.message
        return None


def parse(
    args: Any, policy: BookingPolicy, now: datetime, hours: Hours | None = None
) -> BookingRequest:
    """The period form (`hours`: the shop's opening hours, for the default period)."""
    basis_raw = (args.get("basis") or "hourly").strip().upper()
    basis = PricingBasis.DAILY if basis_raw == "DAILY" else PricingBasis.HOURLY
    typed = "start" in args and "end" in args
    base = defaults(policy, now, basis, None if typed else hours)
    req = BookingRequest(
        basis=basis,
        start=args.get("start", base.start),
        end=args.get("end", base.end),
        start_date=args.get("start_date", base.start_date),
        end_date=args.get("end_date", base.end_date),
        quantity=(args.get("quantity") or "1").strip(),
    )
    try:
        req.qty = parse_int(
            req.quantity, field="quantity", label="number of units", minimum=1, maximum=MAX_QUANTITY
        )
    except ValidationError as exc:
        req.errors["quantity"] = exc.message
    previous = _previous(args, basis, policy)
    if req.is_daily:
        first = _day(req.start_date, "start", req.errors)
        last = _day(req.end_date, "end", req.errors)
        if first is None and "start" not in req.errors:
            req.errors["start"] = "Enter the first day, e.g. 2030-05-06."
        if last is None and "end" not in req.errors:
            req.errors["end"] = "Enter the last day, e.g. 2030-05-07."
        if first and last:
            start = local_time.start_of_day(first, policy.timezone)
            end = local_time.start_of_day(last + timedelta(days=1), policy.timezone)
            if not _follow_start(req, policy, previous, start, end):
                try:
                    req.period = policy.daily_period(first, last)
                except ValidationError as exc:
                    req.errors.update(exc.errors)
    else:
        start, end = _instant(req, "start", policy), _instant(req, "end", policy)
        if start and end and not _follow_start(req, policy, previous, start, end):
            try:
                req.period = TimeRange(start, end)
            except ValidationError as exc:
                req.errors.update(exc.errors)
    return req


PERIOD_FIELDS = ("basis", "start", "end", "start_date", "end_date", "quantity")
DATE_FIELDS = ("start", "end", "start_date", "end_date")


def parse_carried(args: Any, policy: BookingPolicy, now: datetime) -> BookingRequest | None:
    """A period another page carries (the catalog's dates, links into a type page), parsed by
    the same rules as the availability form; None when none of its dates were given. Without
    a basis the fields say which one (days: `start_date`); a missing last day is the first day,
    a missing end time is asked for (not the form's default)."""
    given = {name: str(args.get(name) or "").strip()[:40] for name in PERIOD_FIELDS}
    if not any(given[name] for name in DATE_FIELDS):
        return None
    if given["basis"].lower() not in ("hourly", "daily"):
        daily = (given["start_date"] or given["end_date"]) and not given["start"]
        given["basis"] = "daily" if daily else "hourly"
    if given["basis"].lower() == "daily" and not given["end_date"]:
        given["end_date"] = given["start_date"]
    return parse(given, policy, now)


def _previous(args: Any, basis: PricingBasis, policy: BookingPolicy) -> TimeRange | None:
    """The period the form showed before this change (its hidden "was_*" fields), if they
    are there and make sense; anything else is as if they were not sent."""
    scratch = BookingRequest(basis=basis)
    if basis is PricingBasis.DAILY:
        first = _day(args.get("was_start_date", ""), "start", scratch.errors)
        last = _day(args.get("was_end_date", ""), "end", scratch.errors)
        if first is None or last is None or last < first:
            return None
        return policy.daily_period(first, last)
    scratch.start, scratch.end = args.get("was_start", ""), args.get("was_end", "")
    start, end = _instant(scratch, "start", policy), _instant(scratch, "end", policy)
    if start is None or end is None or end <= start:
        return None
    return TimeRange(start, end)


def _follow_start(
    req: BookingRequest,
    policy: BookingPolicy,
    previous: TimeRange | None,
    start: datetime,
    end: datetime,
) -> bool:
    """Moving the start keeps the length (the policy's rule): the request then carries the
    moved end, as the form will show it."""
    moved = policy.follow_start(previous, start, end)
    if moved is None:
        return False
    req.period, req.end_moved = moved, True
    shown = from_period(moved, req.basis, req.qty, policy.timezone)
    req.end, req.end_date = shown.get("end", req.end), shown.get("end_date", req.end_date)
    return True


def _instant(req: BookingRequest, name: str, policy: BookingPolicy) -> datetime | None:
    """The typed local time as an instant, or None with the reason in req.errors: badly
    formed or out of range (the shared parser), or a time the clocks skip that night."""
    try:
        moment = parse_local_datetime(getattr(req, name), policy.timezone, field=name, label=name)
    except ValidationError as exc:
        req.errors[name] = exc.message
        return None
    if moment is None:
        req.errors[name] = f"Enter {'a start' if name == 'start' else 'an end'} date and time."
        return None
    if moment.tzinfo is not policy.timezone:
        return moment  # typed with an explicit offset: an instant already
    try:
        return policy.local_moment(moment.replace(tzinfo=None), name)
    except ValidationError as exc:
        req.errors.update(exc.errors)
        return None


def from_period(
    period: TimeRange, basis: PricingBasis, quantity: int, tz: ZoneInfo
) -> dict[str, str]:
    """Query parameters for a suggested period (alternatives refill the form with these)."""
    start, end = period.start.astimezone(tz), period.end.astimezone(tz)
    if basis is PricingBasis.DAILY:
        ends_at_day_start = local_time.is_start_of_day(period.end, tz)
        last = end.date() - timedelta(days=1) if ends_at_day_start else end.date()
        return {
            "basis": "daily",
            "start_date": start.date().isoformat(),
            "end_date": last.isoformat(),
            "quantity": str(quantity),
        }
    return {
        "basis": "hourly",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": end.strftime("%Y-%m-%dT%H:%M"),
        "quantity": str(quantity),
    }


CUSTOMER_FIELDS = ("name", "email", "phone", "street", "city", "state", "postal_code", "country")


# How a form names what to book: "type:<id>" or "kit:<id>" (the staff order form, the staff
# "add a line", the customer's "add an item").
ITEM = re.compile(r"(type|kit):([A-Za-z0-9_-]{1,64})")


def item_line(item: str, quantity: int) -> OrderLine | None:
    """The form's item value as an order line of `quantity`; None when it names neither."""
    match = ITEM.fullmatch(item.strip())
    if match is None:
        return None
    kind, item_id = match.groups()
    if kind == "kit":
        return OrderLine(quantity, kit_id=item_id)
    return OrderLine(quantity, equipment_type_id=item_id)
