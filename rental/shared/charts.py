"""Geometry for the server-drawn SVG charts (staff timeline today; utilisation and revenue
charts later): a time axis of calendar days, a value scale, bars and step lines. Pure Python,
so it is tested on its own and every chart places things the same way."""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Sequence
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


# --- the staff dashboard: utilisation heat-map and revenue bars --------------------------------

# Utilisation buckets, lowest first: (upper bound of the share, fill, text colour, legend).
# One blue hue getting darker, full = dark red; every text colour has at least 4.5:1 contrast
# with its fill, and each cell also carries its number, so colour is never the only cue.
HEAT_BUCKETS: tuple[tuple[float, str, str, str], ...] = (
    (0.0, "#f1f3f5", "#343a40", "0 %"),
    (0.25, "#dbeafe", "#1e3a8a", "1–25 %"),
    (0.5, "#93c5fd", "#1e3a8a", "26–50 %"),
    (0.75, "#2563eb", "#ffffff", "51–75 %"),
    (0.999999, "#1e3a8a", "#ffffff", "76–99 %"),
    (float("inf"), "#991b1b", "#ffffff", "100 % (full)"),
)
NO_FLEET = ("#ffffff", "#495057")  # a type without units: nothing to book


def utilisation_share(booked: int, capacity: int) -> float | None:
    """booked ÷ capacity (None without capacity)."""
    return booked / capacity if capacity > 0 else None


def percent(share: float | None) -> str:
    """'50 %', '—' without capacity; 0.4 % shows as '1 %' rather than a misleading 0."""
    if share is None:
        return "—"
    value = share * 100
    return f"{max(round(value), 1) if value > 0 else 0} %"


def heat_colours(share: float | None) -> tuple[str, str]:
    """(fill, text colour) of a heat-map cell."""
    if share is None:
        return NO_FLEET
    for upper, fill, text, _ in HEAT_BUCKETS:
        if share <= upper:
            return fill, text
    return HEAT_BUCKETS[-1][1:3]  # pragma: no cover - inf catches everything


@dataclass(frozen=True, slots=True)
class HeatCell:
    x: float
    y: float
    width: float
    height: float
    fill: str
    text_fill: str
    label: str  # "50 %"
    title: str  # "Scissor lift, Fri 28 Nov: 2 of 4 units booked (50 %)"


@dataclass(frozen=True, slots=True)
class HeatRow:
    name: str
    y: float  # text baseline of the row label
    cells: tuple[HeatCell, ...]


@dataclass(frozen=True, slots=True)
class HeatMap:
    width: float
    height: float
    columns: tuple[tuple[float, str, str], ...]  # (x centre, weekday, day of month)
    rows: tuple[HeatRow, ...]
    legend: tuple[tuple[float, str, str, str], ...]  # (x, fill, stroke text colour, label)
    legend_y: float


def heat_map(
    days: Sequence[date],
    rows: Sequence[tuple[str, int, Sequence[int]]],
    *,
    label_width: float = 130,
    cell_width: float = 34,
    cell_height: float = 26,
    header: float = 34,
    gap: float = 2,
    legend_height: float = 30,
) -> HeatMap:
    """A heat-map of booked units ÷ capacity: one row per (name, capacity, booked per day),
    one column per day."""
    columns = tuple(
        (
            round(label_width + i * cell_width + cell_width / 2, 1),
            day.strftime("%a")[:2],
            str(day.day),
        )
        for i, day in enumerate(days)
    )
    heat_rows = []
    for r, (name, capacity, booked) in enumerate(rows):
        y = header + r * cell_height
        cells = []
        for i, (day, units) in enumerate(zip(days, booked, strict=True)):
            share = utilisation_share(units, capacity)
            fill, text = heat_colours(share)
            plural = "s" if capacity != 1 else ""
            what = (
                f"{units} of {capacity} unit{plural} booked ({percent(share)})"
                if capacity
                else "no units in the fleet"
            )
            cells.append(
                HeatCell(
                    x=round(label_width + i * cell_width, 1),
                    y=round(y, 1),
                    width=cell_width - gap,
                    height=cell_height - gap,
                    fill=fill,
                    text_fill=text,
                    label=percent(share).replace(" %", "") if capacity else "—",
                    title=f"{name}, {day.strftime('%a %d %b')}: {what}",
                )
            )
        heat_rows.append(HeatRow(name, round(y + cell_height / 2 + 4, 1), tuple(cells)))
    width = label_width + cell_width * len(days)
    legend_y = header + cell_height * len(rows) + 10
    step = width / len(HEAT_BUCKETS)
    legend = tuple(
        (round(i * step, 1), fill, text, label)
        for i, (_, fill, text, label) in enumerate(HEAT_BUCKETS)
    )
    return HeatMap(
        width=width,
        height=legend_y + legend_height,
        columns=columns,
        rows=tuple(heat_rows),
        legend=legend,
        legend_y=legend_y,
    )


