"""Inventory domain rules: the status transition table and the overlap rules."""

from datetime import UTC, date, datetime, timedelta

import pytest

from rental.inventory.domain.models import (
    DAMAGED,
    TRANSITIONS,
    EquipmentItem,
    ItemStatus,
    MaintenanceWindow,
    capacity_for,
    check_acquired_on,
    check_maintenance_period,
    clean_serial,
    ensure_can_schedule_maintenance,
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
    thing = EquipmentItem.register("x", " gen-001 ", "type", T0, "me", today=T0.date())
    assert thing.serial_number == "GEN-001"
    assert thing.new_history[0].from_status is None
    assert thing.new_history[0].to_status is ItemStatus.AVAILABLE


@pytest.mark.parametrize("bad", ["", "   ", "ä-1", "-leading", "x" * 65])
def test_bad_serials_are_refused(bad):
    with pytest.raises(ValidationError):
        clean_serial(bad)


def window(period, item_id="i1"):
    return MaintenanceWindow("w", item_id, period, "inspection")


def test_maintenance_cannot_overlap_another_window_but_bookings_are_planned_around_it():
    with pytest.raises(ConflictError, match="already has maintenance"):
        ensure_can_schedule_maintenance(item(), hours(1, 2), [window(hours(0, 3))])
    ensure_can_schedule_maintenance(item(), hours(3, 4), [window(hours(0, 3))])
    with pytest.raises(ConflictError, match="retired"):
        ensure_can_schedule_maintenance(item(ItemStatus.RETIRED), hours(3, 4), [])


def test_an_item_in_maintenance_is_unavailable_until_it_is_expected_back():
    thing = item()
    now = T0
    thing.change_status(ItemStatus.MAINTENANCE, "gearbox", "staff", now, now + timedelta(days=3))
    assert thing.unavailable_for_maintenance().end == now + timedelta(days=3)
    thing.change_status(ItemStatus.AVAILABLE, "fixed", "staff", now + timedelta(days=1))
    assert thing.unavailable_for_maintenance() is None and thing.expected_back_at is None
    with pytest.raises(ValidationError, match="must be in the future"):
        item().change_status(ItemStatus.MAINTENANCE, "x", "staff", now, now)
    with pytest.raises(ValidationError, match="Only an item going to maintenance"):
        item().change_status(ItemStatus.RETIRED, "x", "staff", now, now + timedelta(days=1))
    unknown = item()
    unknown.change_status(ItemStatus.MAINTENANCE, "waiting for parts", "staff", now)
    assert unknown.unavailable_for_maintenance().end.year == 2999


def test_capacity_counts_each_item_in_maintenance_once():
    windows = [("a", hours(0, 2)), ("a", hours(3, 4)), ("b", hours(10, 12))]
    assert capacity_for(5, windows, hours(0, 5)) == 4
    assert capacity_for(5, windows, hours(0, 12)) == 3
    assert capacity_for(5, windows, hours(5, 10)) == 5
    assert capacity_for(1, windows, hours(0, 12)) == 0


# --- staff input: acquisition dates and maintenance periods -------------------------------------

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("acquired", [None, TODAY, date(1950, 1, 1), date(2024, 2, 29)])
def test_acquisition_dates_up_to_today_are_accepted(acquired):
    check_acquired_on(acquired, TODAY)
    thing = EquipmentItem.register("x", "GEN-1", "type", T0, "me", acquired, today=TODAY)
    assert thing.acquired_on == acquired


@pytest.mark.parametrize(
    ("acquired", "message"),
    [
        (date(2026, 11, 27), "27 Nov 2026 is in the future"),
        (date(2030, 1, 1), "01 Jan 2030 is in the future"),
        (date(1949, 12, 31), "31 Dec 1949 is before 1950; check the year."),
        (date(1, 1, 1), "before 1950"),
    ],
)
def test_acquisition_dates_in_the_future_or_before_1950_are_refused(acquired, message):
    with pytest.raises(ValidationError, match=message) as err:
        check_acquired_on(acquired, TODAY)
    assert err.value.field == "acquired_on"


def test_registration_reports_the_date_and_the_serial_together():
    with pytest.raises(ValidationError) as err:
        EquipmentItem.register("x", "bad serial!", "type", T0, "me", date(2030, 1, 1), today=TODAY)
    assert set(err.value.errors) == {"acquired_on", "serial_number"}


NOW = datetime(2026, 11, 26, 10, tzinfo=UTC)


def from_now(start: timedelta, length: timedelta) -> TimeRange:
    return TimeRange.of(NOW + start, length)


@pytest.mark.parametrize(
    "period",
    [
        from_now(timedelta(days=1), timedelta(hours=8)),
        from_now(-timedelta(days=2), timedelta(days=3)),  # in the workshop since the day before
        from_now(timedelta(days=30), timedelta(days=366)),
        from_now(timedelta(days=729), timedelta(hours=1)),
    ],
)
def test_maintenance_that_still_matters_is_accepted(period):
    check_maintenance_period(period, NOW)


@pytest.mark.parametrize(
    ("period", "field", "message"),
    [
        (from_now(-timedelta(days=2), timedelta(days=1)), "end", "already over"),
        (from_now(-timedelta(hours=1), timedelta(hours=1)), "end", "already over"),
        (from_now(timedelta(days=731), timedelta(hours=1)), "start", "at most 2 years ahead"),
        (from_now(timedelta(days=1), timedelta(days=367)), "end", "at most a year"),
    ],
)
def test_maintenance_in_the_past_too_far_ahead_or_too_long_is_refused(period, field, message):
    with pytest.raises(ValidationError, match=message) as err:
        check_maintenance_period(period, NOW)
    assert err.value.field == field


def choices(status: ItemStatus) -> list[tuple[str, str, bool]]:
    return [(c.value, c.label, c.final) for c in item(status).status_choices()]


def test_staff_are_offered_the_allowed_transitions_and_damage_before_maintenance():
    assert choices(ItemStatus.AVAILABLE) == [
        ("ALLOCATED", "Allocated", False),
        ("DAMAGED", "Damaged → maintenance", False),
        ("MAINTENANCE", "Maintenance", False),
        ("RETIRED", "Retired (final)", True),
    ]
    assert choices(ItemStatus.ALLOCATED) == [
        ("AVAILABLE", "Available", False),
        ("DAMAGED", "Damaged → maintenance", False),
        ("MAINTENANCE", "Maintenance", False),
    ]
    assert choices(ItemStatus.MAINTENANCE) == [
        ("AVAILABLE", "Available", False),
        ("RETIRED", "Retired (final)", True),
    ]
    assert choices(ItemStatus.RETIRED) == []
    # Every choice but DAMAGED is an allowed transition (DAMAGED goes to maintenance).
    for status in ItemStatus:
        offered = {c.value for c in item(status).status_choices()} - {DAMAGED}
        assert offered == {s.value for s in TRANSITIONS[status]}


def test_maintenance_can_be_planned_for_any_item_in_service():
    for status in ItemStatus:
        thing = item(status)
        assert thing.can_go_to_maintenance == (ItemStatus.MAINTENANCE in TRANSITIONS[status])
        assert thing.can_have_maintenance_scheduled == (status is not ItemStatus.RETIRED)
