"""Demo reservations so the staff pages and the timeline have something to show: a handful of
confirmed bookings over the next days, one pending hold and one cancelled booking."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta, tzinfo
from decimal import Decimal

from flask import current_app

from rental.booking.application.commands import CreateReservation
from rental.booking.domain.models import BookingChannel, PricingBasis
from rental.booking.facade import BookingFacade
from rental.booking.infrastructure.repositories import ListReservations
from rental.catalog import CatalogFacade, SearchEquipmentTypes
from rental.customers import CustomerDetails, CustomerFacade, SearchCustomers
from rental.inventory import InventoryFacade
from rental.payments import Account, Method, PaymentsFacade, RecordPayment, ReleaseDeposit
from rental.shared.errors import DomainError
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange

# The clocks a past hire runs on (the app's extensions Booking, Inventory and Payments read).
CLOCKS = ("booking.clock", "inventory.clock", "payments.clock")

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


def _period(start: datetime, hours: int) -> TimeRange:
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
        _seed_history(deliver)
        _seed_overdue_hire(deliver)


@contextmanager
def _clocks_at(moment: datetime) -> Iterator[BookingFacade]:
    """Booking, Inventory and Payments decide at `moment` (the demo's past hires): a
    BookingFacade on that clock."""
    extensions = current_app.extensions
    for key in CLOCKS:
        extensions[key] = lambda m=moment: m
    try:
        yield BookingFacade()
    finally:
        for key in CLOCKS:
            extensions.pop(key, None)


def _past_hire(
    deliver: Callable[[], None],
    customer_id: str,
    type_id: str,
    period: TimeRange,
    basis: PricingBasis,
    *,
    quantity: int = 1,
    method: Method = Method.CASH,
    back: bool = True,
) -> str:
    """One hire as it happened: booked the day before, paid (rental and deposit) and handed
    over at the start, and — when `back` — returned an hour before the end with the deposit
    released in full, each step on its own moment's clock."""
    payments = PaymentsFacade()
    with _clocks_at(period.start - timedelta(days=1)) as booking:
        rid = booking.create_reservation(
            CreateReservation(
                customer_id,
                type_id,
                period,
                quantity,
                basis,
                secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
        booking.confirm_reservation(rid)
        deliver()
    order_id = booking.get_reservation(rid).order_id
    with _clocks_at(period.start + timedelta(minutes=5)) as booking:
        _pay(payments, order_id, Decimal(1), method)
        booking.hand_over(rid, "demo")
        deliver()
    if back:
        with _clocks_at(period.end - timedelta(hours=1)) as booking:
            booking.take_back(rid, {}, "demo")
            payments.release_deposit(ReleaseDeposit(order_id, Decimal(0), method, "demo"))
            deliver()
    return rid


def _seed_overdue_hire(deliver: Callable[[], None]) -> None:
    """A plate compactor hired on the last working day, handed over with its deposit paid in
    cash, and not back: the overdue job notices it (the dashboard's "Overdue now")."""
    tz = BookingFacade().policy.timezone
    type_id = _type_id("plate-compactor")
    customers = _customers()
    if type_id is None or not customers:
        return
    start = datetime.combine(_last_working_day(datetime.now(tz).date()), time(8), tz)
    try:
        _past_hire(
            deliver, customers[-1].id, type_id, _period(start, 9), PricingBasis.HOURLY, back=False
        )
    except DomainError as exc:
        current_app.logger.info("demo overdue hire skipped: %s", exc.message)
        return
    InventoryFacade().notice_overdue_returns()
    deliver()


# (type slug, basis, length, quantity) of the past month's everyday hires, in turn.
EVERYDAY = [
    ("generator", PricingBasis.HOURLY, 8, 1),
    ("pressure-washer", PricingBasis.HOURLY, 4, 1),
    ("scissor-lift-8m", PricingBasis.DAILY, 1, 1),
    ("concrete-mixer", PricingBasis.HOURLY, 6, 1),
    ("mini-excavator", PricingBasis.DAILY, 2, 1),
]
METHODS = (Method.CASH, Method.CARD_TERMINAL, Method.BANK_TRANSFER, Method.CARD_TERMINAL)


def _seed_history(deliver: Callable[[], None]) -> None:
    """The month behind the demo: an everyday hire on each of the last 22 working days (the
    dashboard's revenue and the cash-up have something to show), and the loyal customers —
    the first with four weeks of two mini excavators (Gold), the second with two (Silver)."""
    customers = _customers()
    tz = BookingFacade().policy.timezone
    today = datetime.now(tz).date()
    if not customers:
        return
    day = today
    for n in range(22):
        day = _last_working_day(day)
        slug, basis, length, quantity = EVERYDAY[n % len(EVERYDAY)]
        type_id = _type_id(slug)
        if type_id is None or day == _last_working_day(today):
            continue  # the overdue hire's day keeps its plate compactor to itself
        if basis is PricingBasis.DAILY:
            period = _whole_days(day, length, tz)
        else:
            period = _period(datetime.combine(day, time(8), tz), length)
        customer = customers[n % len(customers)].id
        _try_hire(deliver, customer, type_id, period, basis, quantity, METHODS[n % len(METHODS)])
    excavator = _type_id("mini-excavator")
    if excavator is None:
        return
    monday = today - timedelta(days=today.weekday())
    loyal = ((customers[0], (12, 10, 8, 6)), (customers[1 % len(customers)], (11, 9)))
    for customer, weeks in loyal:
        for back in weeks:
            first = monday - timedelta(weeks=back)
            _try_hire(
                deliver,
                customer.id,
                excavator,
                _whole_days(first, 7, tz),
                PricingBasis.DAILY,
                2,
                Method.BANK_TRANSFER,
            )


def _whole_days(first: date, days: int, tz: tzinfo) -> TimeRange:
    return TimeRange(
        datetime.combine(first, time(0), tz),
        datetime.combine(first + timedelta(days=days), time(0), tz),
    )


def _try_hire(
    deliver: Callable[[], None],
    customer_id: str,
    type_id: str,
    period: TimeRange,
    basis: PricingBasis,
    quantity: int,
    method: Method,
) -> None:
    try:
        _past_hire(deliver, customer_id, type_id, period, basis, quantity=quantity, method=method)
    except DomainError as exc:
        current_app.logger.info("demo past hire skipped: %s", exc.message)


def _customers() -> list[CustomerDetails]:
    return [
        c
        for c in CustomerFacade().search_customers(SearchCustomers(page_size=20)).items
        if c.can_book
    ]


def _last_working_day(today: date) -> date:
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _type_id(slug: str) -> str | None:
    types = CatalogFacade().search_equipment_types(SearchEquipmentTypes(page_size=100)).items
    return next((t.id for t in types if t.slug == slug), None)


def _pay(
    payments: PaymentsFacade, order_id: str, share: Decimal, method: Method | None = None
) -> bool:
    """Pay `share` of what the order's rental and deposit accounts are due (by `method`, else
    cash in full and card in part); False when the order has no ledger or was paid already."""
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
                    method=method or (Method.CASH if share == 1 else Method.CARD_TERMINAL),
                    account=account,
                    actor="demo",
                )
            )
    return True
