"""BookingFacade.open_orders_of_customer, what "Find my booking" sends links to: a running
hold, a confirmed booking and one on hire, soonest first; not a hold that ran out, nor an
expired, cancelled or completed booking, nor another customer's."""

from __future__ import annotations

import secrets
from datetime import timedelta

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.extensions import db
from rental.shared.time_range import TimeRange, utcnow
from tests.support.deposits import STAFF, take_deposit
from tests.support.fleet import make_customer, make_type, tomorrow_at


def reserve(customer: str, type_id: str, start: int, *, confirm: bool = True, days: int = 1):
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer,
            type_id,
            TimeRange(tomorrow_at(start, days=days), tomorrow_at(start + 2, days=days)),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
    reservation = booking.get_reservation(rid)
    db.session.rollback()
    return reservation


def references(orders) -> list[str]:
    return [order.reference for order in orders]


def test_only_the_customers_orders_that_are_not_over_soonest_first(app):
    customer = make_customer()
    type_id = make_type(units=4, deposit=None).type_id
    later = reserve(customer, type_id, 9, days=3)
    on_hire = reserve(customer, type_id, 9)
    hold = reserve(customer, type_id, 12, days=2, confirm=False)
    cancelled = reserve(customer, type_id, 14)
    completed = reserve(customer, make_type(units=1, deposit=None).type_id, 16)
    reserve(make_customer(), type_id, 9)  # someone else's
    booking = BookingFacade()
    booking.cancel_reservation(cancelled.id, "changed plans")
    for line in (on_hire, completed):
        take_deposit(line.id)
        booking.hand_over(line.id, STAFF)
    booking.take_back(completed.id, {}, STAFF)
    db.session.rollback()

    found = BookingFacade().open_orders_of_customer(customer)
    assert references(found) == [on_hire.reference, hold.reference, later.reference]
    assert [o.status.value for o in found] == ["ON_HIRE", "PENDING", "CONFIRMED"]

    # Once its time is up a hold is not listed, before and after it is marked EXPIRED.
    after_hold = utcnow() + timedelta(hours=6)
    assert references(
        BookingFacade(clock=lambda: after_hold).open_orders_of_customer(customer)
    ) == [
        on_hire.reference,
        later.reference,
    ]
    assert BookingFacade(clock=lambda: after_hold).expire_stale_holds() == 1
    db.session.rollback()
    assert references(BookingFacade().open_orders_of_customer(customer)) == [
        on_hire.reference,
        later.reference,
    ]
    assert BookingFacade().open_orders_of_customer(make_customer()) == []
