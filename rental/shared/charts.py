"""Geometry for the server-drawn SVG charts (staff timeline today; utilisation and revenue
charts later): a time axis of calendar days, a value scale, bars and step lines. Pure Python,
so it is tested on its own and every chart places things the same way."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from rental.shared import local_time
from rental.shared.time_range import TimeRange


class DayAxis:
    """A horizontal axis of `days` calendar days of `tz`, drawn from `left` over `width`
    pixels: one equal column per day, so a 23- or 25-hour day (a clock change) is one column
    like any other; within a day x is proportional to real time."""

    def __init__(
        self, first_day: date, days: int, tz: tzinfo, *, left: float, width: float
    ) -> None:
        self.days = [first_day + timedelta(days=i) for i in range(days + 1)]
        self.starts = [local_time.start_of_day(day, tz) for day in self.days]
        self.window = TimeRange(self.starts[0], self.starts[-1])
        self.left, self.width = left, width
        self.column = width / days

    def x(self, moment: datetime) -> float:
        moment = min(max(moment, self.window.start), self.window.end)
        i = max(bisect_right(self.starts, moment) - 1, 0)
        if i >= len(self.starts) - 1:
            return float(self.left + self.width)
        day = self.starts[i + 1] - self.starts[i]
        fraction = (moment - self.starts[i]) / day
        return round(self.left + self.column * (i + fraction), 1)

    def columns(self) -> list[tuple[date, float]]:
        """Each day with the x where its column starts."""
        return [(day, self.x(start)) for day, start in zip(self.days, self.starts, strict=True)][
            :-1
        ]

    def span(self, period: TimeRange, *, minimum: float = 2) -> tuple[float, float]:
        """(x, width) of a bar for `period`, clipped to the axis, at least `minimum` wide."""
        x = self.x(period.start)
        return x, max(self.x(period.end) - x, minimum)


@dataclass(frozen=True, slots=True)
class ValueScale:
    """A vertical scale: `top` is where `maximum` is drawn, `top + height` where 0 is."""

    top: float
    height: float
    maximum: float

    def y(self, value: float) -> float:
        scale = self.height / self.maximum if self.maximum > 0 else 0
        return round(self.top + self.height - value * scale, 1)


def step_line(points: Sequence[tuple[datetime, float]], axis: DayAxis, scale: ValueScale) -> str:
    """SVG polyline points for a value that holds from each moment until the next one (and
    the last until the axis ends)."""
    coordinates = []
    for i, (moment, value) in enumerate(points):
        x1 = axis.x(moment)
        x2 = axis.x(points[i + 1][0]) if i + 1 < len(points) else axis.x(axis.window.end)
        y = scale.y(value)
        coordinates += [f"{x1},{y}", f"{x2},{y}"]
    return " ".join(coordinates)
