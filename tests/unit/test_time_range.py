from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.shared.errors import ValidationError
from rental.shared.time_range import TimeRange

CET = timezone(timedelta(hours=1))


def at(hour: int, minute: int = 0, tz=UTC) -> datetime:
    return datetime(2030, 5, 6, hour, minute, tzinfo=tz)


def test_stored_in_utc_whatever_zone_it_was_given_in():
    r = TimeRange(at(10, tz=CET), at(12, tz=CET))
    assert r.start == at(9) and r.start.tzinfo == UTC
    assert r.duration == timedelta(hours=2)


@pytest.mark.parametrize("end_hour", [9, 8])
def test_end_must_be_after_start(end_hour):
    with pytest.raises(ValidationError) as err:
        TimeRange(at(9), at(end_hour))
    assert err.value.field == "end"
    assert "after the start" in err.value.message


def test_naive_datetimes_are_refused():
    with pytest.raises(ValidationError, match="time zone"):
        TimeRange(datetime(2030, 1, 1, 9), datetime(2030, 1, 1, 10))


def test_back_to_back_ranges_do_not_overlap():
    assert not TimeRange(at(9), at(12)).overlaps(TimeRange(at(12), at(15)))
    assert TimeRange(at(9), at(12)).overlaps(TimeRange(at(11, 59), at(15)))


def test_contains_is_half_open():
    r = TimeRange(at(9), at(12))
    assert r.contains(at(9)) and not r.contains(at(12))
    assert r.contains(TimeRange(at(9), at(12)))
    assert not r.contains(TimeRange(at(8), at(10)))


def test_round_trips_through_dict():
    r = TimeRange(at(9), at(12))
    assert TimeRange.from_dict(r.to_dict()) == r


moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)


@given(moments, moments, moments, moments)
def test_overlap_is_symmetric_and_matches_the_definition(a, b, c, d):
    if a >= b or c >= d:
        return
    x, y = TimeRange(a, b), TimeRange(c, d)
    assert x.overlaps(y) == y.overlaps(x)
    # Overlap means some instant lies in both ranges.
    assert x.overlaps(y) == (max(a, c) < min(b, d))
