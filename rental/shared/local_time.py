"""Local time in the business time zone: calendar days and daylight-saving clock changes.

Instants are kept in UTC everywhere (TimeRange); this module answers the questions that only
the local wall clock can answer. The rules (README, "Booking"):

- A local time that does not exist (skipped when the clocks go forward) is refused.
- A local time that happens twice (repeated when the clocks go back) means its FIRST
  occurrence — the one before the change (`fold=0`).
- A day is a calendar day: one day after 09:00 is 09:00 the next day, however many hours lie
  between (23, 24 or 25). Anything shorter than a day is real elapsed time.

Pure Python: zoneinfo gives a non-existent local time an offset silently, so existence is
checked by a round trip through UTC. A fixed-offset zone (UTC) never changes its clocks, so
there every answer is the plain 24-hour one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo

from rental.shared.time_range import TimeRange

DAY = timedelta(days=1)
# Clock changes are found by sampling the offset this often and bisecting to the second.
# Real zones change at most twice a year, never twice within a few hours.
_SAMPLE = timedelta(hours=3)


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}{'' if n == 1 else 's'}"


def _hours(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    parts = [_plural(n, u) for n, u in ((hours, "hour"), (mins, "minute")) if n]
    return " ".join(parts) or "0 minutes"


def day_label(day: date) -> str:
    """'Sun 31 Oct 2027': how a day is written in messages."""
    return day.strftime("%a %d %b %Y")


def clock(moment: datetime) -> str:
    return moment.strftime("%H:%M")


def _fixed(tz: tzinfo) -> bool:
    return isinstance(tz, timezone)


# --- reading the local clock ------------------------------------------------------------------


def local(moment: datetime, tz: tzinfo) -> datetime:
    """The moment on the local wall clock (fold set for the repeated hour)."""
    return moment.astimezone(tz)


def exists(wall: datetime, tz: tzinfo) -> bool:
    """Whether a naive wall-clock time happens at all in `tz` (false inside a gap)."""
    aware = wall.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall


def is_ambiguous(wall: datetime, tz: tzinfo) -> bool:
    """Whether a naive wall-clock time happens twice in `tz` (the repeated hour)."""
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    return exists(wall, tz) and first.utcoffset() != second.utcoffset()


def resolve(wall: datetime, tz: tzinfo) -> datetime:
    """A naive wall-clock time as a UTC instant, by the rules above: the first occurrence of
    a repeated time. A time inside a gap is refused by the caller (see `gap_at`); here it
    maps to the instant the clocks jumped past it, like zoneinfo does."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def start_of_day(day: date, tz: tzinfo) -> datetime:
    """The first instant of a calendar day (UTC). Midnight itself, except in the few zones
    whose clocks jump over midnight: then the moment the day begins after the jump."""
    return resolve(datetime.combine(day, time(0)), tz)


def is_start_of_day(moment: datetime, tz: tzinfo) -> bool:
    return moment == start_of_day(local(moment, tz).date(), tz)


def add_days(moment: datetime, days: int, tz: tzinfo) -> datetime:
    """`days` calendar days later (or earlier) at the same local time, as a UTC instant."""
    if _fixed(tz):
        return (moment + DAY * days).astimezone(UTC)
    if is_start_of_day(moment, tz):
        return start_of_day(local(moment, tz).date() + timedelta(days=days), tz)
    wall = local(moment, tz).replace(tzinfo=None) + timedelta(days=days)
    return resolve(wall, tz)


def add(moment: datetime, delta: timedelta, tz: tzinfo) -> datetime:
    """`delta` after `moment`: its whole days as calendar days, the rest as real time."""
    return add_days(moment, delta.days, tz) + (delta - timedelta(days=delta.days))


def split_days(period: TimeRange, tz: tzinfo) -> tuple[int, timedelta]:
    """(whole calendar days from the start, the real time left after them)."""
    days = max((period.end - period.start).days, 0)
    while days > 0 and add_days(period.start, days, tz) > period.end:
        days -= 1
    while add_days(period.start, days + 1, tz) <= period.end:
        days += 1
    return days, period.end - add_days(period.start, days, tz)


