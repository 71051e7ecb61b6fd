"""Demo reservations so the staff pages and the timeline have something to show: a handful of
confirmed bookings over the next days, one pending hold and one cancelled booking."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask import current_app

from rental.booking.application.commands import CreateReservation
from rental.booking.domain.models import BookingChannel, PricingBasis
from rental.booking.facade import BookingFacade
from rental.booking.infrastructure.repositories import ListReservations
from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.customers import CustomerFacade, SearchCustomers
from rental.inventory import InventoryFacade
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
    if not booking.list_reservations(ListReservations(overdue=True, page_size=1)).total:
        _seed_overdue_hire(payments, deliver)


def _seed_overdue_hire(payments: PaymentsFacade, deliver: Callable[[], None]) -> None:
    """A plate compactor hired on the last working day, handed over with its deposit paid in
    cash, and not back: the overdue job notices it (the dashboard's "Overdue now"). Booking and
    Inventory are run on that day's clock for the booking and the hand-over."""
    extensions = current_app.extensions
    booking = BookingFacade()
    tz = booking.policy.timezone
    day = _last_working_day(datetime.now(tz).date())
    type_id = _type_id("plate-compactor")
    customers = [
        c
        for c in CustomerFacade().search_customers(SearchCustomers(page_size=20)).items
        if c.can_book
    ]
    if type_id is None or not customers:
        return
    start = datetime.combine(day, time(8), tz)
    try:
        for moment in (start - timedelta(hours=1), start + timedelta(minutes=5)):
            extensions["booking.clock"] = extensions["inventory.clock"] = lambda m=moment: m
            booking = BookingFacade()
            if moment < start:
                rid = booking.create_reservation(
                    CreateReservation(
                        customers[-1].id,
                        type_id,
                        _period(start, 9),
                        1,
                        PricingBasis.HOURLY,
                        secrets.token_urlsafe(24),
                        channel=BookingChannel.STAFF,
                    )
                )
                booking.confirm_reservation(rid)
                deliver()
                _pay(payments, booking.get_reservation(rid).order_id, Decimal(1))
            else:
                booking.hand_over(rid, "demo")
                deliver()
    except DomainError as exc:
        current_app.logger.info("demo overdue hire skipped: %s", exc.message)
        return
    finally:
        extensions.pop("booking.clock", None)
        extensions.pop("inventory.clock", None)
    InventoryFacade().notice_overdue_returns()
    deliver()


def _last_working_day(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


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
