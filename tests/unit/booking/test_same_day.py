"""Whole days from today (issue 11): a daily booking may start today until the same-day
cut-off (local time of the business time zone); otherwise the message names the earliest
first day. Hourly starts in the past name the earliest start. A request for whole days from
today can still be approved during them."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from rental.booking.domain.models import (
    BookingChannel,
    FrozenQuote,
    PricingBasis,
    Reservation,
    ReservationStatus,
)
from rental.booking.domain.policy import BookingPolicy, same_day_cutoff
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

BERLIN = ZoneInfo("Europe/Berlin")
policy = BookingPolicy(timezone=BERLIN, same_day_until=time(15, 0))
DAILY = PricingBasis.DAILY

# Thu 5 Sep 2030 in Berlin (CEST, UTC+2).
THURSDAY = datetime(2030, 9, 5).date()


def at(hour: int, minute: int = 0) -> datetime:
    """A moment on Thursday, Berlin time, as the UTC instant the clock gives."""
    return datetime(2030, 9, 5, hour, minute, tzinfo=BERLIN).astimezone(UTC)


def days(first_offset: int, last_offset: int) -> TimeRange:
    return policy.daily_period(
        THURSDAY + timedelta(days=first_offset), THURSDAY + timedelta(days=last_offset)
    )


def test_today_is_bookable_by_the_day_until_the_cutoff():
    assert policy.earliest_day(at(9)) == THURSDAY
    assert policy.earliest_day(at(14, 59)) == THURSDAY
    policy.check_period(days(0, 1), DAILY, at(14, 59))  # Thu–Fri from 14:59: accepted
    assert policy.same_day_note(at(10)) == "Today can still be booked until 15:00."


def test_after_the_cutoff_the_message_names_tomorrow():
    assert policy.earliest_day(at(15)) == THURSDAY + timedelta(days=1)
    with pytest.raises(ValidationError) as refused:
        policy.check_period(days(0, 1), DAILY, at(15))
    assert refused.value.field == "start"
    assert refused.value.message == (
        "Whole-day bookings for today close at 15:00: the earliest first day is tomorrow, "
        "Fri 06 Sep 2030."
    )
    assert policy.same_day_note(at(16)) == (
        "Bookings for today closed at 15:00: the earliest first day is tomorrow."
    )
    policy.check_period(days(1, 1), DAILY, at(23, 59))  # tomorrow is fine


def test_the_cutoff_is_local_time_not_utc():
    # 14:30 in Berlin is 12:30 UTC; 15:30 Berlin is 13:30 UTC: the Berlin clock decides.
    assert policy.earliest_day(datetime(2030, 9, 5, 12, 30, tzinfo=UTC)) == THURSDAY
    assert policy.earliest_day(datetime(2030, 9, 5, 13, 30, tzinfo=UTC)) > THURSDAY
    # 00:30 Berlin on Friday is still Thursday in UTC: it is Friday's morning that counts.
    friday_early = datetime(2030, 9, 5, 22, 30, tzinfo=UTC)
    assert policy.earliest_day(friday_early) == THURSDAY + timedelta(days=1)


def test_a_day_that_has_passed_names_the_earliest_day():
    with pytest.raises(
        ValidationError,
        match=r"That day has passed: the earliest first day is "
        r"today, Thu 05 Sep 2030\.",
    ):
        policy.check_period(days(-1, 1), DAILY, at(9))
    with pytest.raises(ValidationError, match="earliest first day is tomorrow, Fri 06 Sep"):
        policy.check_period(days(-1, 1), DAILY, at(18))


def test_without_same_day_bookings_today_is_refused_plainly():
    strict = BookingPolicy(timezone=BERLIN, same_day_until=None)
    assert strict.earliest_day(at(0, 1)) == THURSDAY + timedelta(days=1)
    with pytest.raises(
        ValidationError,
        match="We do not take whole-day bookings for the same "
        "day online: the earliest first day is tomorrow",
    ):
        strict.check_period(days(0, 0), DAILY, at(8))
    assert strict.same_day_note(at(8)) == "The earliest first day is tomorrow."


def test_an_hourly_start_in_the_past_names_the_earliest_start():
    past = TimeRange(at(9), at(12))
    with pytest.raises(ValidationError) as refused:
        policy.check_period(past, PricingBasis.HOURLY, at(10, 7))
    assert refused.value.message == (
        "The start must be in the future: the earliest start is Thu 05 Sep 2030, 10:15."
    )


def test_the_cutoff_setting_reads_hours_and_minutes_or_off():
    assert same_day_cutoff("15:00") == time(15, 0)
    assert same_day_cutoff("07:45") == time(7, 45)
    assert same_day_cutoff("off") is None


def request_for(period: TimeRange, created: datetime) -> Reservation:
    zero = Money.zero("EUR")
    return Reservation(
        id="r1",
        reference="RK-ABCDEF",
        customer_id="c1",
        equipment_type_id="t1",
        period=period,
        quantity=3,
        basis=DAILY,
        quote=FrozenQuote((), zero, (), zero, zero),
        status=ReservationStatus.REQUESTED,
        created_at=created,
        updated_at=created,
        hold_expires_at=None,
        manage_token_hash="x",
        channel=BookingChannel.ONLINE,
    )


def test_a_request_for_whole_days_from_today_stays_open_during_them():
    today = request_for(days(0, 1), created=at(10))
    assert today.approval_deadline == days(0, 1).end
    assert not today.is_stale(at(10, 1)) and not today.is_stale(at(23))
    assert today.is_stale(days(0, 1).end)
    # Asked for before the start: staff must decide by the start, as before.
    ahead = request_for(days(1, 1), created=at(10))
    assert ahead.approval_deadline == days(1, 1).start
    assert ahead.is_stale(days(1, 1).start)
