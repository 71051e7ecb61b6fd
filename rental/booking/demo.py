"""Demo reservations so the staff pages and the timeline have something to show: a handful of
confirmed bookings over the next days, one pending hold and one cancelled booking."""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta

from flask import current_app

from rental.booking.application.commands import CreateReservation
from rental.booking.domain.models import BookingChannel, PricingBasis
from rental.booking.facade import BookingFacade
from rental.booking.infrastructure.repositories import ListReservations
from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.customers import CustomerFacade, SearchCustomers
from rental.shared.errors import DomainError

# (type slug, days from today, start hour, hours, quantity)
PLAN = [
    ("generator", 1, 8, 9, 2),
    ("generator", 3, 7, 10, 1),
    ("scissor-lift-8m", 2, 8, 8, 1),
    ("pressure-washer", 1, 9, 4, 1),
    ("mini-excavator", 4, 7, 10, 1),
    ("concrete-mixer", 2, 7, 6, 2),
]


def seed_reservations() -> None:
    booking = BookingFacade()
    if booking.list_reservations(ListReservations(page_size=1)).total:
        return  # idempotent: the demo is there already
    customers = [
        c
        for c in CustomerFacade().search_customers(SearchCustomers(page_size=20)).items
        if c.can_book
    ]
    if not customers:
        return
    catalog = CatalogFacade()
    slugs = {
        t.slug: t.id
        for t in catalog.search_equipment_types(SearchEquipmentTypes(page_size=100)).items
    }
    today = datetime.now(booking.policy.timezone).date()
    made: list[str] = []
    for index, (slug, days, hour, hours, qty) in enumerate(PLAN):
        type_id = slugs.get(slug)
        if type_id is None:
            continue
        start = datetime.combine(today + timedelta(days=days), time(hour), booking.policy.timezone)
        try:
            rid = booking.create_reservation(
                CreateReservation(
                    customers[index % len(customers)].id,
                    type_id,
                    _period(start, hours),
                    qty,
                    PricingBasis.HOURLY,
                    secrets.token_urlsafe(24),
                    channel=BookingChannel.STAFF,
                )
            )
        except DomainError as exc:  # e.g. a slug's minimum rental changed; skip that line
            current_app.logger.info("demo reservation %s skipped: %s", slug, exc.message)
            continue
        made.append(rid)
    for rid in made[:-2]:
        booking.confirm_reservation(rid)
    if len(made) >= 2:
        booking.cancel_reservation(made[-1], "Customer's job was postponed")


def _period(start: datetime, hours: int):
    from rental.shared.time_range import TimeRange

    return TimeRange(start, start + timedelta(hours=hours))
