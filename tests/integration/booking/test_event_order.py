"""Inventory converges to the reservation's current state whatever order Booking's events are
handled in: a confirmation handled after the cancellation (a worker killed mid-batch, two
workers, a retry) never allocates items to the cancelled booking (issue: correctness under
races and faults, item 3)."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select, text, update

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.shared.db import unit_of_work
from rental.shared.events import Message
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor, OutboxSettings
from rental.shared.time_range import TimeRange, utcnow
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.processes import start_worker, wait_until

SLOT = TimeRange(tomorrow_at(9), tomorrow_at(17))


def book(type_id: str, *, confirm: bool = True) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(), type_id, SLOT, 1, PricingBasis.HOURLY, secrets.token_urlsafe(24)
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
    return rid


def messages(event_type: str | None = None) -> list[Message]:
    query = select(OutboxMessageEntity).order_by(OutboxMessageEntity.id)
    if event_type:
        query = query.where(OutboxMessageEntity.event_type == event_type)
    rows = db.session.scalars(query).all()
    db.session.rollback()
    return [
        Message(r.id, r.event_type, r.schema_version, dict(r.payload), r.occurred_at) for r in rows
    ]


def of(reservation_id: str, found: list[Message]) -> Message:
    (message,) = [m for m in found if m.payload["reservation_id"] == reservation_id]
    return message


def holding(reservation_id: str) -> list[str]:
    views = InventoryFacade().list_allocations_for_reservation(reservation_id)
    db.session.rollback()
    return [v.serial_number for v in views if v.status in ("ALLOCATED", "PICKED_UP")]


def attention(reservation_id: str) -> str | None:
    details = BookingFacade().get_reservation(reservation_id)
    db.session.rollback()
    return details.attention_reason if details.needs_attention else None


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def processed(message_ids: list[int]) -> bool:
    done = db.session.scalar(
        select(db.func.count()).where(
            OutboxMessageEntity.id.in_(message_ids), OutboxMessageEntity.processed_at.is_not(None)
        )
    )
    db.session.rollback()
    return done == len(message_ids)


def assert_the_next_customer_is_served(type_id: str) -> None:
    nxt = book(type_id)
    drain()
    assert len(holding(nxt)) == 1
    assert attention(nxt) is None


# --- handled in the wrong order, in process ---------------------------------------------------


def test_a_cancellation_handled_before_the_confirmation_leaves_no_items_allocated(app):
    fleet = make_type(units=1)
    rid = book(fleet.type_id)
    BookingFacade().cancel_reservation(rid, "Plans changed")
    processor = OutboxProcessor()
    processor.process(of(rid, messages("ReservationCancelled")))
    processor.process(of(rid, messages("ReservationConfirmed")))  # late: must change nothing
    assert holding(rid) == []
    assert_the_next_customer_is_served(fleet.type_id)


def test_a_completion_handled_before_the_confirmation_leaves_no_items_allocated(app):
    fleet = make_type(units=1)
    rid = book(fleet.type_id)
    BookingFacade().complete_reservation(rid)
    processor = OutboxProcessor()
    processor.process(of(rid, messages("ReservationCompleted")))
    processor.process(of(rid, messages("ReservationConfirmed")))
    assert holding(rid) == []
    assert_the_next_customer_is_served(fleet.type_id)


def test_events_in_order_still_allocate_and_release(app):
    fleet = make_type(units=1)
    rid = book(fleet.type_id)
    drain()
    assert len(holding(rid)) == 1
    BookingFacade().cancel_reservation(rid, "Plans changed")
    drain()
    assert holding(rid) == []


def test_allocation_failed_for_a_booking_cancelled_meanwhile_flags_nothing(app):
    fleet = make_type(units=1)
    rid = book(fleet.type_id)
    with unit_of_work():  # the unit goes to the workshop before the worker allocates
        db.session.execute(
            text("UPDATE inventory_items SET status = 'MAINTENANCE' WHERE id = :id"),
            {"id": fleet.item_ids[0]},
        )
    processor = OutboxProcessor()
    processor.process(of(rid, messages("ReservationConfirmed")))  # -> AllocationFailed
    BookingFacade().cancel_reservation(rid, "Plans changed")
    drain()
    assert attention(rid) is None


# --- a worker killed mid-batch, real worker process -------------------------------------------


def test_a_confirmation_left_behind_by_a_killed_worker_does_not_allocate_to_a_cancelled_booking(
    app, database_url, logs_dir
):
    fleet = make_type(units=1)
    rid = book(fleet.type_id)
    # A worker claims the batch holding the confirmation and is killed before handling it:
    # its lease keeps the message from everyone else for a while.
    claimed = [m.id for m in OutboxProcessor(OutboxSettings(lease_seconds=3600)).claim_batch()]
    assert of(rid, messages("ReservationConfirmed")).id in claimed
    BookingFacade().cancel_reservation(rid, "Plans changed")
    cancelled = of(rid, messages("ReservationCancelled")).id
    worker = start_worker(database_url, logs_dir, name="after-kill", OUTBOX_POLL_SECONDS="0.2")
    try:
        wait_until(lambda: processed([cancelled]), message="cancellation not handled")
        with unit_of_work():  # the dead worker's lease runs out
            db.session.execute(
                update(OutboxMessageEntity)
                .where(OutboxMessageEntity.id.in_(claimed))
                .values(available_at=utcnow())
            )
        wait_until(lambda: processed(claimed), message="confirmation not handled")
    finally:
        assert worker.stop() == 0, worker.log()
    assert holding(rid) == []
    assert_the_next_customer_is_served(fleet.type_id)


# --- two workers, PostgreSQL ------------------------------------------------------------------


def lock_waiters() -> int:
    count = db.session.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
    ).scalar_one()
    db.session.rollback()
    return count


@pytest.mark.slow
def test_two_workers_handling_confirmation_and_cancellation_at_once_converge(
    app, backend, database_url, logs_dir
):
    """Worker A is allocating for the confirmation and waits (a second session holds the
    type's item rows); the booking is cancelled and worker B takes the cancellation. Whatever
    the interleaving, the cancelled booking ends with no items."""
    if backend != "postgresql":
        pytest.skip("several workers side by side is the PostgreSQL deployment")
    fleet = make_type(units=1)
    rid = book(fleet.type_id)
    confirmed = of(rid, messages("ReservationConfirmed")).id
    items = db.engine.connect()
    items_lock = items.begin()
    items.execute(
        text("SELECT id FROM inventory_items WHERE equipment_type_id = :t FOR UPDATE"),
        {"t": fleet.type_id},
    )
    workers = [start_worker(database_url, logs_dir, name="a", OUTBOX_POLL_SECONDS="0.2")]
    try:
        wait_until(lambda: lock_waiters() >= 1, message="worker A never reached the items")
        BookingFacade().cancel_reservation(rid, "Plans changed")
        cancelled = of(rid, messages("ReservationCancelled")).id
        workers.append(start_worker(database_url, logs_dir, name="b", OUTBOX_POLL_SECONDS="0.2"))
        wait_until(lambda: processed([cancelled]) or lock_waiters() >= 2)
        items_lock.rollback()
        items.close()
        wait_until(lambda: processed([confirmed, cancelled]), message="outbox not drained")
    finally:
        if not items.closed:
            items_lock.rollback()
            items.close()
        for worker in workers:
            assert worker.stop() == 0, worker.log()
    assert holding(rid) == []
    assert_the_next_customer_is_served(fleet.type_id)