def calendar_length(period: TimeRange, tz: tzinfo) -> timedelta:
    """The period's length with every whole calendar day counted as 24 hours (what a
    customer means by '2 days'); the plain duration in a zone without clock changes."""
    days, rest = split_days(period, tz)
    return DAY * days + rest


def day_length(day: date, tz: tzinfo) -> timedelta:
    return start_of_day(day + DAY, tz) - start_of_day(day, tz)


# --- clock changes ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClockChange:
    """One daylight-saving change: at `at` (UTC) the offset goes from `before` to `after`."""

    at: datetime
    before: timedelta
    after: timedelta
    tz: tzinfo

    @property
    def forward(self) -> bool:
        return self.after > self.before

    @property
    def wall_from(self) -> datetime:
        """What the clock would have shown at the change (02:00 forward, 03:00 back)."""
        return (self.at + self.before).replace(tzinfo=None)

    @property
    def wall_to(self) -> datetime:
        """What the clock shows right after it (03:00 forward, 02:00 back)."""
        return (self.at + self.after).replace(tzinfo=None)

    @property
    def day(self) -> date:
        return local(self.at, self.tz).date()

    def describe(self) -> str:
        """'clocks go back from 03:00 to 02:00'."""
        way = "forward" if self.forward else "back"
        return f"clocks go {way} from {clock(self.wall_from)} to {clock(self.wall_to)}"


def _offset(moment: datetime, tz: tzinfo) -> timedelta:
    return local(moment, tz).utcoffset() or timedelta(0)


def clock_changes(period: TimeRange, tz: tzinfo) -> list[ClockChange]:
    """The clock changes strictly inside the period (a booking that starts or ends exactly at
    a change does not span it)."""
    if _fixed(tz):
        return []
    changes: list[ClockChange] = []
    lo = period.start
    while lo < period.end:
        hi = min(lo + _SAMPLE, period.end)
        before, after = _offset(lo, tz), _offset(hi, tz)
        if before != after:
            a, b = lo, hi  # offset(a) == before, offset(b) == after
            while b - a > timedelta(seconds=1):
                mid = a + (b - a) / 2
                mid = mid.replace(microsecond=0)
                if mid <= a:
                    break
                if _offset(mid, tz) == before:
                    a = mid
                else:
                    b = mid
            if period.start < b < period.end:
                changes.append(ClockChange(b, before, after, tz))
        lo = hi
    return changes


def gap_at(wall: datetime, tz: tzinfo) -> ClockChange | None:
    """The forward change that skips the naive wall-clock time `wall`, if it does not exist."""
    if _fixed(tz) or exists(wall, tz):
        return None
    guess = resolve(wall, tz)
    window = TimeRange(guess - 2 * DAY, guess + 2 * DAY)
    for change in clock_changes(window, tz):
        if change.forward and change.wall_from <= wall < change.wall_to:
            return change
    return None


def change_at(wall: datetime, tz: tzinfo) -> ClockChange | None:
    """The backward change that repeats the naive wall-clock time `wall`, if it is ambiguous."""
    if _fixed(tz) or not is_ambiguous(wall, tz):
        return None
    guess = resolve(wall, tz)
    window = TimeRange(guess - 2 * DAY, guess + 2 * DAY)
    for change in clock_changes(window, tz):
        if not change.forward and change.wall_to <= wall < change.wall_from:
            return change
    return None


def missing_time_message(wall: datetime, change: ClockChange) -> str:
    """'02:30 does not exist on Sun 28 Mar 2027: the clocks go forward from 02:00 to 03:00.
    Pick a time before 02:00 or from 03:00.'"""
    return (
        f"{clock(wall)} does not exist on {day_label(wall.date())}: the {change.describe()}. "
        f"Pick a time before {clock(change.wall_from)} or from {clock(change.wall_to)}."
    )


def describe_length(delta: timedelta) -> str:
    """'3 hours', '1 hour 30 minutes' (for sub-day spans in messages)."""
    return _hours(delta)
