"""CRM's projections on SQLite and PostgreSQL, each from its events through the real outbox
drain: rental history per line, loyalty from completed lines (taken back by a cancellation
after), lifetime value from payments − refunds (reversals undone); redelivery changes nothing,
an older event of a line after a newer is ignored, an unknown customer gets the rows it
needs; the high-value list's order and tier filter."""

from __future__ import annotations

import secrets
import threading
import uuid
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.contracts.booking import (
    ReservationCancelled,
    ReservationChanged,
    ReservationCompleted,
    ReservationConfirmed,
)
from rental.contracts.payments import EntryReversed, PaymentReceived, RefundIssued
from rental.crm import CRMFacade, Tier
from rental.crm.infrastructure.entities import (
    CLVEntity,
    LoyaltyEntity,
    RentalHistoryEntity,
)
from rental.extensions import db
from rental.payments import (
    Account,
    IssueRefund,
    Method,
    PaymentsFacade,
    RecordPayment,
    ReverseEntry,
)
from rental.shared import outbox
from rental.shared.db import unit_of_work
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.outbox import OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.locks import wait_until_blocked

PERIOD = TimeRange(tomorrow_at(9), tomorrow_at(13))


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def emit(*events) -> None:
    with unit_of_work():
        for event in events:
            outbox.record(event)
    drain()


def redeliver(forget_inbox: bool = False) -> None:
    """Every message handled again; `forget_inbox`: as if CRM's inbox rows were lost too."""
    if forget_inbox:
        db.session.execute(text("DELETE FROM outbox_inbox WHERE handler LIKE 'crm.%'"))
    db.session.execute(
        text("UPDATE outbox_messages SET processed_at = NULL, available_at = occurred_at")
    )
    db.session.commit()
    drain()


def line_event(cls, customer_id: str, *, sequence: int, total: str = "80.00", **kw):
    fields = dict(
        reservation_id=kw.pop("reservation_id", "line-1"),
        reference="R-0001",
        customer_id=customer_id,
        equipment_type_id=kw.pop("equipment_type_id", "type-unknown"),
        period=kw.pop("period", PERIOD),
        quantity=1,
        total=Money(Decimal(total), "EUR"),
        sequence=sequence,
        order_id="order-1",
        order_reference="O-0001",
    )
    if cls is ReservationCancelled:
        fields["reason"] = "changed plans"
    if cls is ReservationChanged:
        fields["previous_equipment_type_id"] = fields["equipment_type_id"]
    return cls(**fields, **kw)


def ledger_event(cls, customer_id: str, amount: str, entry_id: str, **kw):
    fields = dict(
        order_id="order-1",
        order_reference="O-0001",
        customer_id=customer_id,
        entry_id=entry_id,
        account="rental",
        category="rental",
        amount=Money(Decimal(amount), "EUR"),
        balance=Money(Decimal(0), "EUR"),
        actor="staff@example.com",
    )
    if cls in (PaymentReceived, RefundIssued):
        fields["method"] = "cash"
    return cls(**fields, **kw)


def history(customer_id: str):
    page = CRMFacade().get_customer_rental_history(customer_id)
    db.session.rollback()
    return page


def loyalty(customer_id: str):
    view = CRMFacade().get_customer_loyalty_status(customer_id)
    db.session.rollback()
    return view


def clv(customer_id: str):
    value = CRMFacade().get_customer_lifetime_value(customer_id)
    db.session.rollback()
    return value


def crm_rows() -> tuple[int, ...]:
    counts = tuple(
        db.session.scalar(select(func.count()).select_from(e))
        for e in (RentalHistoryEntity, LoyaltyEntity, CLVEntity)
    )
    db.session.rollback()
    return counts


def snapshot(customer_id: str):
    return history(customer_id), loyalty(customer_id), clv(customer_id), crm_rows()


# --- through Booking and Payments themselves -----------------------------------------------


