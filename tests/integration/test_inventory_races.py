"""Two staff changes of one item at the same moment, forced open on PostgreSQL: both read the
item, then queue for the fleet's lock (a second session holds it). The one served second must
decide on the item as the first one left it, not on what it read before it waited."""

from __future__ import annotations

import pytest

from rental.inventory import ChangeItemStatus, InventoryFacade
from tests.integration.booking.test_booking_races import (
    Attempt,
    RowLock,
    lock_waiters,
    postgres_only,
)
from tests.support.fleet import make_type
from tests.support.processes import wait_until

pytestmark = pytest.mark.slow


def test_an_item_retired_while_another_change_waited_stays_retired(app, backend):
    postgres_only(backend)
    fleet = make_type(units=1)
    (item_id,) = fleet.item_ids
    serial = InventoryFacade().get_item(item_id).serial_number
    held = RowLock(
        "SELECT id FROM inventory_items WHERE equipment_type_id = :t FOR UPDATE", t=fleet.type_id
    )
    retire = Attempt(
        app,
        lambda: InventoryFacade().change_item_status(
            ChangeItemStatus(item_id, "RETIRED", "sold", "anna")
        ),
    )
    service = Attempt(
        app,
        lambda: InventoryFacade().change_item_status(
            ChangeItemStatus(item_id, "MAINTENANCE", "service", "bob")
        ),
    )
    try:
        retire.start()
        wait_until(lambda: lock_waiters() == 1, timeout=60)
        service.start()  # read the item as AVAILABLE, now queued behind the retirement
        wait_until(lambda: lock_waiters() == 2, timeout=60)
    finally:
        held.release()
    retire.join(60)
    service.join(60)
    assert retire.outcome == "ok"
    assert service.outcome == f"conflict: {serial} is retired; a retired item cannot change status."
    item = InventoryFacade().get_item(item_id)
    assert item.status == "RETIRED"
    assert [(h.from_status, h.to_status) for h in item.history] == [
        ("AVAILABLE", "RETIRED"),
        (None, "AVAILABLE"),
    ]
