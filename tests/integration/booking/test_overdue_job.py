"""The overdue-returns job as it runs in production: a real worker process runs
`inventory.overdue_returns` every INVENTORY_OVERDUE_SECONDS, notices an item not back at the
end of its booking, flags that booking and the next one it leaves without a machine, and
tells each booking once (issue "Keep every confirmed booking servable", item 2)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from rental.booking import BookingFacade
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.shared.outbox import OutboxMessageEntity
from tests.integration.booking.test_servable_bookings import (
    book,
    flag,
    into_the_past,
    items_of,
    period,
)
from tests.support.deposits import take_deposit
from tests.support.fleet import make_type
from tests.support.processes import start_worker, wait_until

pytestmark = pytest.mark.slow


def outbox_idle() -> bool:
    """Every event so far has been handled (so what the test changes next races nothing)."""
    waiting = db.session.scalar(
        select(func.count()).where(OutboxMessageEntity.processed_at.is_(None))
    )
    db.session.rollback()
    return waiting == 0


def overdue_notices(reservation_id: str) -> int:
    rows = db.session.scalars(
        select(OutboxMessageEntity.payload).where(OutboxMessageEntity.event_type == "ReturnOverdue")
    ).all()
    db.session.rollback()
    return sum(payload["reservation_id"] == reservation_id for payload in rows)


def picked_up_and_overdue(type_id: str, rid: str) -> str:
    """Hand the booking's item over, then let its booking end six hours ago, unreturned.
    Returns the item's serial number."""
    take_deposit(rid)
    BookingFacade().hand_over(rid, "staff@example.com")
    wait_until(outbox_idle, message="the hand-over's events were not handled")
    (item_id,) = items_of(rid, "PICKED_UP")
    into_the_past(rid, ended=6)
    serial = InventoryFacade().get_item(item_id).serial_number
    db.session.rollback()
    return serial


def test_the_worker_flags_an_item_not_returned_and_the_booking_it_leaves_short(
    app, database_url, logs_dir
):
    fleet = make_type(units=1, name="Scissor lift")
    late = book(fleet.type_id, period(9, 17))
    nxt = book(fleet.type_id, period(9, 17, days=2))
    worker = start_worker(
        database_url,
        logs_dir,
        name="overdue-job",
        OUTBOX_POLL_SECONDS="0.2",
        INVENTORY_OVERDUE_SECONDS="1",
    )
    try:
        # The worker allocates the confirmed bookings (both on the one lift).
        wait_until(lambda: items_of(late) and items_of(nxt), message="bookings not allocated")
        wait_until(outbox_idle, message="allocations not reported to Booking")
        serial = picked_up_and_overdue(fleet.type_id, late)
        # Only the job can notice this now: nothing else happens in the shop.
        wait_until(lambda: flag(late) and flag(nxt), message="overdue return not noticed")
        assert f"{serial} was not returned" in flag(late)
        assert f"{serial} was not returned; no other Scissor lift" in flag(nxt)
        assert items_of(nxt) == []  # not left on the lift that is still out

        # The job keeps running (every second): a second booking overdue later is noticed
        # too, and the first is not told again meanwhile.
        other = make_type(units=1, name="Scissor lift")
        second = book(other.type_id, period(9, 17))
        wait_until(lambda: items_of(second), message="second booking not allocated")
        wait_until(outbox_idle, message="allocation not reported to Booking")
        picked_up_and_overdue(other.type_id, second)
        wait_until(lambda: flag(second), message="second overdue return not noticed")
        wait_until(outbox_idle, message="overdue notices not handled")
    finally:
        assert worker.stop() == 0, worker.log()
    assert overdue_notices(late) == 1 and overdue_notices(second) == 1
    assert overdue_notices(nxt) == 0  # the next booking is short, not overdue
