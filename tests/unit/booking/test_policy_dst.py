"""Booking rules across daylight-saving changes (Europe/Berlin 2027: clocks go forward on Sun
28 Mar at 02:00, back on Sun 31 Oct at 03:00) and, for contrast, the same rules in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from werkzeug.datastructures import MultiDict

from rental.booking.domain.availability import Occupancy, earliest_start
from rental.booking.domain.models import PricingBasis
from rental.booking.domain.policy import BookingPolicy
from rental.booking.web.forms import from_period, parse
from rental.shared.errors import ValidationError
from rental.shared.time_range import TimeRange

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2027, 1, 4, 10, tzinfo=UTC)
berlin = BookingPolicy(timezone=BERLIN)
utc = BookingPolicy(timezone=ZoneInfo("UTC"))
HOURLY, DAILY = PricingBasis.HOURLY, PricingBasis.DAILY


def at(policy: BookingPolicy, text: str) -> datetime:
    return policy.local_moment(datetime.fromisoformat(text), "start")


def hourly(policy: BookingPolicy, start: str, end: str) -> TimeRange:
    return TimeRange(at(policy, start), at(policy, end))


# --- hourly times the clocks skip or repeat ----------------------------------------------------


def test_a_time_the_clocks_skip_is_refused_naming_the_change():
    with pytest.raises(ValidationError) as err:
        berlin.local_moment(datetime(2027, 3, 28, 2, 30), "start")
    assert err.value.field == "start"
    assert err.value.message == (
        "02:30 does not exist on Sun 28 Mar 2027: the clocks go forward from 02:00 to 03:00. "
        "Pick a time before 02:00 or from 03:00."
    )
    # 02:00 itself is skipped too; in UTC nothing is.
    with pytest.raises(ValidationError, match="02:00 does not exist"):
        berlin.local_moment(datetime(2027, 3, 28, 2, 0), "end")
    assert utc.local_moment(datetime(2027, 3, 28, 2, 30), "start").hour == 2


def test_the_form_puts_the_skipped_time_message_next_to_its_field():
    args = MultiDict({"basis": "hourly", "start": "2027-03-28T02:00", "end": "2027-03-28T04:00"})
    req = parse(args, berlin, NOW)
    assert req.period is None
    assert req.errors == {
        "start": "02:00 does not exist on Sun 28 Mar 2027: the clocks go forward from 02:00 "
        "to 03:00. Pick a time before 02:00 or from 03:00."
    }
    # The same request in UTC is an ordinary two-hour booking.
    in_utc = parse(args, utc, NOW)
    assert not in_utc.errors and in_utc.period.duration == timedelta(hours=2)


def test_a_repeated_time_means_its_first_occurrence():
    period = hourly(berlin, "2027-10-31T02:15", "2027-10-31T04:15")
    assert period.start == datetime(2027, 10, 31, 0, 15, tzinfo=UTC)  # 02:15 summer time
    assert period.duration == timedelta(hours=3)  # real time
    berlin.check_period(period, HOURLY, NOW, minimum=timedelta(hours=3))


def test_the_minimum_explains_a_booking_shortened_by_the_clocks():
    period = hourly(berlin, "2027-03-28T01:30", "2027-03-28T03:30")
    with pytest.raises(ValidationError) as err:
        berlin.check_period(period, HOURLY, NOW, minimum=timedelta(hours=2))
    assert err.value.message == (
        "The minimum rental is 2 hours. On Sun 28 Mar 2027 the clocks go forward from 02:00 "
        "to 03:00, so 01:30–03:30 is only 1 hour."
    )
    # 01:00–04:00 that night is 2 hours of real time: enough.
    two_hours = hourly(berlin, "2027-03-28T01:00", "2027-03-28T04:00")
    berlin.check_period(two_hours, HOURLY, NOW, minimum=timedelta(hours=2))


# --- whole days -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "hours"),
    [
        (date(2027, 3, 27), date(2027, 3, 28), 47),
        (date(2027, 10, 30), date(2027, 10, 31), 49),
        (date(2027, 6, 5), date(2027, 6, 6), 48),
    ],
)
def test_daily_bookings_are_midnight_to_midnight_on_clock_change_days(first, last, hours):
    period = berlin.daily_period(first, last)
    assert period.duration == timedelta(hours=hours)
    berlin.check_period(period, DAILY, NOW, minimum=timedelta(days=2))
    # A day of 24 real hours from midnight ends at 01:00 or 23:00 local: not whole days.
    wrong = TimeRange(period.start, period.start + timedelta(days=2))
    if hours != 48:
        with pytest.raises(ValidationError, match="midnight to midnight"):
            berlin.check_period(wrong, DAILY, NOW)


def test_the_limit_counts_calendar_days_on_any_date():
    # 90 days in autumn last 90 days and 1 hour; in spring 89 days and 23 hours.
    autumn = berlin.daily_period(date(2027, 8, 3), date(2027, 10, 31))
    spring = berlin.daily_period(date(2027, 1, 5), date(2027, 4, 4))
    assert autumn.duration == timedelta(days=90, hours=1)
    assert spring.duration == timedelta(days=90, hours=-1)
    berlin.check_period(autumn, DAILY, NOW)
    berlin.check_period(spring, DAILY, NOW)
    for too_long in (
        berlin.daily_period(date(2027, 8, 3), date(2027, 11, 1)),
        berlin.daily_period(date(2027, 1, 5), date(2027, 4, 5)),
    ):
        with pytest.raises(ValidationError, match="at most 90 days"):
            berlin.check_period(too_long, DAILY, NOW)
    # Hourly: 90 days from 09:00 end at 09:00, whatever the clocks did in between.
    berlin.check_period(hourly(berlin, "2027-08-03T09:00", "2027-11-01T09:00"), HOURLY, NOW)
    with pytest.raises(ValidationError, match="at most 90 days"):
        berlin.check_period(hourly(berlin, "2027-08-03T09:00", "2027-11-01T09:15"), HOURLY, NOW)


def test_the_limit_in_utc_is_unchanged():
    ninety = utc.daily_period(date(2027, 8, 3), date(2027, 10, 31))
    assert ninety.duration == timedelta(days=90)
    utc.check_period(ninety, DAILY, NOW)
    with pytest.raises(ValidationError, match="at most 90 days"):
        utc.check_period(ninety.expanded(after=timedelta(hours=1)), HOURLY, NOW)


def test_a_configured_limit_is_calendar_days_too():
    week = BookingPolicy(timezone=BERLIN, max_duration=timedelta(days=7))
    week.check_period(week.daily_period(date(2027, 10, 25), date(2027, 10, 31)), DAILY, NOW)
    with pytest.raises(ValidationError, match="at most 7 days"):
        week.check_period(week.daily_period(date(2027, 10, 25), date(2027, 11, 1)), DAILY, NOW)


# --- the grid and "the same booking later" ---------------------------------------------------


def test_align_up_on_clock_change_days():
    # The repeated hour is on the grid too: 02:50 summer time → 02:00 winter time (00:50 →
    # 01:00 UTC), not 03:00.
    repeated = datetime(2027, 10, 31, 0, 50, tzinfo=UTC)
    assert berlin.align_up(repeated, HOURLY) == datetime(2027, 10, 31, 1, 0, tzinfo=UTC)
    before_gap = datetime(2027, 3, 28, 0, 50, tzinfo=UTC)  # 01:50 winter time
    assert berlin.align_up(before_gap, HOURLY) == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    # Daily: the next local midnight, 23 or 25 hours after the previous one.
    sunday = datetime(2027, 10, 31, 12, tzinfo=UTC)
    assert berlin.align_up(sunday, DAILY) == datetime(2027, 10, 31, 23, tzinfo=UTC)
    assert berlin.align_up(datetime(2027, 3, 28, 12, tzinfo=UTC), DAILY) == datetime(
        2027, 3, 28, 22, tzinfo=UTC
    )


def test_the_same_booking_later_keeps_its_calendar_days():
    weekend = berlin.daily_period(date(2027, 10, 23), date(2027, 10, 24))  # 48 hours
    later = berlin.same_length_from(
        weekend, berlin.daily_period(date(2027, 10, 30), date(2027, 10, 30)).start
    )
    assert later == berlin.daily_period(date(2027, 10, 30), date(2027, 10, 31))  # 49 hours
    assert from_period(later, DAILY, 1, BERLIN)["end_date"] == "2027-10-31"


def test_earliest_start_suggests_whole_days_across_a_clock_change():
    # One unit, booked Thu 28 – Fri 29 Oct; the customer wants Thu–Sat: the suggestion is
    # Sat 30 – Mon 1 Nov, three calendar days (73 hours), midnight to midnight.
    booked = berlin.daily_period(date(2027, 10, 28), date(2027, 10, 29))
    wanted = berlin.daily_period(date(2027, 10, 28), date(2027, 10, 30))
    found = earliest_start(
        [Occupancy(booked, 1)],
        wanted,
        1,
        timedelta(0),
        lambda _p: 1,
        timedelta(days=14),
        lambda moment: berlin.align_up(moment, DAILY),
        same_length_from=lambda start: berlin.same_length_from(wanted, start),
    )
    assert found == berlin.daily_period(date(2027, 10, 30), date(2027, 11, 1))
    berlin.check_period(found, DAILY, NOW)
