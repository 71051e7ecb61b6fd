"""BookingFacade on real SQLite and PostgreSQL, with the real catalog, inventory, pricing and
customer modules behind it."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select

from rental.booking import (
    BookingFacade,
    CheckAvailability,
    CreateReservation,
    ListReservations,
    PricingBasis,
    ReservationStatus,
)
from rental.booking.application.commands import ReservationCommands
from rental.booking.application.queries import AvailabilityQueries
from rental.booking.domain.models import BookingChannel
from rental.booking.domain.policy import BookingPolicy
from rental.booking.infrastructure.repositories import ReservationRepository
from rental.catalog import CatalogFacade
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.inventory import InventoryFacade, ScheduleMaintenance, SetTurnaround
from rental.pricing import PricingFacade
from rental.shared.db import unit_of_work
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.support.deposits import take_deposit
from tests.support.fleet import make_customer, make_type, tomorrow_at


def period(start_hour: int, end_hour: int, days: int = 1) -> TimeRange:
    return TimeRange(tomorrow_at(start_hour, days=days), tomorrow_at(end_hour, days=days))


def book(fleet, customer_id, p, qty=1, basis=PricingBasis.HOURLY) -> str:
    return BookingFacade().create_reservation(
        CreateReservation(customer_id, fleet.type_id, p, qty, basis, secrets.token_urlsafe(24))
    )


def events(event_type: str) -> list[dict]:
    rows = db.session.scalars(
        select(OutboxMessageEntity.payload).where(OutboxMessageEntity.event_type == event_type)
    ).all()
    db.session.rollback()
    return list(rows)


def test_availability_counts_live_reservations_and_back_to_back_is_fine(app):
    fleet = make_type(units=3)
    customer = make_customer()
    booking = BookingFacade()
    result = booking.check_availability(CheckAvailability(fleet.type_id, period(9, 17), 2))
    assert (result.is_available, result.remaining_capacity, result.total_capacity) == (True, 3, 3)
    assert result.quote.total.amount > 0

    book(fleet, customer, period(9, 17), qty=2)
    after = booking.check_availability(CheckAvailability(fleet.type_id, period(12, 13), 2))
    assert not after.is_available
    assert (after.remaining_capacity, after.peak_usage) == (1, 2)
    assert after.blocking_interval is not None
    # Back to back: a rental that starts when the other ends is not affected.
    later = booking.check_availability(CheckAvailability(fleet.type_id, period(17, 20), 3))
    assert later.is_available and later.remaining_capacity == 3


def test_turnaround_buffer_extends_every_reservation(app):
    fleet = make_type(units=1)
    customer = make_customer()
    booking = BookingFacade()
    book(fleet, customer, period(9, 12))
    assert booking.check_availability(
        CheckAvailability(fleet.type_id, period(12, 14), 1)
    ).is_available
    InventoryFacade().set_turnaround(SetTurnaround(fleet.type_id, 120))
    blocked = booking.check_availability(CheckAvailability(fleet.type_id, period(12, 14), 1))
    assert not blocked.is_available
    assert booking.check_availability(
        CheckAvailability(fleet.type_id, period(14, 16), 1)
    ).is_available


def test_maintenance_in_the_period_reduces_total_capacity(app):
    fleet = make_type(units=3)
    InventoryFacade().schedule_maintenance(
        ScheduleMaintenance(fleet.item_ids[0], period(8, 10), "Yearly inspection")
    )
    booking = BookingFacade()
    during = booking.check_availability(CheckAvailability(fleet.type_id, period(9, 11), 1))
    assert during.total_capacity == 2
    after = booking.check_availability(CheckAvailability(fleet.type_id, period(10, 11), 1))
    assert after.total_capacity == 3


def test_alternatives_offer_fewer_units_a_later_start_and_similar_types(app):
    fleet = make_type(units=2)
    similar = make_type(units=2, name="Silent generator", category_id=fleet.category_id)
    customer = make_customer()
    book(fleet, customer, period(9, 17), qty=1)
    book(fleet, customer, period(13, 18), qty=1)
    result = BookingFacade().check_availability(CheckAvailability(fleet.type_id, period(10, 14), 2))
    assert not result.is_available
    alt = result.alternatives
    assert alt.max_quantity == 0  # 13:00–14:00 both are out
    # Both units are free again at 18:00 (the later rental ends): same 4 hours from there.
    assert alt.earliest_period == period(18, 22)
    assert [o.equipment_type_id for o in alt.similar] == [similar.type_id]
    assert alt.similar[0].remaining_capacity == 2


def test_create_reservation_freezes_the_quote_holds_and_records_the_event(app):
    fleet = make_type(units=3)
    customer = make_customer()
    reservation_id = book(fleet, customer, period(9, 17), qty=2)
    r = BookingFacade().get_reservation(reservation_id)
    assert r.status is ReservationStatus.PENDING
    assert r.reference.startswith("RK-") and r.quantity == 2
    assert r.hold_expires_at is not None
    assert r.quote.total.amount > 0 and r.quote.lines
    [created] = events("ReservationCreated")
    assert created["reservation_id"] == reservation_id and created["quantity"] == 2
    assert created["customer_id"] == customer
    assert "name" not in created and "email" not in created  # IDs, never customer data


def test_a_drawn_reference_that_is_taken_is_drawn_again(app):
    fleet = make_type(units=3)
    customer = make_customer()
    taken = BookingFacade().get_reservation(book(fleet, customer, period(9, 10))).reference
    drawn = iter([taken, taken, "RK-FRESH1"])
    repository = ReservationRepository()
    availability = AvailabilityQueries(
        repository,
        CatalogFacade(),
        InventoryFacade(),
        PricingFacade(),
        BookingPolicy.from_settings(app.config),
    )
    commands = ReservationCommands(
        repository, availability, CustomerFacade(), 15, references=lambda: next(drawn)
    )
    with unit_of_work():
        placed = commands.place(
            CreateReservation(
                customer,
                fleet.type_id,
                period(11, 12),
                1,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
    assert placed.reference == "RK-FRESH1"
    assert BookingFacade().get_reservation(placed.id).reference == "RK-FRESH1"


def test_not_enough_capacity_is_a_conflict_naming_what_is_left(app):
    fleet = make_type(units=3)
    customer = make_customer()
    book(fleet, customer, period(9, 17), qty=2)
    with pytest.raises(ConflictError, match="Only 1 left for that period; you asked for 2"):
        book(fleet, customer, period(10, 12), qty=2)
    assert len(events("ReservationCreated")) == 1  # nothing half-written


def test_suspended_and_unknown_customers_cannot_book(app):
    fleet = make_type(units=3)
    customer = make_customer()
    CustomerFacade().suspend_customer(customer)
    with pytest.raises(ValidationError, match="cannot make bookings"):
        book(fleet, customer, period(9, 17))
    with pytest.raises(ValidationError, match="could not find that customer"):
        book(fleet, "no-such-customer", period(9, 17))


@pytest.mark.parametrize(
    ("start", "end", "qty", "message"),
    [
        (-30, -28, 1, "start must be in the future"),
        (9, 9.1, 1, "15-minute mark"),
        (9, 10, 0, "at least 1"),
        (9, 9.5, 1, "minimum rental is 1 hour"),
    ],
)
def test_invalid_requests_get_messages_a_customer_understands(app, start, end, qty, message):
    fleet = make_type(units=3)
    from datetime import timedelta as td

    base = tomorrow_at(0)
    p = TimeRange(base + td(hours=start), base + td(hours=end))
    with pytest.raises(ValidationError, match=message):
        BookingFacade().check_availability(CheckAvailability(fleet.type_id, p, qty))


def test_daily_bookings_must_be_whole_days(app):
    fleet = make_type(units=1)
    customer = make_customer()
    with pytest.raises(ValidationError, match="midnight to midnight"):
        book(fleet, customer, period(9, 17), basis=PricingBasis.DAILY)
    day = TimeRange(tomorrow_at(0), tomorrow_at(0, days=3))
    reservation_id = book(fleet, customer, day, basis=PricingBasis.DAILY)
    assert BookingFacade().get_reservation(reservation_id).basis is PricingBasis.DAILY


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def test_lifecycle_emits_events_and_refuses_invalid_transitions(app):
    fleet = make_type(units=3)
    customer = make_customer()
    booking = BookingFacade()
    rid = book(fleet, customer, period(9, 17))
    booking.confirm_reservation(rid)
    drain()  # the worker allocates an item
    take_deposit(rid)
    booking.hand_over(rid, "staff@example.com")  # tomorrow's booking: within the window
    booking.take_back(rid, {}, "staff@example.com")  # everything back: completed
    with pytest.raises(ConflictError, match="is completed and cannot be cancelled"):
        booking.cancel_reservation(rid, "too late")
    other = book(fleet, customer, period(9, 17))
    booking.cancel_reservation(other, "Plans changed")
    assert booking.get_reservation(other).cancellation_reason == "Plans changed"
    assert [
        len(events(t))
        for t in (
            "ReservationConfirmed",
            "ReservationHandedOver",
            "ReservationCompleted",
            "ReservationCancelled",
        )
    ] == [1, 1, 1, 1]
    [cancelled] = events("ReservationCancelled")
    assert cancelled["reason"] == "Plans changed" and cancelled["total"]["currency"] == "EUR"


def test_expired_holds_release_capacity_and_are_marked_expired(app):
    fleet = make_type(units=1)
    customer = make_customer()
    short = BookingFacade(
        policy=BookingFacade().policy.__class__(
            timezone=BookingFacade().policy.timezone, hold_minutes=-1
        )
    )
    rid = short.create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            period(9, 17),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    booking = BookingFacade()
    # An expired hold no longer counts, even before the job has run.
    assert booking.check_availability(
        CheckAvailability(fleet.type_id, period(9, 17), 1)
    ).is_available
    assert booking.expire_stale_holds() == 1
    assert booking.get_reservation(rid).status is ReservationStatus.EXPIRED
    assert len(events("ReservationExpired")) == 1
    assert booking.expire_stale_holds() == 0


def test_confirming_after_the_hold_expired_rechecks_capacity(app):
    fleet = make_type(units=1)
    customer = make_customer()
    booking = BookingFacade()
    short = BookingFacade(
        policy=booking.policy.__class__(timezone=booking.policy.timezone, hold_minutes=-1)
    )
    stale = short.create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            period(9, 17),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    book(fleet, customer, period(9, 17))  # someone else took the unit meanwhile
    with pytest.raises(ConflictError, match="Your hold expired"):
        booking.confirm_reservation(stale)


def test_manage_link_needs_the_right_token(app):
    fleet = make_type(units=1)
    customer = make_customer()
    token = secrets.token_urlsafe(24)
    rid = BookingFacade().create_reservation(
        CreateReservation(customer, fleet.type_id, period(9, 17), 1, PricingBasis.HOURLY, token)
    )
    reference = BookingFacade().get_reservation(rid).reference
    assert BookingFacade().get_reservation_for_customer(reference, token).id == rid
    with pytest.raises(NotFoundError, match="not valid"):
        # Another last character (the token may itself end in "x").
        wrong = token[:-1] + ("y" if token.endswith("x") else "x")
        BookingFacade().get_reservation_for_customer(reference, wrong)


def test_list_reservations_filters_and_paginates(app):
    fleet = make_type(units=5)
    customer = make_customer()
    ids = [book(fleet, customer, period(9, 10, days=d)) for d in (1, 2, 3)]
    BookingFacade().confirm_reservation(ids[0])
    booking = BookingFacade()
    assert booking.list_reservations(ListReservations(status="CONFIRMED")).total == 1
    page = booking.list_reservations(ListReservations(customer_id=customer, page_size=2))
    assert (page.total, len(page.items), page.pages) == (3, 2, 2)
    assert booking.export_for_customer(customer)[0]["reference"].startswith("RK-")


def test_timeline_usage_profile_never_exceeds_capacity_after_bookings(app):
    fleet = make_type(units=2)
    customer = make_customer()
    book(fleet, customer, period(9, 12))
    book(fleet, customer, period(10, 14))
    window = TimeRange(tomorrow_at(0), tomorrow_at(0, days=2))
    points = BookingFacade().usage_profile(fleet.type_id, window)
    assert max(p.usage for p in points) == 2
    assert all(p.usage <= p.capacity for p in points)
    assert timedelta(0) == BookingFacade().turnaround(fleet.type_id)


def test_a_booking_too_large_to_record_is_refused_with_a_message(app):

    fleet = make_type(units=1, hourly="50000.00", daily="1000000.00", weekly=None)
    start = tomorrow_at(0)
    with pytest.raises(ValidationError, match="too large to take online"):
        BookingFacade().create_reservation(
            CreateReservation(
                make_customer(),
                fleet.type_id,
                TimeRange(start, start + timedelta(days=90)),
                999,
                PricingBasis.DAILY,
                secrets.token_urlsafe(24),
            )
        )
