"""Local time in the business time zone: calendar days and the two daylight-saving changes
(Europe/Berlin 2027: forward on Sun 28 Mar at 02:00, back on Sun 31 Oct at 03:00), and no
change at all in UTC."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rental.shared import local_time as lt
from rental.shared.time_range import TimeRange

BERLIN = ZoneInfo("Europe/Berlin")
SPRING = date(2027, 3, 28)
AUTUMN = date(2027, 10, 31)


def wall(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute)


def test_the_skipped_hour_does_not_exist_and_the_repeated_hour_is_ambiguous():
    assert not lt.exists(wall(SPRING, 2, 30), BERLIN)
    assert lt.exists(wall(SPRING, 1, 59), BERLIN) and lt.exists(wall(SPRING, 3), BERLIN)
    assert lt.is_ambiguous(wall(AUTUMN, 2, 15), BERLIN)
    assert not lt.is_ambiguous(wall(AUTUMN, 3), BERLIN)
    assert lt.exists(wall(SPRING, 2, 30), UTC) and not lt.is_ambiguous(wall(AUTUMN, 2, 15), UTC)


def test_a_repeated_time_means_its_first_occurrence():
    assert lt.resolve(wall(AUTUMN, 2, 15), BERLIN) == datetime(2027, 10, 31, 0, 15, tzinfo=UTC)
    change = lt.change_at(wall(AUTUMN, 2, 15), BERLIN)
    assert change is not None and change.at == datetime(2027, 10, 31, 1, tzinfo=UTC)
    assert change.describe() == "clocks go back from 03:00 to 02:00"


def test_the_gap_is_found_and_explained():
    change = lt.gap_at(wall(SPRING, 2, 30), BERLIN)
    assert change is not None and change.forward
    assert change.at == datetime(2027, 3, 28, 1, tzinfo=UTC)
    assert lt.missing_time_message(wall(SPRING, 2, 30), change) == (
        "02:30 does not exist on Sun 28 Mar 2027: the clocks go forward from 02:00 to 03:00. "
        "Pick a time before 02:00 or from 03:00."
    )
    assert lt.gap_at(wall(SPRING, 3), BERLIN) is None
    assert lt.gap_at(wall(SPRING, 2, 30), UTC) is None


def test_days_with_a_clock_change_have_23_and_25_hours_but_are_one_calendar_day():
    assert lt.day_length(SPRING, BERLIN) == timedelta(hours=23)
    assert lt.day_length(AUTUMN, BERLIN) == timedelta(hours=25)
    assert lt.day_length(AUTUMN, UTC) == timedelta(hours=24)
    weekend = TimeRange(lt.start_of_day(AUTUMN, BERLIN), lt.start_of_day(date(2027, 11, 1), BERLIN))
    assert weekend.duration == timedelta(hours=25)
    assert lt.split_days(weekend, BERLIN) == (1, timedelta(0))
    assert lt.calendar_length(weekend, BERLIN) == timedelta(days=1)


def test_adding_days_keeps_the_local_time_across_a_change():
    nine = lt.resolve(wall(date(2027, 10, 30), 9), BERLIN)
    later = lt.add_days(nine, 1, BERLIN)
    assert later.astimezone(BERLIN).hour == 9 and later - nine == timedelta(hours=25)
    assert lt.add(nine, timedelta(days=1, hours=2), BERLIN).astimezone(BERLIN).hour == 11
    assert lt.add_days(nine, 1, UTC) - nine == timedelta(days=1)


def test_clock_changes_inside_a_period_only():
    spring_day = TimeRange(
        lt.start_of_day(SPRING, BERLIN), lt.start_of_day(SPRING, BERLIN) + timedelta(hours=23)
    )
    (change,) = lt.clock_changes(spring_day, BERLIN)
    assert change.forward and change.day == SPRING
    assert (lt.clock(change.wall_from), lt.clock(change.wall_to)) == ("02:00", "03:00")
    starts_at_change = TimeRange(change.at, change.at + timedelta(hours=2))
    assert lt.clock_changes(starts_at_change, BERLIN) == []
    assert lt.clock_changes(spring_day, UTC) == []


def test_a_day_whose_midnight_is_skipped_starts_when_the_clocks_jump():
    # Chile moves its clocks forward at midnight: 3 Sep 2023 begins at 01:00.
    santiago = ZoneInfo("America/Santiago")
    start = lt.start_of_day(date(2023, 9, 3), santiago)
    assert start.astimezone(santiago).hour == 1
    assert lt.is_start_of_day(start, santiago)
    assert lt.add_days(lt.start_of_day(date(2023, 9, 2), santiago), 1, santiago) == start


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2020, 1, 1), date(2035, 12, 31)), st.integers(0, 120))
def test_n_calendar_days_are_n_days_whatever_their_hours(first, n):
    start = lt.start_of_day(first, BERLIN)
    end = lt.start_of_day(first + timedelta(days=n + 1), BERLIN)
    assert lt.add_days(start, n + 1, BERLIN) == end
    assert lt.split_days(TimeRange(start, end), BERLIN) == (n + 1, timedelta(0))
    assert abs((end - start) - timedelta(days=n + 1)) <= timedelta(hours=1)
