"""Which item serves which booking (rental.inventory.domain.planning): best fit, keeping what
still works, moving bookings that have not started when first choices would strand capacity,
and never an item that is blocked (maintenance, out with a customer, another booking)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from rental.inventory.domain.planning import (
    UNTIL_FURTHER_NOTICE,
    Block,
    Demand,
    out_with_customer,
    plan,
    shortfall,
)
from rental.shared.time_range import TimeRange

T0 = datetime(2030, 6, 3, tzinfo=UTC)


def h(start: float, end: float) -> TimeRange:
    return TimeRange(T0 + timedelta(hours=start), T0 + timedelta(hours=end))


def need(rid: str, period: TimeRange, qty: int = 1, current=(), movable=True) -> Demand:
    return Demand(rid, period, qty, tuple(current), movable)


def test_best_fit_puts_a_booking_next_to_the_closest_earlier_one():
    # A is booked until 11:00, B until 12:00: a 13:00 booking goes on B, keeping A's longer
    # free stretch for someone else.
    demands = [need("1", h(9, 11), current="A"), need("2", h(10, 12), current="B")]
    assert plan(["A", "B"], [], [*demands, need("3", h(13, 15))])["3"] == ["B"]


def test_what_still_works_stays_where_it_is():
    demands = [need("1", h(9, 11), current="B"), need("2", h(13, 15), current="A")]
    assert plan(["A", "B"], [], demands) == {"1": ["B"], "2": ["A"]}


def test_a_booking_that_has_not_started_moves_to_make_room():
    # An unlucky earlier choice put 13–15 on A; 11:30–13:30 needs A free from 11:00.
    out = Block("A", h(9, 11), "out")
    demands = [
        need("2", h(10, 12), current="B"),
        need("x", h(13, 15), current="A"),
        need("new", h(11.5, 13.5)),
    ]
    assigned = plan(["A", "B"], [out], demands)
    assert assigned == {"2": ["B"], "x": ["B"], "new": ["A"]}


def test_a_booking_that_has_started_is_not_moved():
    demands = [
        need("2", h(10, 12), current="B", movable=False),
        need("x", h(13, 15), current="A", movable=False),
        need("new", h(11.5, 13.5)),
    ]
    assigned = plan(["A", "B"], [Block("A", h(9, 11), "out")], demands)
    assert assigned["x"] == ["A"] and assigned["new"] == []


def test_when_the_peak_is_too_high_someone_is_short_and_nobody_double_booked():
    demands = [need("1", h(9, 12)), need("2", h(10, 12)), need("3", h(11, 13))]
    assigned = plan(["A", "B"], [], demands)
    assert shortfall(demands, assigned) == 1
    used = [(i, d.occupied) for d in demands for i in assigned[d.reservation_id]]
    assert not any(
        a == b and p.overlaps(q) for n, (a, p) in enumerate(used) for b, q in used[n + 1 :]
    )


def test_a_blocked_item_is_left_and_its_booking_gets_another():
    # A goes to the workshop: the booking on A moves to the free C.
    workshop = Block("A", TimeRange(T0, UNTIL_FURTHER_NOTICE), "A is in maintenance")
    demands = [need("1", h(9, 12), current="A"), need("2", h(9, 12), current="B")]
    assert plan(["A", "B", "C"], [workshop], demands) == {"1": ["C"], "2": ["B"]}


def test_an_item_picked_up_early_is_out_from_then_and_one_not_returned_until_it_is():
    rental = h(24, 32)
    early = out_with_customer("A", "SN-A", rental, timedelta(hours=1), T0, now=T0)
    assert early.period == TimeRange(T0, rental.end + timedelta(hours=1))
    late = out_with_customer(
        "A", "SN-A", rental, timedelta(hours=1), T0, now=T0 + timedelta(hours=33)
    )
    assert late.period.end == UNTIL_FURTHER_NOTICE and "was not returned" in late.cause
    # The day before, the booking in between cannot have A.
    assert plan(["A", "B"], [early], [need("between", h(3, 9), current="A")]) == {"between": ["B"]}


interval = st.tuples(st.integers(0, 40), st.integers(1, 12)).map(lambda t: h(t[0], t[0] + t[1]))


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(interval, st.integers(1, 3)), min_size=1, max_size=12),
    st.lists(st.tuples(st.sampled_from("ABCD"), interval), max_size=4),
    st.lists(st.sampled_from("ABCD"), max_size=12),
)
def test_no_item_is_ever_double_booked_or_used_while_blocked(requests, blocked, current):
    items = ["A", "B", "C", "D"]
    blocks = [Block(i, p, "blocked") for i, p in blocked]
    demands = [need(str(n), p, q, current=current[n : n + 1]) for n, (p, q) in enumerate(requests)]
    assigned = plan(items, blocks, demands)
    used = [(i, d.occupied) for d in demands for i in assigned[d.reservation_id]]
    for n, (item_id, period) in enumerate(used):
        assert not any(b.item_id == item_id and b.period.overlaps(period) for b in blocks)
        assert not any(j == item_id and period.overlaps(q) for j, q in used[n + 1 :])
    for d in demands:
        assert len(assigned[d.reservation_id]) <= d.quantity
        assert len(set(assigned[d.reservation_id])) == len(assigned[d.reservation_id])


@settings(max_examples=150, deadline=None)
@given(st.lists(interval, min_size=1, max_size=14), st.lists(st.sampled_from("ABC"), max_size=14))
def test_bookings_that_fit_at_the_peak_are_all_served(periods, current):
    """With nothing blocked and every booking movable, the plan serves everyone whenever no
    instant needs more units than there are items (first choices never strand capacity)."""
    items = ["A", "B", "C"]
    demands = [need(str(n), p, current=current[n : n + 1]) for n, p in enumerate(periods)]
    peak = max(
        sum(d.occupied.start <= d2.occupied.start < d.occupied.end for d in demands)
        for d2 in demands
    )
    assigned = plan(items, [], demands)
    if peak <= len(items):
        assert shortfall(demands, assigned) == 0
