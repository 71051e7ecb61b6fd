"""Shop settings: who the shop is (name, address, phone, e-mail), when it is open (hours per
weekday and closed dates), its pick-up/return rules and rental terms.

Pure Python: no Flask, no SQLAlchemy. The opening-hours rule (`OpeningHours.problem`) is what
Booking asks of an hourly booking; `OpeningHours.fits` and `opening_moments` are what its
suggestions use, so a "later" period never runs overnight or starts on a closed day."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal, InvalidOperation

from rental.shared import local_time
from rental.shared.email import validate_email
from rental.shared.errors import ValidationError
from rental.shared.parsing import parse_date
from rental.shared.text import clean_block, clean_line
from rental.shared.time_range import TimeRange

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SHORT_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# What the settings page accepts (README, "Shop settings").
MAX_NAME = 120
MAX_ADDRESS = 300
MAX_PHONE = 30
MAX_RULES = 2_000
MAX_TERMS = 20_000
MAX_CLOSED_DATES = 100
# Loyalty discounts (Pricing reads them): percent off the rental subtotal of a known customer
# of that CRM tier. Bronze gets none.
DEFAULT_SILVER_PERCENT = Decimal(5)
DEFAULT_GOLD_PERCENT = Decimal(10)
MAX_LOYALTY_PERCENT = Decimal(50)
_PHONE = re.compile(r"\+?[0-9 ().\-/]{3,30}")  # the same rule as the SHOP_PHONE setting
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})")


@dataclass(frozen=True, slots=True)
class DayHours:
    """Open from `opens` until `closes`, local wall-clock time, the same day."""

    opens: time
    closes: time

    def __str__(self) -> str:
        return f"{self.opens:%H:%M}\u2013{self.closes:%H:%M}"


@dataclass(frozen=True, slots=True)
class OpeningHours:
    """Hours per weekday (Monday first; None: closed that weekday) and closed dates
    (holidays). With no hours on any weekday the shop has not said when it is open, and
    nothing is restricted (`restricts` is false)."""

    week: tuple[DayHours | None, ...] = (None,) * 7
    closed_dates: frozenset[date] = frozenset()

    @property
    def restricts(self) -> bool:
        return any(self.week)

    def on(self, day: date) -> DayHours | None:
        """The hours of a calendar day (None: closed)."""
        if day in self.closed_dates:
            return None
        return self.week[day.weekday()]

    def problem(self, period: TimeRange, tz: tzinfo) -> tuple[str, str] | None:
        """Why an hourly booking cannot start or end when it does — (field, message) — or
        None. The customer picks up at the start and brings the equipment back at the end,
        so both fall within opening hours on the local wall clock of `tz`: the start from
        opening until before closing, the end after opening until closing."""
        if not self.restricts:
            return None
        for name, moment, verb in (
            ("start", period.start, "pick up"),
            ("end", period.end, "bring it back"),
        ):
            wall = moment.astimezone(tz)
            hours = self.on(wall.date())
            label = local_time.day_label(wall.date())
            if hours is None:
                return name, (
                    f"We are closed on {label}: choose a day we are open to {verb} "
                    f"({self.summary()})."
                )
            clock = wall.time().replace(tzinfo=None)
            inside = (
                hours.opens <= clock < hours.closes
                if name == "start"
                else hours.opens < clock <= hours.closes
            )
            if not inside:
                return name, (
                    f"On {label} we are open {hours}: choose a time within opening hours to "
                    f"{verb} ({self.summary()})."
                )
        return None

    def fits(self, period: TimeRange, tz: tzinfo) -> bool:
        return self.problem(period, tz) is None

    def opening_moments(self, window: TimeRange, tz: tzinfo) -> Iterator[datetime]:
        """The instant (UTC) the shop opens on each open day whose opening lies in `window`:
        where a suggestion for "the next working day" starts. A time the clocks skip is taken
        as the instant they jump past it (local_time.resolve)."""
        day = window.start.astimezone(tz).date()
        last = window.end.astimezone(tz).date()
        while day <= last:
            hours = self.on(day)
            if hours is not None:
                moment = local_time.resolve(datetime.combine(day, hours.opens), tz)
                if window.start <= moment < window.end:
                    yield moment
            day += timedelta(days=1)

    def first_open_hours(
        self, first: date, opens: time, closes: time, days: int = 14
    ) -> tuple[date, time, time]:
        """The first day from `first` the shop is open, with `opens`–`closes` kept within
        that day's hours (all of them when the two do not overlap): where a form's default
        period goes, so it never opens with an error on a Saturday afternoon or a Sunday.
        Unrestricted hours, or no open day within `days`, keep `first` as it is."""
        if self.restricts:
            for offset in range(days):
                day = first + timedelta(days=offset)
                hours = self.on(day)
                if hours is None:
                    continue
                start, end = max(opens, hours.opens), min(closes, hours.closes)
                return (day, start, end) if start < end else (day, hours.opens, hours.closes)
        return first, opens, closes

    def summary(self) -> str:
        """'Mon–Fri 07:00–18:00, Sat 08:00–13:00, Sun closed': weekdays with the same hours
        grouped."""
        return ", ".join(f"{days} {hours}" for days, hours in self.grouped())

    def grouped(self) -> list[tuple[str, str]]:
        groups: list[tuple[int, int, DayHours | None]] = []
        for index, hours in enumerate(self.week):
            if groups and groups[-1][2] == hours:
                groups[-1] = (groups[-1][0], index, hours)
            else:
                groups.append((index, index, hours))
        out = []
        for first, last, hours in groups:
            days = SHORT_WEEKDAYS[first]
            if last > first:
                days += ("\u2013" if last > first + 1 else ", ") + SHORT_WEEKDAYS[last]
            out.append((days, str(hours) if hours else "closed"))
        return out

    def upcoming_closed_dates(self, today: date) -> list[date]:
        return sorted(d for d in self.closed_dates if d >= today)


@dataclass(frozen=True, slots=True)
class ShopSettings:
    """What the shop tells its customers. Every field may be empty: a shop that has saved
    nothing shows nothing and restricts nothing."""

    name: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""
    hours: OpeningHours = field(default_factory=OpeningHours)
    pickup_rules: str = ""
    terms: str = ""
    # Loyalty pricing: percent off the rental subtotal for a Silver / Gold customer (0: none).
    loyalty_silver_percent: Decimal = DEFAULT_SILVER_PERCENT
    loyalty_gold_percent: Decimal = DEFAULT_GOLD_PERCENT

    @property
    def address_lines(self) -> list[str]:
        return [line for line in self.address.split("\n") if line.strip()]

    @property
    def is_empty(self) -> bool:
        return not (
            self.name
            or self.address
            or self.phone
            or self.email
            or self.hours.restricts
            or self.pickup_rules
            or self.terms
        )


# --- what staff type -------------------------------------------------------------------------


def parse_clock(raw: str, field_name: str, label: str) -> time | None:
    """'07:00' or '7:00' as a time of day; None when blank."""
    text = clean_line(raw)
    if not text:
        return None
    match = _CLOCK.fullmatch(text)
    hours, minutes = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if hours > 23 or minutes > 59:
        raise ValidationError(
            f"Write the {label} as HH:MM on the 24-hour clock, e.g. 07:30.", field=field_name
        )
    return time(hours, minutes)


def parse_day_hours(
    index: int, opens_raw: str, closes_raw: str
) -> dict[str, str] | DayHours | None:
    """One weekday's row of the form: both times (open), both blank (closed), or the errors
    by field name ('opens_<index>', 'closes_<index>')."""
    day = WEEKDAYS[index]
    errors: dict[str, str] = {}
    opens = closes = None
    try:
        opens = parse_clock(opens_raw, f"opens_{index}", f"opening time on {day}")
    except ValidationError as exc:
        errors[f"opens_{index}"] = exc.message
    try:
        closes = parse_clock(closes_raw, f"closes_{index}", f"closing time on {day}")
    except ValidationError as exc:
        errors[f"closes_{index}"] = exc.message
    if errors:
        return errors
    if opens is None and closes is None:
        return None
    if opens is None:
        return {f"opens_{index}": f"Give the opening time on {day}, or clear both times."}
    if closes is None:
        return {f"closes_{index}": f"Give the closing time on {day}, or clear both times."}
    if closes <= opens:
        return {
            f"closes_{index}": (
                f"On {day} the shop would close ({closes:%H:%M}) before it opens "
                f"({opens:%H:%M}). Opening hours end on the same day."
            )
        }
    return DayHours(opens, closes)


def parse_closed_dates(raw: str) -> frozenset[date]:
    """Closed dates, one per line (or separated by commas), written YYYY-MM-DD."""
    words = [w for w in re.split(r"[\s,;]+", raw or "") if w]
    if len(words) > MAX_CLOSED_DATES:
        raise ValidationError(
            f"List at most {MAX_CLOSED_DATES} closed dates (remove those that have passed).",
            field="closed_dates",
        )
    days = set()
    for word in words:
        day = parse_date(word[:40], field="closed_dates", label="closed date")
        if day is not None:
            days.add(day)
    return frozenset(days)


def _text(
    raw: str, name: str, label: str, limit: int, errors: dict[str, str], block: bool = False
) -> str:
    value = clean_block(raw) if block else clean_line(raw)
    if len(value) > limit:
        errors[name] = f"Keep the {label} under {limit:,} characters (it has {len(value):,})."
    return value


def parse_loyalty_percent(raw: str, name: str, label: str, default: Decimal) -> Decimal:
    """A loyalty discount as staff typed it: a percentage from 0 to 50 with at most two
    decimals ('7.5', '7,5 %'); blank keeps the default."""
    text = clean_line(raw or "").replace("%", "").replace(",", ".").strip()
    if not text:
        return default
    try:
        value = Decimal(text[:20])
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > MAX_LOYALTY_PERCENT:
        raise ValidationError(
            f"Give the {label} as a percentage from 0 to {MAX_LOYALTY_PERCENT}, e.g. 5.",
            field=name,
        )
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(f"Give the {label} with at most two decimals, e.g. 7.5.", field=name)
    return value.quantize(Decimal("0.01")).normalize() + 0


def build_settings(form: Mapping[str, str], week: Sequence[tuple[str, str]]) -> ShopSettings:
    """The settings from what staff typed (`week`: (opens, closes) per weekday, Monday first).
    Every faulty field is reported at once: ValidationError with `errors` by field name."""
    errors: dict[str, str] = {}
    name = _text(form.get("name", ""), "name", "shop name", MAX_NAME, errors)
    address = _text(form.get("address", ""), "address", "address", MAX_ADDRESS, errors, True)
    phone = clean_line(form.get("phone", ""))
    if phone and not _PHONE.fullmatch(phone):
        errors["phone"] = (
            f"Write the phone number with digits, spaces and + ( ) - . / "
            f"(at most {MAX_PHONE} characters)."
        )
    email = ""
    if clean_line(form.get("email", "")):
        try:
            email = validate_email(form.get("email", ""), field="email")
        except ValidationError as exc:
            errors["email"] = exc.message
    rules = _text(
        form.get("pickup_rules", ""), "pickup_rules", "pick-up rules", MAX_RULES, errors, True
    )
    terms = _text(form.get("terms", ""), "terms", "rental terms", MAX_TERMS, errors, True)
    days: list[DayHours | None] = []
    for index in range(7):
        opens, closes = week[index] if index < len(week) else ("", "")
        parsed = parse_day_hours(index, opens, closes)
        if isinstance(parsed, dict):
            errors.update(parsed)
            days.append(None)
        else:
            days.append(parsed)
    closed: frozenset[date] = frozenset()
    try:
        closed = parse_closed_dates(form.get("closed_dates", ""))
    except ValidationError as exc:
        errors["closed_dates"] = exc.message
    percents: dict[str, Decimal] = {}
    for key, label, default in (
        ("loyalty_silver", "Silver discount", DEFAULT_SILVER_PERCENT),
        ("loyalty_gold", "Gold discount", DEFAULT_GOLD_PERCENT),
    ):
        try:
            percents[key] = parse_loyalty_percent(form.get(key, ""), key, label, default)
        except ValidationError as exc:
            errors[key] = exc.message
    if errors:
        raise ValidationError(
            "Some settings need fixing (see the marked fields); nothing was saved.",
            errors=errors,
        )
    return ShopSettings(
        name=name,
        address=address,
        phone=phone,
        email=email,
        hours=OpeningHours(tuple(days), closed),
        pickup_rules=rules,
        terms=terms,
        loyalty_silver_percent=percents["loyalty_silver"],
        loyalty_gold_percent=percents["loyalty_gold"],
    )


def hours_to_data(hours: OpeningHours) -> dict[str, object]:
    """The hours as JSON-able data (what the table stores)."""
    return {
        "week": [[f"{h.opens:%H:%M}", f"{h.closes:%H:%M}"] if h else None for h in hours.week],
        "closed": sorted(d.isoformat() for d in hours.closed_dates),
    }


def hours_from_data(data: Mapping[str, object] | None) -> OpeningHours:
    """Stored hours back (data the settings page once accepted)."""
    if not data:
        return OpeningHours()
    week: list[DayHours | None] = []
    for row in list(data.get("week") or [])[:7]:  # type: ignore[call-overload]
        if row:
            opens, closes = (time.fromisoformat(row[0]), time.fromisoformat(row[1]))
            week.append(DayHours(opens, closes))
        else:
            week.append(None)
    week += [None] * (7 - len(week))
    closed = frozenset(date.fromisoformat(d) for d in data.get("closed") or [])  # type: ignore[attr-defined]
    return OpeningHours(tuple(week), closed)
