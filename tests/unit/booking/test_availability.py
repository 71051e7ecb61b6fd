"""Peak usage by sweep line, checked against a brute-force oracle; alternatives search."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from rental.booking.domain.availability import (
    Occupancy,
    assess,
    earliest_start,
    sweep_peak,
    usage_at,
    usage_steps,
)
from rental.shared.time_range import TimeRange

T0 = datetime(2030, 3, 4, tzinfo=UTC)


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def occ(start: float, end: float, qty: int = 1) -> Occupancy:
    return Occupancy(TimeRange(h(start), h(end)), qty)


def test_back_to_back_rentals_do_not_add_up():
    assert sweep_peak([occ(9, 12), occ(12, 15)], TimeRange(h(0), h(24))).peak == 1


def test_overlapping_rentals_add_up_and_report_where():
    peak = sweep_peak([occ(9, 12, 2), occ(11, 15, 1), occ(14, 16, 1)], TimeRange(h(0), h(24)))
    assert peak.peak == 3
    assert peak.at == TimeRange(h(11), h(12))


def test_only_usage_inside_the_window_counts():
    usage = [occ(0, 5, 3), occ(6, 8, 1)]
    assert sweep_peak(usage, TimeRange(h(5), h(10))).peak == 1


def test_assess_reports_remaining_and_blocking_interval():
    result = assess([occ(9, 17, 2)], TimeRange(h(10), h(11)), 2, total_capacity=3)
    assert not result.is_available
    assert (result.remaining_capacity, result.peak_usage, result.total_capacity) == (1, 2, 3)
    assert result.blocking_interval == TimeRange(h(10), h(11))
    ok = assess([occ(9, 17, 2)], TimeRange(h(17), h(18)), 3, total_capacity=3)
    assert ok.is_available and ok.blocking_interval is None


quarter_hours = st.integers(min_value=0, max_value=96)
occupancy = st.builds(
    lambda a, length, q: occ(a / 4, (a + length) / 4, q),
    quarter_hours,
    st.integers(min_value=1, max_value=40),
    st.integers(min_value=1, max_value=4),
)


@settings(max_examples=300)
@given(st.lists(occupancy, max_size=25), quarter_hours, st.integers(min_value=1, max_value=60))
def test_sweep_peak_matches_brute_force_at_every_boundary(occupancies, ws, length):
    window = TimeRange(h(ws / 4), h((ws + length) / 4))
    # The oracle: usage at every boundary inside the window (usage only changes there).
    instants = {window.start} | {
        m for o in occupancies for m in (o.period.start, o.period.end) if window.contains(m)
    }
    expected = max(usage_at(occupancies, m) for m in instants)
    result = sweep_peak(occupancies, window)
    assert result.peak == expected
    if result.at is not None:
        assert usage_at(occupancies, result.at.start) == expected


@settings(max_examples=300)
@given(
    st.lists(occupancy, max_size=25),
    quarter_hours,
    st.integers(min_value=1, max_value=60),
    st.lists(quarter_hours, max_size=4),
)
def test_usage_steps_cover_the_window_with_the_usage_of_each_piece(occupancies, ws, length, cuts):
    window = TimeRange(h(ws / 4), h((ws + length) / 4))
    cut_at = [h(c / 4) for c in cuts]
    steps = usage_steps(occupancies, window, cut_at)
    pieces = [piece for piece, _ in steps]
    # Contiguous, in order, from the window's start to its end.
    assert pieces[0].start == window.start and pieces[-1].end == window.end
    assert all(a.end == b.start for a, b in pairwise(pieces))
    # Cut at every change of use and at every cut inside the window...
    boundaries = {p.start for p in pieces}
    assert {m for m in cut_at if window.contains(m)} <= boundaries
    # ...so use is the same all over a piece: what the sweep finds there, and what the oracle
    # counts at its start.
    for piece, used in steps:
        assert used == usage_at(occupancies, piece.start) == sweep_peak(occupancies, piece).peak


def test_usage_steps_count_a_rental_begun_before_the_window_and_not_one_just_ended():
    steps = usage_steps([occ(0, 10, 2), occ(6, 9, 1), occ(10, 12, 1)], TimeRange(h(8), h(11)))
    assert steps == [
        (TimeRange(h(8), h(9)), 3),
        (TimeRange(h(9), h(10)), 2),
        (TimeRange(h(10), h(11)), 1),
    ]


def aligned(moment: datetime) -> datetime:
    extra = (moment.minute % 15) or 0
    base = moment.replace(second=0, microsecond=0) - timedelta(minutes=extra)
    return base if base == moment else base + timedelta(minutes=15)


def test_earliest_start_is_right_after_the_blocking_rental_plus_buffer():
    usage = [Occupancy(TimeRange(h(8), h(12) + timedelta(hours=1)), 2)]  # buffer included
    found = earliest_start(
        usage,
        TimeRange(h(9), h(11)),
        quantity=1,
        buffer=timedelta(hours=1),
        capacity_for=lambda _p: 2,
        horizon=timedelta(days=14),
        align=aligned,
    )
    assert found == TimeRange(h(13), h(15))


def test_earliest_start_respects_capacity_changes_and_the_horizon():
    # Capacity is 0 until a maintenance window ends at hour 30.
    def capacity(period: TimeRange) -> int:
        return 0 if period.start < h(30) else 1

    found = earliest_start(
        [],
        TimeRange(h(1), h(3)),
        1,
        timedelta(0),
        capacity,
        timedelta(days=14),
        aligned,
        extra_candidates=[h(30)],
    )
    assert found == TimeRange(h(30), h(32))
    none = earliest_start(
        [],
        TimeRange(h(1), h(3)),
        1,
        timedelta(0),
        capacity,
        timedelta(hours=10),
        aligned,
        extra_candidates=[h(30)],
    )
    assert none is None
