"""Moving the start keeps the length (issue 11): BookingPolicy.follow_start, the rule the form
applies without JavaScript (static/js/app.js does the same in the browser)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from rental.booking.domain.policy import BookingPolicy
from rental.shared.time_range import TimeRange

BERLIN = ZoneInfo("Europe/Berlin")
policy = BookingPolicy(timezone=BERLIN)


def at(day: int, hour: int, month: int = 9) -> datetime:
    return datetime(2030, month, day, hour, tzinfo=BERLIN)


WAS = TimeRange(at(5, 9), at(5, 17))  # Thu 09:00–17:00


def test_a_moved_start_with_the_end_left_alone_takes_the_end_along():
    assert policy.follow_start(WAS, at(7, 10), WAS.end) == TimeRange(at(7, 10), at(7, 18))
    # Earlier too: the length is what is kept, whichever way the start moves.
    assert policy.follow_start(WAS, at(5, 8), WAS.end) == TimeRange(at(5, 8), at(5, 16))


def test_an_end_that_would_fall_before_the_start_moves_too():
    assert policy.follow_start(WAS, at(9, 9), at(6, 12)) == TimeRange(at(9, 9), at(9, 17))
    assert policy.follow_start(WAS, at(9, 9), at(9, 9)) == TimeRange(at(9, 9), at(9, 17))


def test_what_the_customer_typed_stands_otherwise():
    assert policy.follow_start(WAS, WAS.start, at(5, 12)) is None  # only the end changed
    assert policy.follow_start(WAS, at(5, 10), at(5, 12)) is None  # both, in order
    assert policy.follow_start(None, at(9, 9), at(6, 12)) is None  # nothing to go by


def test_whole_days_stay_whole_days_across_a_clock_change():
    # Fri 25 – Sat 26 Oct 2030 (2 days); moved to Sat 26: the clocks go back on Sun 27, and the
    # booking is still 2 calendar days (Sat–Sun, 49 hours), midnight to midnight.
    was = policy.daily_period(at(25, 0, 10).date(), at(26, 0, 10).date())
    moved = policy.follow_start(was, at(26, 0, 10), was.end)
    assert moved == policy.daily_period(at(26, 0, 10).date(), at(27, 0, 10).date())
    assert moved is not None and moved.duration == timedelta(hours=49)
