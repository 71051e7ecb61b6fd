"""InventoryFacade on SQLite and PostgreSQL: registration, lifecycle, capacity, allocations."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rental.inventory import (
    CancelMaintenance,
    ChangeItemStatus,
    InventoryFacade,
    MarkEquipmentAsDamaged,
    RegisterEquipment,
    RegisterEquipmentBulk,
    ScheduleMaintenance,
)
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.time_range import TimeRange, utcnow
from tests.integration.catalog_fixtures import make_type
from tests.support.fleet import tomorrow_at

# Maintenance must end in the future, so the periods here start tomorrow, whatever the date.
T0 = tomorrow_at(8)


def hours(a: int, b: int) -> TimeRange:
    return TimeRange(T0 + timedelta(hours=a), T0 + timedelta(hours=b))


@pytest.fixture
def inventory(app) -> InventoryFacade:
    return InventoryFacade()


@pytest.fixture
def gen(app) -> str:
    return make_type("Generator")


def register(inventory, type_id, *serials):
    return [
        inventory.register_new_equipment(RegisterEquipment(type_id, s, actor="tester"))
        for s in serials
    ]


def test_register_checks_the_type_exists_and_serials_are_unique(inventory, gen):
    (item_id,) = register(inventory, gen, "gen-001")
    item = inventory.get_item(item_id)
    assert (item.serial_number, item.status) == ("GEN-001", "AVAILABLE")
    assert [(h.from_status, h.to_status, h.actor) for h in item.history] == [
        (None, "AVAILABLE", "tester")
    ]
    with pytest.raises(ValidationError, match="GEN-001 is already registered"):
        register(inventory, gen, " GEN-001 ")
    with pytest.raises(ValidationError, match="equipment type from the catalog"):
        register(inventory, "no-such-type", "X-1")
    with pytest.raises(NotFoundError):
        inventory.get_item("missing")


def test_bulk_registration_keeps_good_lines_and_reports_bad_ones(inventory, gen):
    register(inventory, gen, "GEN-002")
    result = inventory.register_equipment_bulk(
        RegisterEquipmentBulk(gen, ["GEN-001", "", "GEN-002", "gen-003", "bad serial!", "GEN-003"])
    )
    assert [r.serial_number for r in result.registered] == ["GEN-001", "GEN-003"]
    assert [(e.line, e.text) for e in result.errors] == [
        (3, "GEN-002"),
        (5, "bad serial!"),
        (6, "GEN-003"),
    ]
    assert "already registered" in result.errors[0].message
    assert "also on line 4" in result.errors[2].message
    assert {i.serial_number for i in inventory.list_items(gen)} == {"GEN-001", "GEN-002", "GEN-003"}


def test_status_changes_are_recorded_and_invalid_ones_refused(inventory, gen):
    (item_id,) = register(inventory, gen, "GEN-1")
    inventory.mark_equipment_as_damaged(MarkEquipmentAsDamaged(item_id, "oil leak", "anna"))
    inventory.change_item_status(ChangeItemStatus(item_id, "RETIRED", "beyond repair", "bob"))
    with pytest.raises(ConflictError, match="retired"):
        inventory.change_item_status(ChangeItemStatus(item_id, "AVAILABLE", "", "bob"))
    with pytest.raises(ValidationError):
        inventory.change_item_status(ChangeItemStatus(item_id, "BROKEN", "", "bob"))
    item = inventory.get_item(item_id)
    assert item.status == "RETIRED" and item.allowed_transitions == []
    assert [(h.to_status, h.reason, h.actor) for h in item.history] == [
        ("RETIRED", "beyond repair", "bob"),
        ("MAINTENANCE", "Damaged: oil leak", "anna"),
        ("AVAILABLE", "Registered", "tester"),
    ]


def test_capacity_leaves_out_retired_damaged_and_scheduled_maintenance(inventory, gen):
    a, _b, c, d = register(inventory, gen, "G-1", "G-2", "G-3", "G-4")
    other = make_type("Pump")
    register(inventory, other, "P-1")
    assert inventory.get_total_capacity(gen) == 4
    inventory.change_item_status(ChangeItemStatus(d, "RETIRED", "sold", "x"))
    inventory.mark_equipment_as_damaged(MarkEquipmentAsDamaged(c, "cracked", "x"))
    assert inventory.get_total_capacity(gen) == 2
    inventory.schedule_maintenance(ScheduleMaintenance(a, hours(8, 17), "inspection", "x"))
    inventory.schedule_maintenance(ScheduleMaintenance(a, hours(30, 32), "oil change", "x"))
    assert inventory.get_total_capacity(gen) == 2  # no period: only the status counts
    assert inventory.get_total_capacity(gen, hours(0, 8)) == 2  # back to back: no overlap
    assert inventory.get_total_capacity(gen, hours(16, 40)) == 1  # item a counted once
    # A window on a damaged item does not take it out twice.
    inventory.schedule_maintenance(ScheduleMaintenance(c, hours(0, 100), "repair", "x"))
    assert inventory.get_total_capacity(gen, hours(0, 100)) == 1
    assert inventory.get_total_capacity("unknown") == 0


def test_capacity_profile_answers_like_get_total_capacity(inventory, gen):
    a, b, _ = register(inventory, gen, "G-1", "G-2", "G-3")
    inventory.schedule_maintenance(ScheduleMaintenance(a, hours(8, 17), "inspection", "x"))
    inventory.schedule_maintenance(ScheduleMaintenance(b, hours(12, 20), "service", "x"))
    window = hours(0, 48)
    profile = inventory.get_capacity_profile(gen, window)
    assert profile.item_count == 3 and len(profile.unavailable) == 2
    for start in range(0, 44, 2):
        for length in (1, 4, 9):
            period = hours(start, start + length)
            assert profile.capacity_for(period) == inventory.get_total_capacity(gen, period)


def test_maintenance_windows_can_be_removed_and_are_shown_on_the_item(inventory, gen):
    (a,) = register(inventory, gen, "G-1")
    window_id = inventory.schedule_maintenance(ScheduleMaintenance(a, hours(1, 2), "check", "x"))
    with pytest.raises(ConflictError, match="already has maintenance"):
        inventory.schedule_maintenance(ScheduleMaintenance(a, hours(1, 3), "again", "x"))
    assert [w.reason for w in inventory.get_item(a).maintenance] == ["check"]
    inventory.cancel_maintenance(CancelMaintenance(window_id))
    assert inventory.get_item(a).maintenance == []


def test_stock_counts_per_type(inventory, gen):
    a, _b = register(inventory, gen, "G-1", "G-2")
    inventory.mark_equipment_as_damaged(MarkEquipmentAsDamaged(a, "dent", "x"))
    stock = inventory.get_stock()[gen]
    assert stock.counts == {"AVAILABLE": 1, "MAINTENANCE": 1}
    assert stock.rentable_now == 1 and stock.total == 2
    assert [i.serial_number for i in inventory.list_items(gen, status="MAINTENANCE")] == ["G-1"]


def test_rentable_now_is_the_capacity_bookings_see_now(inventory, gen):
    a, _b = register(inventory, gen, "G-1", "G-2")
    back = utcnow() + timedelta(hours=1)
    inventory.change_item_status(ChangeItemStatus(a, "MAINTENANCE", "service", "x", back))
    stock = inventory.get_stock()[gen]
    assert stock.rentable_now == 1 == inventory.get_total_capacity(gen)
    # Past its expected return bookings count on it again, though it is still in maintenance.
    later = InventoryFacade(clock=lambda: back + timedelta(hours=1))
    stock = later.get_stock(gen)[gen]
    assert stock.counts == {"AVAILABLE": 1, "MAINTENANCE": 1}
    assert stock.rentable_now == 2 == later.get_total_capacity(gen)
