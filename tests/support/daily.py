"""Whole-day bookings for tests that ask about dates (the dated catalog, kits): the business
time zone's tomorrow, a period of whole days, and a booking of it."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer


def tomorrow() -> date:
    booking = BookingFacade()
    return booking.now().astimezone(booking.policy.timezone).date() + timedelta(days=1)


def days(first: date, last: date) -> TimeRange:
    return BookingFacade().policy.daily_period(first, last)


def book(type_id: str, period: TimeRange, quantity: int = 1) -> None:
    BookingFacade().create_reservation(
        CreateReservation(
            make_customer(),
            type_id,
            period,
            quantity,
            PricingBasis.DAILY,
            secrets.token_urlsafe(24),
        )
    )
