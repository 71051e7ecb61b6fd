"""The dashboard's chart geometry: utilisation shares and colour buckets (with readable text on
every fill), the heat-map's cells, nice axis maxima and the revenue bars (negative days below
the zero line)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from rental.shared.charts import (
    HEAT_BUCKETS,
    NO_FLEET,
    bar_chart,
    heat_colours,
    heat_map,
    nice_maximum,
    percent,
    utilisation_share,
)


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_share_and_percent():
    assert utilisation_share(2, 4) == 0.5
    assert percent(utilisation_share(2, 4)) == "50 %"
    assert utilisation_share(1, 0) is None
    assert percent(None) == "—"
    assert percent(0.001) == "1 %"  # a little is not shown as nothing
    assert percent(0) == "0 %"
    assert percent(1.5) == "150 %"


@pytest.mark.parametrize(
    ("share", "bucket"),
    [(0, 0), (0.1, 1), (0.25, 1), (0.26, 2), (0.5, 2), (0.51, 3), (0.75, 3), (0.9, 4), (1, 5)],
)
def test_colour_buckets(share, bucket):
    assert heat_colours(share) == HEAT_BUCKETS[bucket][1:3]


def test_every_cell_text_is_readable_on_its_fill():
    for _, fill, text, _ in HEAT_BUCKETS:
        assert contrast(fill, text) >= 4.5, (fill, text)
    assert contrast(*NO_FLEET) >= 4.5
    assert heat_colours(None) == NO_FLEET


def test_heat_map_cells_for_a_known_fleet():
    days = [date(2026, 11, 26) + timedelta(days=i) for i in range(3)]
    chart = heat_map(
        days,
        [("Scissor lift", 4, [2, 0, 4]), ("Empty", 0, [0, 0, 0])],
        label_width=100,
        cell_width=30,
        cell_height=20,
        header=30,
        gap=2,
    )
    assert chart.width == 190
    assert [c[1:] for c in chart.columns] == [("Th", "26"), ("Fr", "27"), ("Sa", "28")]
    lift, empty = chart.rows
    assert [c.label for c in lift.cells] == ["50", "0", "100"]
    assert lift.cells[0].title == "Scissor lift, Thu 26 Nov: 2 of 4 units booked (50 %)"
    assert lift.cells[0].fill == HEAT_BUCKETS[2][1]
    assert lift.cells[2].fill == HEAT_BUCKETS[-1][1]
    assert (lift.cells[1].x, lift.cells[1].y, lift.cells[1].width) == (130, 30, 28)
    assert empty.cells[0].y == 50
    assert [c.label for c in empty.cells] == ["—"] * 3
    assert "no units" in empty.cells[0].title
    assert chart.legend_y == 80 and chart.height > chart.legend_y


@pytest.mark.parametrize(
    ("value", "top"),
    [(0, 1), (0.7, 1), (1, 1), (1.2, 2), (180, 200), (201, 250), (260, 500), (999, 1000)],
)
def test_nice_maximum(value, top):
    assert nice_maximum(value) == top


def test_bars_share_one_scale_and_negative_days_hang_below_zero():
    chart = bar_chart(
        [("1", 100.0, "a"), ("2", 0.0, "b"), ("3", -50.0, "c"), ("4", 200.0, "d")],
        width=440,
        height=240,
        left=40,
        right=0,
        top=20,
        bottom=20,
        label_every=2,
    )
    # Axis from −50 to 200 over 200 px: 0.8 px per unit, zero at 20 + 200·0.8 = 180.
    assert chart.zero_y == 180
    one, two, three, four = chart.bars
    assert (one.y, one.height) == (100, 80)
    assert two.height == 0
    assert three.negative and (three.y, three.height) == (180, 40)
    assert (four.y, four.height) == (20, 160)
    assert one.x == pytest.approx(40 + (100 - 70) / 2)
    assert one.width == 70
    assert [label for _, label in chart.labels] == ["1", "3"]
    # Round steps: a top of 200 in steps of 50, one of them below zero.
    assert [label for _, label in chart.ticks] == ["-50", "0", "50", "100", "150", "200"]
    assert chart.ticks[0][0] == 220 and chart.ticks[-1][0] == 20


def test_an_empty_chart_has_an_axis_from_zero():
    chart = bar_chart([("1", 0.0, "nothing")], tick_label=lambda v: f"€{v:.1f}")
    assert [label for _, label in chart.ticks] == ["€0.0", "€0.2", "€0.4", "€0.6", "€0.8", "€1.0"]
    assert chart.bars[0].height == 0


@pytest.mark.parametrize(
    ("values", "labels"),
    [
        ([50.0], ["0", "10", "20", "30", "40", "50"]),
        ([120.0], ["0", "50", "100", "150"]),
        ([-30.0, 10.0], ["-30", "-20", "-10", "0", "10"]),
        ([-30.0], ["-30", "-20", "-10", "0"]),
    ],
)
def test_axis_steps_are_round(values, labels):
    chart = bar_chart([(str(i), v, "") for i, v in enumerate(values)])
    assert [label for _, label in chart.ticks] == labels
