"""The opening-hours rule (rental/shop/domain): hourly bookings start and end while the shop
is open, closed weekdays and closed dates refuse, suggestions start at openings; on the local
wall clock, also on the days the clocks change (Europe/Berlin 2027: forward on Sun 28 Mar at
02:00, back on Sun 31 Oct at 03:00)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from rental.shared.errors import ValidationError
from rental.shared.time_range import TimeRange
from rental.shop.domain.models import (
    DayHours,
    OpeningHours,
    ShopSettings,
    build_settings,
    hours_from_data,
    hours_to_data,
)

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAY = DayHours(time(7), time(18))
# Mon–Fri 07:00–18:00, Sat 08:00–13:00, Sun closed; closed on 1 Jan 2027 (a Friday).
DEMO = OpeningHours((WEEKDAY,) * 5 + (DayHours(time(8), time(13)), None), frozenset())
HOLIDAY = OpeningHours(DEMO.week, frozenset({date(2027, 1, 1)}))


def local(text: str, tz=BERLIN) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=tz).astimezone(UTC)


def period(start: str, end: str, tz=BERLIN) -> TimeRange:
    return TimeRange(local(start, tz), local(end, tz))


def test_no_hours_restrict_nothing():
    assert not OpeningHours().restricts
    assert OpeningHours().problem(period("2027-01-03T23:00", "2027-01-04T03:00"), BERLIN) is None
    assert ShopSettings().is_empty


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("2027-01-04T07:00", "2027-01-04T18:00"),  # Monday, opening to closing
        ("2027-01-04T17:45", "2027-01-05T07:15"),  # over night, picked up and back in hours
        ("2027-01-08T09:00", "2027-01-09T13:00"),  # Friday to Saturday's closing
    ],
)
def test_within_opening_hours(start, end):
    assert DEMO.problem(period(start, end), BERLIN) is None
    assert DEMO.fits(period(start, end), BERLIN)


def test_the_start_must_be_before_closing_and_the_end_after_opening():
    field, message = DEMO.problem(period("2027-01-04T18:00", "2027-01-04T19:00"), BERLIN)
    assert field == "start"
    assert "On Mon 04 Jan 2027 we are open 07:00\u201318:00" in message
    assert "Mon\u2013Fri 07:00\u201318:00, Sat 08:00\u201313:00, Sun closed" in message
    field, message = DEMO.problem(period("2027-01-04T09:00", "2027-01-04T18:15"), BERLIN)
    assert field == "end" and "bring it back" in message
    assert DEMO.problem(period("2027-01-04T06:45", "2027-01-04T09:00"), BERLIN)[0] == "start"


def test_closed_weekdays_and_closed_dates_refuse():
    field, message = DEMO.problem(period("2027-01-10T09:00", "2027-01-10T12:00"), BERLIN)
    assert field == "start" and "We are closed on Sun 10 Jan 2027" in message
    field, _ = DEMO.problem(period("2027-01-09T09:00", "2027-01-10T10:00"), BERLIN)
    assert field == "end"  # brought back on Sunday
    # 1 Jan 2027 is a Friday, open by the week, closed by date.
    assert DEMO.fits(period("2027-01-01T09:00", "2027-01-01T12:00"), BERLIN)
    field, message = HOLIDAY.problem(period("2027-01-01T09:00", "2027-01-01T12:00"), BERLIN)
    assert field == "start" and "closed on Fri 01 Jan 2027" in message


def test_the_wall_clock_decides_on_the_days_the_clocks_change():
    # Open Sundays 01:00–05:00 (a night shift): 28 Mar 2027 skips 02:00–03:00.
    night = OpeningHours((None,) * 6 + (DayHours(time(1), time(5)),))
    spring = period("2027-03-28T01:00", "2027-03-28T05:00")
    assert spring.duration.total_seconds() == 3 * 3600  # 4 hours on the clock, 3 real
    assert night.fits(spring, BERLIN)
    # 31 Oct 2027 repeats 02:00–03:00: 01:00–05:00 is 5 real hours and still within hours.
    autumn = period("2027-10-31T01:00", "2027-10-31T05:00")
    assert autumn.duration.total_seconds() == 5 * 3600 and night.fits(autumn, BERLIN)
    # 05:15 local is after closing whatever the offset.
    assert not night.fits(period("2027-10-31T01:00", "2027-10-31T05:15"), BERLIN)
    # In UTC the same instants are other wall-clock times: 01:00 Berlin summer time is 23:00
    # UTC on Saturday, when this shop is closed.
    assert not night.fits(spring, ZoneInfo("UTC"))


def test_opening_moments_are_the_openings_of_open_days_in_local_time():
    window = period("2027-03-26T12:00", "2027-03-30T00:00")  # Fri noon to Tue
    moments = list(DEMO.opening_moments(window, BERLIN))
    # Fri's opening has passed; Sat 08:00 CET (07:00 UTC); Sunday closed; Mon 07:00 CEST.
    assert moments == [
        datetime(2027, 3, 27, 7, tzinfo=UTC),
        datetime(2027, 3, 29, 5, tzinfo=UTC),
    ]


def test_summary_groups_weekdays_with_the_same_hours():
    assert DEMO.summary() == "Mon\u2013Fri 07:00\u201318:00, Sat 08:00\u201313:00, Sun closed"
    two = OpeningHours((WEEKDAY, WEEKDAY) + (None,) * 5)
    assert two.grouped() == [("Mon, Tue", "07:00\u201318:00"), ("Wed\u2013Sun", "closed")]


def test_stored_hours_round_trip():
    assert hours_from_data(hours_to_data(HOLIDAY)) == HOLIDAY
    assert hours_from_data(None) == OpeningHours()


# --- what staff type ---------------------------------------------------------------------------

WEEK = (("07:00", "18:00"),) * 5 + (("8:00", "13:00"), ("", ""))


def test_a_full_form_builds_the_settings():
    settings = build_settings(
        {
            "name": " Demo  Hire ",
            "address": "Street 1\r\n\r\nCity",
            "phone": "+49 40 123456",
            "email": "Hire@Example.com",
            "closed_dates": "2027-01-01\n2027-12-25, 2027-12-26",
        },
        WEEK,
    )
    assert settings.name == "Demo Hire" and settings.email == "hire@example.com"
    assert settings.address_lines == ["Street 1", "City"]
    assert settings.hours.week == DEMO.week
    assert len(settings.hours.closed_dates) == 3


def test_an_empty_form_is_empty_settings():
    assert build_settings({}, ()).is_empty


@pytest.mark.parametrize(
    ("week", "form", "field", "words"),
    [
        ((("7", "18:00"),), {}, "opens_0", "HH:MM"),
        ((("07:00", "24:00"),), {}, "closes_0", "HH:MM"),
        ((("18:00", "07:00"),), {}, "closes_0", "close (07:00) before it opens (18:00)"),
        ((("09:00", "09:00"),), {}, "closes_0", "before it opens"),
        ((("09:00", ""),), {}, "closes_0", "Give the closing time on Monday"),
        ((("", "17:00"),), {}, "opens_0", "Give the opening time on Monday"),
        ((), {"email": "not-an-email"}, "email", "valid email"),
        ((), {"phone": "call me"}, "phone", "digits"),
        ((), {"name": "x" * 121}, "name", "under 120"),
        ((), {"terms": "x" * 20_001}, "terms", "under 20,000"),
        ((), {"address": "x" * 301}, "address", "under 300"),
        ((), {"closed_dates": "2027-02-30"}, "closed_dates", "not a day"),
        ((), {"closed_dates": "tomorrow"}, "closed_dates", "YYYY-MM-DD"),
    ],
)
def test_bad_input_names_the_field(week, form, field, words):
    with pytest.raises(ValidationError) as err:
        build_settings(form, week)
    assert field in err.value.errors and words in err.value.errors[field], err.value.errors


def test_every_faulty_field_is_reported_at_once():
    week = (("25:00", "18:00"), ("18:00", "07:00"))
    with pytest.raises(ValidationError) as err:
        build_settings({"email": "x@", "phone": "?"}, week)
    assert set(err.value.errors) == {"opens_0", "closes_1", "email", "phone"}


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (date(2027, 1, 4), (date(2027, 1, 4), time(9), time(17))),  # Monday: as asked
        (date(2027, 1, 9), (date(2027, 1, 9), time(9), time(13))),  # Saturday: until closing
        (date(2027, 1, 10), (date(2027, 1, 11), time(9), time(17))),  # Sunday: Monday instead
        (date(2027, 1, 1), (date(2027, 1, 2), time(9), time(13))),  # the holiday: Saturday
    ],
)
def test_a_default_period_goes_to_the_first_open_day_within_its_hours(first, expected):
    assert HOLIDAY.first_open_hours(first, time(9), time(17)) == expected


def test_a_default_period_outside_a_days_hours_takes_the_whole_day():
    evenings = OpeningHours((DayHours(time(18), time(22)),) * 7)
    assert evenings.first_open_hours(date(2027, 1, 4), time(9), time(17)) == (
        date(2027, 1, 4),
        time(18),
        time(22),
    )


def test_no_hours_or_no_open_day_keep_the_default():
    assert OpeningHours().first_open_hours(date(2027, 1, 10), time(9), time(17)) == (
        date(2027, 1, 10),
        time(9),
        time(17),
    )
    never = OpeningHours(DEMO.week, frozenset(date(2027, 1, d) for d in range(1, 32)))
    assert never.first_open_hours(date(2027, 1, 1), time(9), time(17), days=14)[0] == date(
        2027, 1, 1
    )
