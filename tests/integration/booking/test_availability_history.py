"""Availability against booking history (issue 15, target 1): the reservations query reads only
live rows from the window on (migration 0030's partial indexes), so what was completed,
cancelled, expired or never picked up — and a confirmed booking that ended — never changes an
answer, while every live booking does, however long ago it started, and an item on hire that is
overdue still takes a unit. The staff timeline and the dashboard's heat-map agree. Both
databases."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rental.booking import BookingFacade, CheckAvailability, ListReservations
from rental.booking.infrastructure.entities import ReservationEntity
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.shared.db import unit_of_work
from rental.shared.time_range import TimeRange, utcnow
from tests.integration.booking.test_servable_bookings import (
    book,
    drain,
    free,
    into_the_past,
    items_of,
    period,
)
from tests.support.deposits import take_deposit
from tests.support.fleet import make_type, tomorrow_at

HISTORY = ("COMPLETED", "CANCELLED", "EXPIRED", "NO_SHOW")


def becomes(rid: str, status: str, **fields) -> None:
    """What time and staff make of a booking (its status, a hold running out), written as the
    row would be."""
    with unit_of_work():
        row = db.session.get(ReservationEntity, rid)
        row.status = status
        for name, value in fields.items():
            setattr(row, name, value)
        row.version += 1


def busy(type_id: str, window: TimeRange) -> tuple[int, int]:
    """The timeline's and the heat-map's peak of units held in `window`."""
    booking = BookingFacade()
    timeline = max(p.usage for p in booking.usage_profile(type_id, window))
    (heat,) = booking.daily_utilisation([type_id], [window])[type_id].booked
    db.session.rollback()
    return timeline, heat


def test_history_in_or_before_the_window_changes_no_answer(app):
    fleet = make_type(units=2)
    window = period(9, 17, days=3)
    # Each of these took the whole fleet for the window, then became history.
    for status in HISTORY:
        becomes(book(fleet.type_id, window, 2), status)
    # A hold that ran out (the expiry job has not reached it yet) holds nothing either.
    hold = book(fleet.type_id, window, 2, confirm=False)
    becomes(hold, "PENDING", hold_expires_at=utcnow() - timedelta(minutes=1))
    # A confirmed booking of the whole fleet that ended before the window (never closed).
    ended = book(fleet.type_id, period(9, 17, days=2), 2)
    into_the_past(ended, ended=1)
    assert free(fleet.type_id, window) == 2
    assert busy(fleet.type_id, window) == (0, 0)
    result = BookingFacade().check_availability(CheckAvailability(fleet.type_id, window, 3))
    assert result.alternatives is not None and result.alternatives.max_quantity == 2


def test_live_bookings_count_however_long_ago_they_started(app):
    fleet = make_type(units=4)
    # Confirmed for 89 days, moved so that it started 80 days ago: it ends in 9 days.
    long = book(fleet.type_id, TimeRange(tomorrow_at(9), tomorrow_at(9, days=90)), 1)
    into_the_past(long, started=80 * 24)
    hold = book(fleet.type_id, period(9, 17, days=3), 1, confirm=False)  # a live hold
    on_hire = book(fleet.type_id, period(9, 17, days=1), 1)
    into_the_past(on_hire, started=1)  # started an hour ago, ends in 7 hours
    becomes(on_hire, "ON_HIRE")
    soon = BookingFacade().policy.earliest_hourly_start(utcnow() + timedelta(hours=2))
    window = TimeRange(soon, soon + timedelta(hours=2))
    assert free(fleet.type_id, window) == 2  # the long one and the one on hire
    assert free(fleet.type_id, period(9, 17, days=3)) == 2  # the long one and the hold
    assert free(fleet.type_id, period(9, 17, days=12)) == 4  # the long one has ended
    assert busy(fleet.type_id, period(9, 17, days=3)) == (2, 2)
    assert BookingFacade().get_reservation(hold).status.value == "PENDING"


def test_an_overdue_item_still_takes_a_unit_after_its_booking_ended(app):
    fleet = make_type(units=2)
    late = book(fleet.type_id, period(9, 17))
    drain()
    take_deposit(late)
    BookingFacade().hand_over(late, "staff@example.com")
    assert len(items_of(late, "PICKED_UP")) == 1
    into_the_past(late, ended=6)  # nobody brought it back
    assert InventoryFacade().notice_overdue_returns() == 1
    drain()
    assert free(fleet.type_id, period(9, 17, days=2)) == 1
    # The dashboard's "Overdue now" lists it; today's pick-ups and returns do not.
    overdue = BookingFacade().list_reservations(ListReservations(overdue=True))
    assert [r.id for r in overdue.items] == [late]
    BookingFacade().take_back(late, {}, "staff@example.com")
    assert free(fleet.type_id, period(9, 17, days=2)) == 2


@pytest.mark.parametrize("status", ["CONFIRMED", "ON_HIRE"])
def test_the_dashboards_lists_read_live_rows_and_leave_history_out(app, status):
    fleet = make_type(units=3)
    live = book(fleet.type_id, period(9, 17, days=1))
    becomes(live, status)
    gone = book(fleet.type_id, period(9, 17, days=1))
    becomes(gone, "COMPLETED", needs_attention=True, attention_reason="x", attention_code="other")
    flagged = book(fleet.type_id, period(9, 17, days=2))
    becomes(flagged, "CONFIRMED", needs_attention=True, attention_reason="x")
    booking = BookingFacade()
    window = (utcnow() - timedelta(hours=1), tomorrow_at(23))
    for flt in (
        ListReservations(statuses=("CONFIRMED", "ON_HIRE"), picks_up=window),
        ListReservations(statuses=("CONFIRMED", "ON_HIRE"), returns=window),
        ListReservations(
            statuses=("CONFIRMED", "ON_HIRE"), starts_from=window[0], starts_before=window[1]
        ),
    ):
        assert [r.id for r in booking.list_reservations(flt).items] == [live]
    attention = booking.list_reservations(ListReservations(needs_attention=True))
    assert {r.id for r in attention.items} == {gone, flagged}
    calm = booking.list_reservations(ListReservations(needs_attention=False))
    assert {r.id for r in calm.items} == {live}
