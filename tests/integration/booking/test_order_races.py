"""Orders racing for shared types: 32 threads place two-line orders, half of them listing the
types in the opposite order. Locks are taken sorted, so nobody deadlocks; capacity is decided
under them, so no instant is over capacity for either type — and no order is half written."""

from __future__ import annotations

import secrets
import threading
from collections import Counter

import pytest
from sqlalchemy import text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    OrderLine,
    OrderShort,
    PlaceOrder,
    PricingBasis,
)
from rental.extensions import db
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_booking_concurrency import overbooked_instants
from tests.support.fleet import make_customer, make_type, tomorrow_at

pytestmark = pytest.mark.slow

THREADS = 32
GENERATORS = 6
LIGHTS = 12  # each order takes 1 generator and 2 lights: 6 orders fit, then both run out


def test_32_threads_race_two_line_orders_in_opposite_line_order(app):
    gens, lights = make_type(GENERATORS, name="Generator"), make_type(LIGHTS, name="Light")
    customers = [make_customer() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []
    guard = threading.Lock()

    def attempt(i: int) -> None:
        lines = [
            OrderLine(1, equipment_type_id=gens.type_id),
            OrderLine(2, equipment_type_id=lights.type_id),
        ]
        if i % 2:
            lines.reverse()
        period = TimeRange(tomorrow_at(9, 15 * (i % 4)), tomorrow_at(15, 15 * (i % 3)))
        with app.app_context():
            barrier.wait()
            try:
                BookingFacade().place_order(
                    PlaceOrder(
                        customers[i],
                        tuple(lines),
                        period,
                        PricingBasis.HOURLY,
                        secrets.token_urlsafe(24),
                        channel=BookingChannel.STAFF,
                    )
                )
                result = "ok"
            except OrderShort:
                result = "short"
            except Exception as exc:  # a deadlock or anything else fails the test below
                result = f"error: {exc!r}"
            finally:
                db.session.remove()
            with guard:
                outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    summary = Counter(outcomes)
    print(f"\norders: attempts={len(outcomes)} {dict(summary)}")
    assert summary == {"ok": GENERATORS, "short": THREADS - GENERATORS}, summary
    assert overbooked_instants(gens.type_id, GENERATORS) == []
    assert overbooked_instants(lights.type_id, LIGHTS) == []
    # Every order written is whole: two lines each, never one.
    sizes = db.session.execute(
        text("SELECT count(*) FROM booking_reservations GROUP BY order_id")
    ).scalars()
    assert set(sizes) == {2}
    db.session.rollback()