def nice_maximum(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above `value` (an axis's top); 1 for 0."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude + 1e-9:
            return float(step * magnitude)
    return float(10 * magnitude)  # pragma: no cover


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    negative: bool
    title: str


@dataclass(frozen=True, slots=True)
class BarChart:
    width: float
    height: float
    bars: tuple[Bar, ...]
    ticks: tuple[tuple[float, str], ...]  # (y, label) of the value axis
    labels: tuple[tuple[float, str], ...]  # (x centre, label) under the bars
    zero_y: float
    plot_left: float
    plot_right: float


def bar_chart(
    values: Sequence[tuple[str, float, str]],
    *,
    label_every: int = 1,
    width: float = 720,
    height: float = 240,
    left: float = 64,
    right: float = 8,
    top: float = 12,
    bottom: float = 30,
    tick_label: Callable[[float], str] = lambda v: f"{v:,.0f}",
) -> BarChart:
    """Vertical bars of `values` ((axis label, value, title) each; negative values hang below
    the zero line), with labelled lines at round steps of the value axis and every
    `label_every`-th axis label shown."""
    highest = max((v for _, v, _ in values), default=0.0)
    lowest = min((v for _, v, _ in values), default=0.0)
    # The axis: round steps (a nice maximum of the largest size split into 4 or 5), as many
    # above zero as the highest value needs and as many below as the lowest needs.
    largest = nice_maximum(max(highest, -lowest, 0.0))
    mantissa = largest / 10 ** math.floor(math.log10(largest))
    step = largest / (4 if abs(mantissa - 2) < 1e-9 else 5)
    top_value = math.ceil(highest / step - 1e-9) * step if highest > 0 else 0.0
    bottom_value = -math.ceil(-lowest / step - 1e-9) * step if lowest < 0 else 0.0
    if top_value == bottom_value:
        top_value = largest
    plot_height = height - top - bottom
    span = top_value - bottom_value

    def y(value: float) -> float:
        return round(top + (top_value - value) / span * plot_height, 1)

    plot_width = width - left - right
    column = plot_width / max(len(values), 1)
    bar_width = max(round(column * 0.7, 1), 1)
    zero = y(0)
    bars = []
    labels = []
    for i, (label, value, title) in enumerate(values):
        x = round(left + i * column + (column - bar_width) / 2, 1)
        end = y(value)
        bars.append(
            Bar(
                x=x,
                y=min(end, zero),
                width=bar_width,
                height=round(abs(zero - end), 1),
                negative=value < 0,
                title=title,
            )
        )
        if i % label_every == 0:
            labels.append((round(left + i * column + column / 2, 1), label))
    count = round(span / step)
    tick_values = [bottom_value + step * k for k in range(count + 1)]
    return BarChart(
        width=width,
        height=height,
        bars=tuple(bars),
        ticks=tuple((y(v), tick_label(v)) for v in tick_values),
        labels=tuple(labels),
        zero_y=zero,
        plot_left=left,
        plot_right=width - right,
    )
