"""Inventory domain rules: the status transition table and the overlap rules."""

from datetime import UTC, datetime, timedelta

import pytest

from rental.inventory.domain.models import (
    TRANSITIONS,
    Allocation,
    AllocationStatus,
    EquipmentItem,
    ItemStatus,
    MaintenanceWindow,
    capacity_for,
    clean_serial,
    ensure_can_allocate,
    ensure_can_schedule_maintenance,
    free_items,
)
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.time_range import TimeRange

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)


def hours(a: int, b: int) -> TimeRange:
    return TimeRange(T0 + timedelta(hours=a), T0 + timedelta(hours=b))


def item(status: ItemStatus = ItemStatus.AVAILABLE, id: str = "i1", serial="GEN-1"):
    return EquipmentItem(id, serial, "type", status)


ALLOWED = {
    (ItemStatus.AVAILABLE, ItemStatus.ALLOCATED),
    (ItemStatus.AVAILABLE, ItemStatus.MAINTENANCE),
    (ItemStatus.AVAILABLE, ItemStatus.RETIRED),
    (ItemStatus.ALLOCATED, ItemStatus.AVAILABLE),
    (ItemStatus.ALLOCATED, ItemStatus.MAINTENANCE),
    (ItemStatus.MAINTENANCE, ItemStatus.AVAILABLE),
    (ItemStatus.MAINTENANCE, ItemStatus.RETIRED),
}


@pytest.mark.parametrize("source", list(ItemStatus))
@pytest.mark.parametrize("target", list(ItemStatus))
def test_the_transition_table(source, target):
    thing = item(source)
    if (source, target) in ALLOWED:
        thing.change_status(target, "because", "me", T0)
        assert thing.status is target
        change = thing.new_history[-1]
        assert (change.from_status, change.to_status, change.actor) == (source, target, "me")
    else:
        with pytest.raises(ConflictError):
            thing.change_status(target, "because", "me", T0)
        assert thing.status is source and not thing.new_history


def test_retired_is_final_and_says_so():
    assert TRANSITIONS[ItemStatus.RETIRED] == frozenset()
    with pytest.raises(ConflictError, match="retired item cannot change status"):
        item(ItemStatus.RETIRED).change_status(ItemStatus.AVAILABLE, "", "me", T0)


def test_maintenance_and_retirement_need_a_reason():
    with pytest.raises(ValidationError) as err:
        item().change_status(ItemStatus.RETIRED, "  ", "me", T0)
    assert err.value.field == "reason"


def test_mark_damaged_moves_to_maintenance_with_the_reason():
    thing = item()
    thing.mark_damaged("cracked housing", "anna@example.com", T0)
    assert thing.status is ItemStatus.MAINTENANCE
    assert thing.new_history[-1].reason == "Damaged: cracked housing"


def test_register_records_the_first_history_entry():
    thing = EquipmentItem.register("x", " gen-001 ", "type", T0, "me")
    assert thing.serial_number == "GEN-001"
    assert thing.new_history[0].from_status is None
    assert thing.new_history[0].to_status is ItemStatus.AVAILABLE


@pytest.mark.parametrize("bad", ["", "   ", "ä-1", "-leading", "x" * 65])
def test_bad_serials_are_refused(bad):
    with pytest.raises(ValidationError):
        clean_serial(bad)


def alloc(period, status=AllocationStatus.ALLOCATED, item_id="i1"):
    return Allocation("a", item_id, "res", period, status)


def window(period, item_id="i1"):
    return MaintenanceWindow("w", item_id, period, "inspection")


def test_allocations_may_touch_but_never_overlap():
    thing = item()
    ensure_can_allocate(thing, hours(2, 4), [alloc(hours(0, 2)), alloc(hours(4, 6))], [])
    with pytest.raises(ConflictError, match="already allocated"):
        ensure_can_allocate(thing, hours(1, 3), [alloc(hours(0, 2))], [])


def test_released_and_returned_allocations_do_not_hold_the_item():
    thing = item()
    ensure_can_allocate(
        thing,
        hours(0, 2),
        [alloc(hours(0, 2), AllocationStatus.RELEASED), alloc(hours(1, 3), "RETURNED")],
        [],
    )


def test_other_items_allocations_do_not_matter():
    ensure_can_allocate(item(), hours(0, 2), [alloc(hours(0, 2), item_id="i2")], [])


def test_an_allocation_cannot_overlap_a_maintenance_window():
    with pytest.raises(ConflictError, match="maintenance"):
        ensure_can_allocate(item(), hours(0, 5), [], [window(hours(4, 6))])
    ensure_can_allocate(item(), hours(0, 4), [], [window(hours(4, 6))])


@pytest.mark.parametrize("status", [ItemStatus.MAINTENANCE, ItemStatus.RETIRED])
def test_items_out_of_service_cannot_be_allocated(status):
    with pytest.raises(ConflictError):
        ensure_can_allocate(item(status), hours(0, 1), [], [])


def test_maintenance_cannot_overlap_an_allocation_or_another_window():
    with pytest.raises(ConflictError, match="allocated"):
        ensure_can_schedule_maintenance(item(), hours(1, 2), [alloc(hours(0, 3))], [])
    with pytest.raises(ConflictError, match="already has maintenance"):
        ensure_can_schedule_maintenance(item(), hours(1, 2), [], [window(hours(0, 3))])
    ensure_can_schedule_maintenance(item(), hours(3, 4), [alloc(hours(0, 3))], [])


def test_free_items_skips_busy_ones_in_serial_order():
    a, b, c = item(id="a", serial="B-2"), item(id="b", serial="A-1"), item(id="c", serial="C-3")
    free = free_items([a, b, c], hours(0, 2), [alloc(hours(1, 2), item_id="c")], [])
    assert [i.id for i in free] == ["b", "a"]


def test_capacity_counts_each_item_in_maintenance_once():
    windows = [("a", hours(0, 2)), ("a", hours(3, 4)), ("b", hours(10, 12))]
    assert capacity_for(5, windows, hours(0, 5)) == 4
    assert capacity_for(5, windows, hours(0, 12)) == 3
    assert capacity_for(5, windows, hours(5, 10)) == 5
    assert capacity_for(1, windows, hours(0, 12)) == 0
