"""Inventory follows reservations through the outbox: allocation on confirmation (distinct
serials, idempotent under redelivery), release on cancellation, AllocationFailed flags the
reservation, check-out and check-in at the counter."""

from __future__ import annotations

import secrets
from dataclasses import replace

import pytest
from sqlalchemy import select

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.extensions import db
from rental.inventory import ChangeItemStatus, InventoryFacade, ScheduleMaintenance
from rental.shared.db import unit_of_work
from rental.shared.errors import NeedsConfirmation
from rental.shared.events import Message, decode
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.support.deposits import take_deposit
from tests.support.fleet import make_customer, make_type, tomorrow_at


def period(start: int, end: int) -> TimeRange:
    return TimeRange(tomorrow_at(start), tomorrow_at(end))


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def confirmed(fleet, qty: int, p: TimeRange) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            fleet.type_id,
            p,
            qty,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,  # arranged as staff would, whatever the share
        )
    )
    booking.confirm_reservation(rid)
    return rid


def serials(rid: str) -> list[str]:
    return [
        a.serial_number
        for a in InventoryFacade().list_allocations_for_reservation(rid)
        if a.status in ("ALLOCATED", "PICKED_UP")
    ]


def test_confirmation_allocates_distinct_serials_and_redelivery_allocates_nothing_twice(app):
    fleet = make_type(units=4)
    first = confirmed(fleet, 2, period(9, 17))
    second = confirmed(fleet, 2, period(12, 14))
    drain()
    a, b = serials(first), serials(second)
    assert len(a) == 2 and len(b) == 2
    assert not set(a) & set(b), "an item was allocated twice for overlapping periods"

    # Redeliver the confirmation (as a worker whose lease ran out would) straight to inventory.
    row = db.session.scalars(
        select(OutboxMessageEntity).where(OutboxMessageEntity.event_type == "ReservationConfirmed")
    ).first()
    message = Message(
        row.id, row.event_type, row.schema_version, dict(row.payload), row.occurred_at
    )
    db.session.rollback()
    # Past the inbox (which would drop it): inventory's own handling must change nothing.
    with unit_of_work():
        InventoryFacade().follower().on_confirmed(decode(message))
    assert sorted(serials(first)) == sorted(a)
    assert len(InventoryFacade().list_allocations_for_reservation(first)) == 2


def test_cancellation_releases_the_items(app):
    fleet = make_type(units=1)
    rid = confirmed(fleet, 1, period(9, 17))
    drain()
    assert len(serials(rid)) == 1
    BookingFacade().cancel_reservation(rid, "Plans changed")
    drain()
    assert serials(rid) == []
    other = confirmed(fleet, 1, period(9, 17))
    drain()
    assert len(serials(other)) == 1


def test_allocation_failed_flags_the_reservation_for_staff(app):
    fleet = make_type(units=2)
    rid = confirmed(fleet, 2, period(9, 17))
    # After booking, an item goes to the workshop over the rental period. The booking is
    # confirmed but not yet allocated: staff are asked first, and go ahead.
    maintenance = ScheduleMaintenance(fleet.item_ids[0], period(8, 10), "Hydraulic leak")
    with pytest.raises(NeedsConfirmation, match="would no longer fit: RK-"):
        InventoryFacade().schedule_maintenance(maintenance)
    InventoryFacade().schedule_maintenance(
        replace(maintenance, confirmed_warnings=frozenset({"leaves_holds_short"}))
    )
    drain()
    reservation = BookingFacade().get_reservation(rid)
    assert reservation.needs_attention
    assert "Could not allocate items: only 1 of 2" in reservation.attention_reason
    # What can be served is kept for it (staff find the second unit), and it is flagged.
    assert len(serials(rid)) == 1
    BookingFacade().clear_attention(rid)
    assert not BookingFacade().get_reservation(rid).needs_attention


def test_hand_over_and_take_back_with_damage(app):
    fleet = make_type(units=2)
    rid = confirmed(fleet, 2, period(9, 17))
    drain()
    booking = BookingFacade()
    take_deposit(rid)
    booking.hand_over(rid, "staff@example.com")
    allocations = InventoryFacade().list_allocations_for_reservation(rid)
    assert {a.status for a in allocations} == {"PICKED_UP"}
    assert {InventoryFacade().get_item(a.item_id).status for a in allocations} == {"ALLOCATED"}

    damaged_id = allocations[0].item_id
    booking.take_back(rid, {damaged_id: "Cracked housing"}, "staff@example.com")
    assert booking.get_reservation(rid).status.value == "COMPLETED"
    assert InventoryFacade().get_item(damaged_id).status == "MAINTENANCE"
    assert InventoryFacade().get_item(allocations[1].item_id).status == "AVAILABLE"
    history = InventoryFacade().get_item(damaged_id).history
    assert any("Cracked housing" in h.reason and h.actor == "staff@example.com" for h in history)
    drain()  # ReservationCompleted: nothing left to release, nothing breaks
    assert {a.status for a in InventoryFacade().list_allocations_for_reservation(rid)} == {
        "RETURNED"
    }


def test_retired_items_are_not_allocated(app):
    fleet = make_type(units=2)
    InventoryFacade().change_item_status(
        ChangeItemStatus(fleet.item_ids[0], "RETIRED", reason="Worn out")
    )
    rid = confirmed(fleet, 1, period(9, 17))
    drain()
    [allocation] = InventoryFacade().list_allocations_for_reservation(rid)
    assert allocation.item_id == fleet.item_ids[1]


def test_bookings_confirmed_in_awkward_order_still_all_get_items(app):
    """Two items; at most two bookings overlap at any instant, so booking accepts all four.
    Allocated first-come first-fit, the fourth would find no item; best fit (and re-planning
    bookings that have not started) finds one."""
    fleet = make_type(units=2)
    booking = BookingFacade()
    order = [
        period(9, 11),
        period(10, 12),
        period(13, 15),
        TimeRange(tomorrow_at(11, 30), tomorrow_at(13, 30)),
    ]
    ids = []
    for p in order:
        ids.append(confirmed(fleet, 1, p))
        drain()
    for rid in ids:
        assert not booking.get_reservation(rid).needs_attention, booking.get_reservation(
            rid
        ).attention_reason
        assert len(serials(rid)) == 1


def test_fleet_timeline_shows_items_bookings_maintenance_and_usage(app, admin_client):
    fleet = make_type(units=2)
    rid = confirmed(fleet, 1, period(9, 17))
    drain()
    InventoryFacade().schedule_maintenance(
        ScheduleMaintenance(fleet.item_ids[1], period(8, 10), "Yearly inspection")
    )
    reference = BookingFacade().get_reservation(rid).reference
    page = admin_client.get(f"/admin/reservations/timeline?type={fleet.type_id}")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert body.count('class="tl-serial"') == 3  # two items and the usage row label
    assert f"{reference} allocated" in body and f"/admin/reservations/{rid}" in body
    assert "Yearly inspection" in body and 'class="tl-bar tl-maintenance"' in body
    assert 'class="tl-usage"' in body and 'class="tl-capacity"' in body
    assert "Peak usage 1 of capacity 2" in body  # the text alternative of the chart
    assert admin_client.get("/admin/reservations/timeline?type=nope").status_code == 404