def test_a_confirmed_booking_and_its_payments_reach_history_and_lifetime_value(app):
    fleet = make_type(hourly="20.00", deposit=None, name="Light tower")
    customer = make_customer()
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer,
            fleet.type_id,
            PERIOD,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    drain()
    reservation = booking.get_reservation(rid)
    order_id = reservation.order_id or reservation.id
    db.session.rollback()

    page = history(customer)
    assert page.total == 1
    item = page.items[0]
    assert item.line_id == rid and item.order_id == order_id
    assert item.equipment_name.startswith("Light tower")
    assert (item.status, item.duration_minutes) == ("confirmed", 240)
    assert item.amount.amount == Decimal("80")
    assert item.period == PERIOD

    payments = PaymentsFacade()
    paid = payments.record_payment(
        RecordPayment(order_id, Decimal("80"), Method.CASH, Account.RENTAL, "staff@example.com")
    )
    refund = payments.issue_refund(
        IssueRefund(order_id, Decimal("15"), Method.CASH, Account.RENTAL, "staff", reason="x")
    )
    drain()
    assert clv(customer) == Money(Decimal("65"), "EUR")
    payments.reverse_entry(ReverseEntry(order_id, refund, "typo", "staff", frozenset({"reverse"})))
    drain()
    assert clv(customer) == Money(Decimal("80"), "EUR")
    payments.reverse_entry(ReverseEntry(order_id, paid, "typo", "staff", frozenset({"reverse"})))
    drain()
    assert clv(customer) == Money(Decimal("0"), "EUR")

    booking.cancel_reservation(rid, "customer called")
    drain()
    assert history(customer).items[0].status == "cancelled"
    before = snapshot(customer)
    redeliver()
    assert snapshot(customer) == before


# --- from the events, through the outbox ---------------------------------------------------


def test_history_follows_a_line_by_sequence_and_ignores_older_events(app):
    fleet = make_type(name="Excavator")
    customer = make_customer()
    emit(line_event(ReservationConfirmed, customer, sequence=2, equipment_type_id=fleet.type_id))
    row = history(customer).items[0]
    assert (row.status, row.order_reference, row.reference) == ("confirmed", "O-0001", "R-0001")
    assert row.equipment_name.startswith("Excavator")

    longer = TimeRange(PERIOD.start, PERIOD.end + timedelta(hours=2))
    emit(
        line_event(
            ReservationChanged, customer, sequence=3, total="120.00", period=longer,
            equipment_type_id=fleet.type_id,
        )
    )  # fmt: skip
    row = history(customer).items[0]
    assert (row.status, row.amount.amount, row.duration_minutes) == ("changed", Decimal(120), 360)

    # Older ones arriving late change nothing: a confirmation (2) and a change (3) again.
    emit(
        line_event(ReservationConfirmed, customer, sequence=2, equipment_type_id=fleet.type_id),
        line_event(ReservationChanged, customer, sequence=1, total="1.00"),
    )
    assert history(customer).items[0] == row

    # A changed hold (PENDING) is nothing booked: ignored.
    emit(line_event(ReservationChanged, customer, sequence=9, total="5.00", status="PENDING"))
    assert history(customer).items[0] == row


def test_completion_earns_points_and_a_later_cancellation_takes_them_back(app):
    customer = make_customer()
    emit(
        line_event(ReservationConfirmed, customer, sequence=1, total="1234.56"),
        line_event(ReservationCompleted, customer, sequence=3, total="1234.56"),
    )
    status = loyalty(customer)
    assert (status.tier, status.points) == (Tier.SILVER, 123)  # Silver: 101–500
    assert status.expires_at is not None
    assert history(customer).items[0].status == "completed"

    before = snapshot(customer)
    redeliver()
    assert snapshot(customer) == before
    redeliver(forget_inbox=True)  # even without the inbox, the sequence stops a second award
    assert snapshot(customer)[:2] == before[:2]

    # An older cancellation (sequence 2) after the completion (3): ignored.
    emit(line_event(ReservationCancelled, customer, sequence=2))
    assert loyalty(customer).points == 123

    emit(line_event(ReservationCancelled, customer, sequence=4, total="1234.56"))
    status = loyalty(customer)
    assert (status.tier, status.points, status.expires_at) == (Tier.BRONZE, 0, None)
    assert history(customer).items[0].status == "cancelled"
    emit(line_event(ReservationCancelled, customer, sequence=5))  # again: nothing below 0
    assert loyalty(customer).points == 0


