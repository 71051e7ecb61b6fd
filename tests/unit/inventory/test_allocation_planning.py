"""Choosing which item serves a booking: best fit, and re-planning bookings that have not
started when first choices would strand capacity."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from rental.inventory.domain.models import (
    Allocation,
    AllocationStatus,
    EquipmentItem,
    ItemStatus,
    best_fit,
    free_items,
    repack,
)
from rental.shared.time_range import TimeRange

T0 = datetime(2030, 6, 3, tzinfo=UTC)


def h(start: float, end: float) -> TimeRange:
    return TimeRange(T0 + timedelta(hours=start), T0 + timedelta(hours=end))


def item(serial: str, status: ItemStatus = ItemStatus.AVAILABLE) -> EquipmentItem:
    return EquipmentItem(serial, serial, "type", status)


def alloc(aid: str, item_id: str, period: TimeRange, status=AllocationStatus.ALLOCATED):
    return Allocation(aid, item_id, f"r-{aid}", period, status)


A, B = item("A"), item("B")


def test_best_fit_puts_a_booking_next_to_the_closest_earlier_one():
    # A was last out until 11:00, B until 12:00: a 13:00 booking goes on B, keeping A's
    # longer free stretch for someone else.
    existing = [alloc("1", "A", h(9, 11)), alloc("2", "B", h(10, 12))]
    assert [i.id for i in best_fit([A, B], h(13, 15), existing)] == ["B", "A"]


def test_first_fit_would_strand_capacity_that_best_fit_keeps():
    # Bookings confirmed in this order; at most two overlap at any time, so two items must do.
    existing = [alloc("1", "A", h(9, 11)), alloc("2", "B", h(10, 12))]
    third = best_fit(free_items([A, B], h(13, 15), existing, []), h(13, 15), existing)[0]
    existing.append(alloc("3", third.id, h(13, 15)))
    # 11:30-13:30 overlaps the 10-12 booking and the 13-15 one: it needs the item that is free.
    assert free_items([A, B], h(11.5, 13.5), existing, []) != []


def test_repack_moves_a_booking_that_has_not_started_to_make_room():
    fixed = [alloc("1", "A", h(9, 11), AllocationStatus.PICKED_UP), alloc("2", "B", h(10, 12))]
    movable = [alloc("x", "A", h(13, 15))]  # an unlucky earlier choice
    assert free_items([A, B], h(11.5, 13.5), fixed + movable, []) == []
    moves, new_items = repack([A, B], [], fixed[:1], fixed[1:] + movable, h(11.5, 13.5), 1)
    assert moves == {"x": "B"} and new_items == ["A"]


def test_repack_gives_up_when_the_peak_is_too_high():
    fixed = [alloc("1", "A", h(9, 12), AllocationStatus.PICKED_UP)]
    movable = [alloc("2", "B", h(10, 12))]
    assert repack([A, B], [], fixed, movable, h(11, 13), 1) is None


def test_repack_never_uses_retired_or_workshop_items():
    workshop = item("C", ItemStatus.MAINTENANCE)
    assert repack([A, workshop], [], [alloc("1", "A", h(9, 12))], [], h(10, 11), 1) is None
