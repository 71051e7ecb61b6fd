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
from rental.payments import Account, Method, PaymentsFacade, RecordPayment
from rental.shared.errors import DomainError
from rental.shared.outbox import OutboxProcessor

# (type slug, working days from today, start hour, hours, quantity, what becomes of it)
PLAN = [
    ("generator", 1, 8, 9, 2, "confirm"),
    ("generator", 3, 7, 10, 1, "confirm"),
    ("scissor-lift-8m", 2, 8, 8, 1, "confirm"),
    ("pressure-washer", 1, 9, 4, 1, "confirm"),
    ("concrete-mixer", 1, 7, 6, 1, "customer cancels"),  # inside the fee window: 25 %
    ("mini-excavator", 4, 7, 10, 1, "hold"),
    ("concrete-mixer", 2, 7, 6, 2, "staff cancel"),
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
    made: list[tuple[str, str]] = []
    for index, (slug, days, hour, hours, qty, fate) in enumerate(PLAN):
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
        made.append((rid, fate))
    for rid, fate in made:
        if fate in ("confirm", "customer cancels"):
            booking.confirm_reservation(rid)
        elif fate == "staff cancel":
            booking.cancel_reservation(rid, "Customer's job was postponed")


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
    ledger); then the first confirmed order is paid in full at the counter, the second in part
    by card, and the concrete-mixer booking is paid and then cancelled by its customer inside
    the fee window (the fee is charged, the rest is owed back). Idempotent: the demo is seeded
    once (an order with a payment is left alone)."""

    def deliver() -> None:
        processor = OutboxProcessor()
        while processor.drain_once().claimed:
            pass

    deliver()
    payments = PaymentsFacade()
    booking = BookingFacade()
    confirmed = booking.list_reservations(
        ListReservations(statuses=("CONFIRMED",), page_size=20)
    ).items
    mixer = _type_id("concrete-mixer")
    cancelled = [r for r in confirmed if r.equipment_type_id == mixer]
    orders = [r.order_id for r in confirmed if r.equipment_type_id != mixer]
    for order_id, share in zip(dict.fromkeys(orders), (Decimal(1), Decimal("0.5")), strict=False):
        _pay(payments, order_id, share)
    for line in cancelled:
        if _pay(payments, line.order_id, Decimal(1)):
            booking.cancel_by_customer(line.id, "Job finished early")
    deliver()


def _type_id(slug: str) -> str | None:
    types = CatalogFacade().search_equipment_types(SearchEquipmentTypes(page_size=100)).items
    return next((t.id for t in types if t.slug == slug), None)


def _pay(payments: PaymentsFacade, order_id: str, share: Decimal) -> bool:
    """Pay `share` of what the order's rental and deposit accounts are due (card when part);
    False when the order has no ledger or was paid already."""
    ledger = payments.get_ledger(order_id)
    if ledger is None or any(e.kind == "PAYMENT" for e in ledger.entries):
        return False
    for account in (Account.RENTAL, Account.DEPOSIT):
        amount = (ledger.accounts[account.value].balance.amount * share).quantize(Decimal("0.01"))
        if amount > 0:
            payments.record_payment(
                RecordPayment(
                    order_id=order_id,
                    amount=amount,
                    method=Method.CASH if share == 1 else Method.CARD_TERMINAL,
                    account=account,
                    actor="demo",
                )
            )
    return True