def test_points_add_up_over_lines_and_never_go_below_zero(app):
    customer = make_customer()
    for n, total in enumerate(["3000", "2100.99"], start=1):
        emit(line_event(ReservationCompleted, customer, sequence=2, total=total,
                        reservation_id=f"line-{n}"))  # fmt: skip
    assert (loyalty(customer).points, loyalty(customer).tier) == (510, Tier.GOLD)
    emit(line_event(ReservationCancelled, customer, sequence=3, reservation_id="line-1"))
    assert (loyalty(customer).points, loyalty(customer).tier) == (210, Tier.SILVER)


def test_an_unknown_customer_gets_the_rows_it_needs(app):
    stranger = str(uuid.uuid4())
    assert loyalty(stranger).tier == Tier.BRONZE and loyalty(stranger).points == 0
    assert history(stranger).total == 0 and clv(stranger) is None
    emit(
        line_event(ReservationCancelled, stranger, sequence=1, reservation_id="line-x"),
        line_event(ReservationCompleted, stranger, sequence=1, reservation_id="line-y"),
        ledger_event(EntryReversed, stranger, "30", "e-2", reversed_entry_id="e-1",
                     reversed_kind="PAYMENT"),
        ledger_event(RefundIssued, stranger, "5", "e-3"),
    )  # fmt: skip
    assert history(stranger).total == 2
    assert loyalty(stranger).points == 8
    assert clv(stranger) == Money(Decimal("-35"), "EUR")


def test_lifetime_value_is_payments_minus_refunds_with_reversals_undone(app):
    customer = make_customer()
    emit(
        ledger_event(PaymentReceived, customer, "100.50", "p-1"),
        ledger_event(PaymentReceived, customer, "40", "p-2"),
        ledger_event(RefundIssued, customer, "20", "r-1"),
        ledger_event(EntryReversed, customer, "20", "x-1", reversed_entry_id="r-1",
                     reversed_kind="REFUND"),
        ledger_event(EntryReversed, customer, "40", "x-2", reversed_entry_id="p-2",
                     reversed_kind="PAYMENT"),
        ledger_event(EntryReversed, customer, "99", "x-3", reversed_entry_id="c-1",
                     reversed_kind="CHARGE"),
    )  # fmt: skip
    assert clv(customer) == Money(Decimal("100.50"), "EUR")
    before = snapshot(customer)
    redeliver()
    assert snapshot(customer) == before


def test_high_value_customers_by_lifetime_value_and_tier(app):
    a, b, c, d = (make_customer() for _ in range(4))
    emit(
        ledger_event(PaymentReceived, a, "300", "a-1"),
        ledger_event(PaymentReceived, b, "900", "b-1"),
        ledger_event(PaymentReceived, c, "50", "c-1"),
        ledger_event(PaymentReceived, d, "600", "d-1"),
        line_event(ReservationCompleted, b, sequence=1, total="6000", reservation_id="l-b"),
        line_event(ReservationCompleted, a, sequence=1, total="2000", reservation_id="l-a"),
        line_event(ReservationCompleted, d, sequence=1, total="1500", reservation_id="l-d"),
    )
    crm = CRMFacade()
    everyone = crm.get_high_value_customers(limit=10)
    assert [h.customer_id for h in everyone.items] == [b, d, a, c]
    assert everyone.total == 4
    assert everyone.items[0].lifetime_value == Money(Decimal(900), "EUR")
    assert [h.tier for h in everyone.items] == [Tier.GOLD, Tier.SILVER, Tier.SILVER, Tier.BRONZE]
    first, second = crm.get_high_value_customers(limit=2), crm.get_high_value_customers(2, 2)
    assert [h.customer_id for h in first.items + second.items] == [b, d, a, c]
    assert [h.customer_id for h in crm.get_high_value_customers(tier=Tier.SILVER).items] == [d, a]
    assert [h.customer_id for h in crm.get_high_value_customers(tier=Tier.BRONZE).items] == [c]
    assert [h.customer_id for h in crm.get_high_value_customers(tier=Tier.GOLD).items] == [b]
    assert [h.customer_id for h in crm.get_high_value_customers(tier="silver").items] == [d, a]
    with pytest.raises(ValidationError):
        crm.get_high_value_customers(tier="platinum")
    db.session.rollback()


