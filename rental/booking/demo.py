"""Demo reservations so the staff pages and the timeline have something to show: a handful of
confirmed bookings over the next days, one pending hold and one cancelled booking."""

from __future__ import annotations

import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app

from rental.booking.application.commands import CreateReservation
from rental.booking.domain.models import BookingChannel, PricingBasis
from rental.booking.facade import BookingFacade
from rental.booking.infrastructure.repositories import ListReservations
from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.customers import CustomerFacade, SearchCustomers
from rental.shared.errors import DomainError

# (type slug, working days from today, start hour, hours, quantity)
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
        start = datetime.combine(_working_day(today, days), time(hour), booking.policy.timezone)
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


def _working_day(today: date, n: int) -> date:
    """The n-th weekday (Monday to Friday) after today: the demo shop's full days, so the demo
    bookings fit its opening hours whatever day it is loaded on."""
    day = today
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def _period(start: datetime, hours: int):
    from rental.shared.time_range import TimeRange

    return TimeRange(start, start + timedelta(hours=hours))


def seed_money() -> None:
    """The demo's money: Booking's events are delivered first (so each confirmed order has its
    ledger), then the first confirmed order is paid in full at the counter and the second one
    in part by card. Idempotent: an order with a payment is left alone."""
    from rental.payments import Account, Method, PaymentsFacade, RecordPayment
    from rental.shared.outbox import OutboxProcessor

    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass
    payments = PaymentsFacade()
    confirmed = BookingFacade().list_reservations(
        ListReservations(statuses=("CONFIRMED",), page_size=20)
    )
    orders = list(dict.fromkeys(r.order_id for r in confirmed.items))
    for order_id, share in zip(orders, (Decimal(1), Decimal("0.5")), strict=False):
        ledger = payments.get_ledger(order_id)
        if ledger is None or any(e.kind == "PAYMENT" for e in ledger.entries):
            continue
        for account, method in ((Account.RENTAL, Method.CASH), (Account.DEPOSIT, Method.CASH)):
            due = ledger.accounts[account.value].balance.amount
            amount = (due * share).quantize(Decimal("0.01"))
            if amount <= 0:
                continue
            payments.record_payment(
                RecordPayment(
                    order_id=order_id,
                    amount=amount,
                    method=method if share == 1 else Method.CARD_TERMINAL,
                    account=account,
                    actor="demo",
                )
            )
