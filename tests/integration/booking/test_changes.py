"""Changes (issue 11): staff and customers extend or shorten a booking or change its quantity.
Every change re-checks availability under the type's lock without counting the booking's own
use, is priced anew, is previewed (old, new, the difference) before it is confirmed, bumps the
version and records `ReservationChanged`, after which Inventory plans the fleet again. A change
that does not fit is refused naming what is free, and nothing changes. Through the facade and
the staff and manage pages, on SQLite and PostgreSQL; the race on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rental.booking import BookingFacade, ChangeReservation, ReservationStatus
from rental.contracts.booking import ReservationChanged
from rental.extensions import db
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.events import Message, decode
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_hand_over_safety import (
    STAFF,
    booked,
    fingerprint,
)
from tests.integration.booking.test_servable_bookings import (
    drain,
    free,
    into_the_past,
    items_of,
    period,
)
from tests.support.fingerprint import changed_tables
from tests.support.fleet import make_type


def get(rid: str):
    found = BookingFacade().get_reservation(rid)
    db.session.rollback()
    return found


def change(rid: str, p: TimeRange, qty: int, **kw):
    return BookingFacade().change_reservation(ChangeReservation(rid, p, qty, **kw))


def changed_events(rid: str) -> list[ReservationChanged]:
    rows = db.session.execute(
        select(OutboxMessageEntity).where(OutboxMessageEntity.event_type == "ReservationChanged")
    ).scalars()
    found = [
        decode(Message(row.id, row.event_type, row.schema_version, row.payload, row.occurred_at))
        for row in rows
        if row.payload.get("reservation_id") == rid
    ]
    db.session.rollback()
    return found


# --- through the facade ------------------------------------------------------------------------


def test_extending_when_free_re_prices_and_re_plans(app):
    fleet = make_type(units=2)
    rid, _ = booked(fleet.type_id)
    before = get(rid)
    longer = TimeRange(before.period.start, period(9, 17, days=2).end)  # a day more
    preview = BookingFacade().preview_change(ChangeReservation(rid, longer, 1))
    assert preview.fits and preview.old_total == before.total
    assert preview.new_total is not None and preview.difference.amount > 0
    assert get(rid).version == before.version  # a preview changes nothing
    changed = change(rid, longer, 1)
    assert changed.period == longer and changed.total == preview.new_total
    assert changed.version == before.version + 1
    [event] = changed_events(rid)
    assert event.period == longer and event.quantity == 1 and event.sequence == changed.version
    assert event.previous_period == before.period and event.status == "CONFIRMED"
    drain()
    [item] = items_of(rid)
    # Inventory follows the new period: its unit is out on the second day too.
    assert free(fleet.type_id, period(9, 17, days=2)) == 1
    other, _ = booked(fleet.type_id, days=2)
    assert items_of(other) != [item]


def test_a_change_excludes_its_own_usage(app):
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id)
    longer = TimeRange(period(9, 17).start, period(9, 18).end)
    assert change(rid, longer, 1).period == longer  # the only unit is its own


def test_extending_into_a_booked_period_is_refused_and_nothing_changes(app):
    fleet = make_type(units=1)
    rid, _ = booked(fleet.type_id)
    booked(fleet.type_id, days=2)  # the only unit, the next day
    into_next_day = TimeRange(period(9, 17).start, period(9, 17, days=2).end)
    before = fingerprint()
    preview = BookingFacade().preview_change(ChangeReservation(rid, into_next_day, 1))
    assert not preview.fits and "None are free" in preview.problem and preview.free == 0
    with pytest.raises(ConflictError, match=r"None are free.*stays as it was"):
        change(rid, into_next_day, 1)
    assert changed_tables(before, fingerprint()) == []
    assert get(rid).period == period(9, 17)


def test_shrinking_the_quantity_frees_units(app):
    fleet = make_type(units=3)
    rid, _ = booked(fleet.type_id, qty=3)
    assert free(fleet.type_id, period(9, 17)) == 0 and len(items_of(rid)) == 3
    changed = change(rid, period(9, 17), 1)
    assert changed.quantity == 1 and changed.total.amount < get(rid).total.amount * 3
    assert free(fleet.type_id, period(9, 17)) == 2
    drain()
    assert len(items_of(rid)) == 1


def test_more_units_than_free_is_refused_naming_what_is_free(app):
    fleet = make_type(units=3)
    rid, _ = booked(fleet.type_id)
    booked(fleet.type_id)
    with pytest.raises(ConflictError, match="Only 2 free for that period; you asked for 3"):
        change(rid, period(9, 17), 3)
    assert get(rid).quantity == 1


def test_on_hire_only_the_end_moves(app):
    fleet = make_type(units=2)
    rid, _ = booked(fleet.type_id)
    BookingFacade().hand_over(rid, STAFF)
    into_the_past(rid, started=1)
    db.session.commit()
    now_period = get(rid).period
    with pytest.raises(ValidationError, match="number of units"):
        change(rid, now_period, 2)
    with pytest.raises(ValidationError, match="only its end"):
        change(
            rid,
            TimeRange(
                now_period.start + (period(10, 17).start - period(9, 17).start), now_period.end
            ),
            1,
        )
    longer = TimeRange(now_period.start, period(9, 17).end)  # to tomorrow 17:00
    assert change(rid, longer, 1).status is ReservationStatus.ON_HIRE


def test_customers_change_only_before_the_start(app):
    fleet = make_type(units=2)
    rid, _ = booked(fleet.type_id)
    into_the_past(rid, started=1)
    db.session.commit()
    p = get(rid).period
    longer = TimeRange(p.start, period(9, 17).end)  # to tomorrow 17:00
    with pytest.raises(ConflictError, match="has started"):
        change(rid, longer, 1, by_customer=True)
    assert not BookingFacade().customer_actions(get(rid)).change
    assert change(rid, longer, 1).period == longer  # staff still can


def test_a_stale_preview_is_refused(app):
    fleet = make_type(units=2)
    rid, _ = booked(fleet.type_id)
    version = get(rid).version
    change(rid, period(9, 17), 2)
    with pytest.raises(ConflictError, match="changed meanwhile"):
        change(rid, period(9, 18), 2, expected_version=version)


def test_a_changed_hold_is_not_served_until_it_is_confirmed(app):
    fleet = make_type(units=2)
    rid, _ = booked(fleet.type_id, confirm=False)
    longer = TimeRange(period(9, 17).start, period(9, 17, days=2).end)
    changed = change(rid, longer, 2)
    assert changed.status is ReservationStatus.PENDING
    [event] = changed_events(rid)
    assert event.status == "PENDING" and not event.is_live
    drain()
    assert items_of(rid) == []  # Inventory serves confirmed bookings only
    BookingFacade().confirm_reservation(rid)
    drain()
    assert len(items_of(rid)) == 2
    assert free(fleet.type_id, period(9, 17, days=2)) == 0