def test_history_is_paginated_latest_first(app):
    customer = make_customer()
    emit(
        *(
            line_event(
                ReservationConfirmed, customer, sequence=1, reservation_id=f"line-{n}",
                period=TimeRange(PERIOD.start + timedelta(days=n), PERIOD.end + timedelta(days=n)),
            )
            for n in range(5)
        )
    )  # fmt: skip
    crm = CRMFacade()
    first = crm.get_customer_rental_history(customer, 1, 2)
    last = crm.get_customer_rental_history(customer, 3, 2)
    assert first.total == 5 and first.pages == 3
    assert [i.line_id for i in first.items] == ["line-4", "line-3"]
    assert [i.line_id for i in last.items] == ["line-0"]
    assert crm.get_customer_rental_history(customer, 0, 2).page == 1  # a bad page: the first
    db.session.rollback()


def test_a_line_moved_to_another_type_takes_its_name(app):
    one, two = make_type(name="Mixer"), make_type(name="Compactor")
    customer = make_customer()
    emit(line_event(ReservationConfirmed, customer, sequence=1, equipment_type_id=one.type_id))
    moved = line_event(ReservationChanged, customer, sequence=2, equipment_type_id=two.type_id)
    emit(replace(moved, previous_equipment_type_id=one.type_id))
    assert history(customer).items[0].equipment_name.startswith("Compactor")


def test_the_customer_page_shows_tier_points_lifetime_value_and_last_rentals(app, staff_client):
    fleet = make_type(name="Scissor lift")
    customer = make_customer()
    emit(
        line_event(ReservationCompleted, customer, sequence=2, total="5500",
                   equipment_type_id=fleet.type_id),
        ledger_event(PaymentReceived, customer, "5500", "p-1"),
    )  # fmt: skip
    body = staff_client.get(f"/admin/customers/{customer}").get_data(as_text=True)
    assert 'id="crm-tier">Gold<' in body
    assert 'id="crm-points">550<' in body
    assert "5,500.00" in body or "5.500,00" in body or "5500.00" in body
    assert "Scissor lift" in body and "O-0001" in body and "completed" in body


def test_two_completions_of_one_customer_at_once_take_turns_on_postgresql(app, backend):
    """A completion handled while another transaction holds the customer's loyalty row (a
    second worker's completion in flight) waits for it and adds to what that one wrote."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    customer = make_customer()
    emit(line_event(ReservationCompleted, customer, sequence=1, total="1000", reservation_id="a"))
    assert loyalty(customer).points == 100
    with unit_of_work():
        outbox.record(
            line_event(ReservationCompleted, customer, sequence=1, total="50", reservation_id="b")
        )
    holder = db.engine.connect()
    transaction = holder.begin()
    holder.execute(
        text("SELECT * FROM crm_loyalty WHERE customer_id = :c FOR UPDATE"), {"c": customer}
    )
    errors: list[BaseException] = []

    def worker() -> None:
        with app.app_context():
            try:
                drain()
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)
            finally:
                db.session.remove()

    thread = threading.Thread(target=worker, daemon=True)
    thread.start()
    # Wait until the worker is blocked on the row lock (asked of the server, not guessed).
    waiting = wait_until_blocked(db.engine, query_like="crm_loyalty", thread=thread)
    assert waiting and thread.is_alive(), "the second completion must wait for the loyalty row"
    holder.execute(
        text("UPDATE crm_loyalty SET points = points + 20 WHERE customer_id = :c"), {"c": customer}
    )
    transaction.commit()
    holder.close()
    thread.join(20)
    assert not thread.is_alive() and not errors
    status = loyalty(customer)
    assert (status.points, status.tier) == (125, Tier.SILVER)
