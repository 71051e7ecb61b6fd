"""The shared chart geometry: a day axis that stays one column per calendar day across a
clock change, a value scale, bars and step lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from rental.shared.charts import DayAxis, ValueScale, step_line
from rental.shared.time_range import TimeRange

BERLIN = ZoneInfo("Europe/Berlin")


def test_each_calendar_day_is_one_equal_column_even_on_a_25_hour_day():
    # 31 Oct 2027: the clocks go back, the day has 25 hours.
    axis = DayAxis(date(2027, 10, 30), 3, BERLIN, left=100, width=300)
    assert [x for _, x in axis.columns()] == [100.0, 200.0, 300.0]
    long_day = datetime(2027, 10, 31, tzinfo=BERLIN)
    noon_in_real_time = long_day.astimezone(UTC) + timedelta(hours=12.5)
    assert axis.x(noon_in_real_time) == 250.0  # half of the 25 real hours


def test_moments_outside_the_axis_are_clipped_and_bars_keep_a_visible_width():
    axis = DayAxis(date(2030, 6, 3), 2, UTC, left=0, width=200)
    before = datetime(2030, 6, 1, tzinfo=UTC)
    assert axis.x(before) == 0.0 and axis.x(datetime(2031, 1, 1, tzinfo=UTC)) == 200.0
    moment = datetime(2030, 6, 3, 12, tzinfo=UTC)
    assert axis.span(TimeRange(moment, moment + timedelta(seconds=1))) == (50.0, 2)
    assert axis.span(TimeRange(before, moment)) == (0.0, 50.0)


def test_a_step_line_holds_each_value_until_the_next_moment():
    axis = DayAxis(date(2030, 6, 3), 1, UTC, left=0, width=240)
    scale = ValueScale(top=10, height=100, maximum=4)
    start = datetime(2030, 6, 3, tzinfo=UTC)
    line = step_line([(start, 2), (start + timedelta(hours=12), 4)], axis, scale)
    assert line == "0.0,60.0 120.0,60.0 120.0,10.0 240.0,10.0"
    assert ValueScale(top=0, height=10, maximum=0).y(3) == 10.0  # nothing to scale
