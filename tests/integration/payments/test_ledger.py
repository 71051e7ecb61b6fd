"""The ledger per order on SQLite and PostgreSQL: charges from Booking's events through the
outbox, staff's payments, refunds, charges and reversals with their events in the same
transaction, two staff recording at once, and bad input through the staff forms."""

from __future__ import annotations

import secrets
import threading
import time
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    CreateReservation,
    PricingBasis,
)
from rental.extensions import db
from rental.payments import (
    Account,
    AddCharge,
    Category,
    IssueRefund,
    Method,
    PaymentsFacade,
    RecordPayment,
    ReverseEntry,
)
from rental.payments.infrastructure.entities import EntryEntity
from rental.shared.errors import ConflictError, NeedsConfirmation, NotFoundError, ValidationError
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def book(type_id: str, hours: tuple[int, int] = (9, 13), *, confirm: bool = True) -> str:
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            type_id,
            TimeRange(tomorrow_at(hours[0]), tomorrow_at(hours[1])),
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
    return rid


def order_of(rid: str) -> str:
    reservation = BookingFacade().get_reservation(rid)
    db.session.rollback()
    return reservation.order_id or reservation.id


def ledger(order_id: str):
    view = PaymentsFacade().get_ledger(order_id)
    db.session.rollback()
    return view


def confirmed_order(amount_hours: tuple[int, int] = (9, 13)) -> tuple[str, str]:
    """A confirmed booking of 4 hours at €20 (= €80.00), its charge drained into the ledger."""
    rid = book(make_type(hourly="20.00", deposit=None).type_id, amount_hours)
    drain()
    return rid, order_of(rid)


def outbox_types() -> list[str]:
    rows = db.session.scalars(
        select(OutboxMessageEntity.event_type).order_by(OutboxMessageEntity.id)
    ).all()
    db.session.rollback()
    return list(rows)


def entry_count() -> int:
    count = db.session.scalar(select(func.count()).select_from(EntryEntity))
    db.session.rollback()
    return count


def pay(order_id: str, amount: str, **kw) -> str:
    return PaymentsFacade().record_payment(
        RecordPayment(
            order_id=order_id,
            amount=Decimal(amount),
            method=kw.pop("method", Method.CASH),
            account=kw.pop("account", Account.RENTAL),
            actor="staff@example.com",
            **kw,
        )
    )


# --- from Booking's events --------------------------------------------------------------------


def test_no_ledger_before_confirmation(app):
    rid = book(make_type().type_id, confirm=False)
    drain()
    assert ledger(order_of(rid)) is None
    with pytest.raises(NotFoundError):
        pay(order_of(rid), "10")


def test_a_confirmed_line_is_charged_once_and_a_redelivery_changes_nothing(app):
    rid, order_id = confirmed_order()
    view = ledger(order_id)
    assert view.currency == "EUR"
    [entry] = view.entries
    assert (entry.kind, entry.category, entry.line_id) == ("CHARGE", "rental", rid)
    assert view.balance.amount == Decimal("80")
    assert "ChargeAdded" in outbox_types()
    # The same confirmation once more (a redelivery under another inbox name, or a
    # second confirmation): the line keeps one charge.
    db.session.execute(text("DELETE FROM outbox_inbox WHERE handler LIKE 'payments.%'"))
    db.session.execute(
        text("UPDATE outbox_messages SET processed_at = NULL, available_at = occurred_at")
    )
    db.session.commit()
    drain()
    assert len(ledger(order_id).entries) == 1


def test_a_changed_line_is_adjusted_and_a_cancelled_line_reversed(app):
    rid, order_id = confirmed_order()
    booking = BookingFacade()
    booking.change_reservation(
        ChangeReservation(rid, TimeRange(tomorrow_at(9), tomorrow_at(15)), 1)
    )  # 6 h: €120
    drain()
    view = ledger(order_id)
    assert view.balance.amount == Decimal("120")
    assert view.entries[-1].category == "adjustment"
    booking.change_reservation(
        ChangeReservation(rid, TimeRange(tomorrow_at(9), tomorrow_at(11)), 1)
    )  # 2 h: €40
    drain()
    assert ledger(order_id).balance.amount == Decimal("40")
    booking.cancel_reservation(rid, "customer called")
    drain()
    view = ledger(order_id)
    assert view.balance.amount == 0
    assert all(e.reversed_by or e.reverses for e in view.entries)


# --- staff's commands -------------------------------------------------------------------------


def test_payment_refund_charge_and_reversal_with_their_events(app):
    _, order_id = confirmed_order()
    before = len(outbox_types())
    payment = pay(order_id, "50", seen_balance=Decimal("80"))
    facade = PaymentsFacade()
    facade.issue_refund(
        IssueRefund(order_id, Decimal("10"), Method.CASH, Account.RENTAL, "staff", reason="x")
    )
    damage = facade.add_charge(
        AddCharge(order_id, Decimal("25.50"), Category.DAMAGE, Account.RENTAL, "scratch", "s")
    )
    with pytest.raises(NeedsConfirmation):
        facade.reverse_entry(ReverseEntry(order_id, damage, "typo", "staff"))
    facade.reverse_entry(ReverseEntry(order_id, damage, "typo", "staff", frozenset({"reverse"})))
    with pytest.raises(ConflictError, match="already been reversed"):
        facade.reverse_entry(
            ReverseEntry(order_id, damage, "typo", "staff", frozenset({"reverse"}))
        )
    assert outbox_types()[before:] == [
        "PaymentReceived",
        "RefundIssued",
        "ChargeAdded",
        "EntryReversed",
    ]
    view = ledger(order_id)
    assert view.balance.amount == Decimal("40")  # 80 − 50 + 10 (+25.50 − 25.50)
    assert view.accounts["rental"].paid.amount == Decimal("50")
    assert payment in {e.id for e in view.entries}


def test_refused_commands_write_nothing(app):
    _, order_id = confirmed_order()
    entries, messages = entry_count(), len(outbox_types())
    with pytest.raises(ConflictError, match=r"now €80\.00"):
        pay(order_id, "10", seen_balance=Decimal("70"))
    with pytest.raises(NeedsConfirmation):
        pay(order_id, "80.01")
    with pytest.raises(ValidationError):
        PaymentsFacade().issue_refund(
            IssueRefund(order_id, Decimal("1"), Method.CASH, Account.RENTAL, "staff")
        )
    with pytest.raises(ValidationError):
        pay(order_id, "1.234")
    assert (entry_count(), len(outbox_types())) == (entries, messages)
    pay(order_id, "100", confirmed=frozenset({"more_than_due"}))
    assert ledger(order_id).balance.amount == Decimal("-20")


def test_two_staff_recording_at_once_take_turns_and_the_second_sees_the_new_balance(app, backend):
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    _, order_id = confirmed_order()
    # A second session holds the ledger row, as a first staff member's payment in flight.
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(
        text("SELECT * FROM payments_ledgers WHERE order_id = :id FOR UPDATE"), {"id": order_id}
    )
    outcome: dict[str, str] = {}

    def second() -> None:
        with app.app_context():
            try:
                pay(order_id, "30", seen_balance=Decimal("80"))
                outcome["result"] = "ok"
            except ConflictError as exc:
                outcome["result"] = exc.message
            finally:
                db.session.remove()

    thread = threading.Thread(target=second, daemon=True)
    thread.start()
    time.sleep(0.5)
    assert thread.is_alive(), "the second payment must wait for the ledger row"
    # The first staff member's payment lands while the second waits.
    connection.execute(
        text(
            "INSERT INTO payments_entries (id, order_id, position, kind, account, category, "
            "amount, currency, method, reference, reason, actor, recorded_at) VALUES "
            "('first', :id, 1, 'PAYMENT', 'rental', 'rental', 30, 'EUR', 'cash', '', '', "
            "'first@example.com', now())"
        ),
        {"id": order_id},
    )
    connection.execute(
        text("UPDATE payments_ledgers SET version = version + 1 WHERE order_id = :id"),
        {"id": order_id},
    )
    transaction.commit()
    connection.close()
    thread.join(10)
    assert "now €50.00" in outcome["result"]
    view = ledger(order_id)
    assert [e.actor for e in view.entries if e.kind == "PAYMENT"] == ["first@example.com"]


# --- the staff forms --------------------------------------------------------------------------


def test_the_money_panel_and_its_forms(admin_client):
    rid, order_id = confirmed_order()
    page = admin_client.get(f"/admin/reservations/{rid}")
    assert page.status_code == 200
    assert 'id="money"' in page.text and "€80.00" in page.text
    token = csrf_token(admin_client, f"/admin/reservations/{rid}")
    base = f"/admin/payments/orders/{order_id}"
    response = admin_client.post(
        f"{base}/payments",
        data={
            "csrf_token": token,
            "amount": "30",
            "method": "cash",
            "account": "rental",
            "seen_balance_rental": "80.0000",
            "back": rid,
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/reservations/{rid}")
    assert ledger(order_id).balance.amount == Decimal("50")
    # A reversal asks first, then goes ahead.
    payment = next(e for e in ledger(order_id).entries if e.kind == "PAYMENT")
    asked = admin_client.post(
        f"{base}/entries/{payment.id}/reverse",
        data={"csrf_token": token, "reason": "wrong order", "back": rid},
    )
    assert asked.status_code == 409 and "Reverse it" in asked.text
    done = admin_client.post(
        f"{base}/entries/{payment.id}/reverse",
        data={"csrf_token": token, "reason": "wrong order", "back": rid, "confirm": "reverse"},
    )
    assert done.status_code == 303
    assert ledger(order_id).balance.amount == Decimal("80")
    twice = admin_client.post(
        f"{base}/entries/{payment.id}/reverse",
        data={"csrf_token": token, "reason": "again", "back": rid, "confirm": "reverse"},
    )
    assert twice.status_code == 409 and "already been reversed" in twice.text


@pytest.mark.parametrize(
    ("path", "fields", "status", "message"),
    [
        ("payments", {"amount": "abc"}, 422, "as a number"),
        ("payments", {"amount": "-5"}, 422, "more than zero"),
        ("payments", {"amount": "0"}, 422, "more than zero"),
        ("payments", {"amount": "1.234"}, 422, "at most 2 decimals"),
        ("payments", {"amount": "99999999999"}, 422, "between"),
        ("payments", {"amount": "1e9"}, 422, "as a number"),
        ("payments", {"amount": "$12.50"}, 422, "enter the amount in EUR, not in USD"),
        ("payments", {"amount": "12.50 GBP"}, 422, "not in GBP"),
        ("payments", {"amount": ""}, 422, "Give the amount"),
        ("payments", {"amount": "5", "method": "bitcoin"}, 422, "method"),
        ("payments", {"amount": "5", "account": "savings"}, 422, "account"),
        ("payments", {"amount": "90"}, 409, "more than the rental balance"),
        ("payments", {"amount": "5", "seen_balance_rental": "12"}, 409, "now €80.00"),
        ("refunds", {"amount": "5"}, 422, "cannot be more than what was paid"),
        ("charges", {"amount": "5", "category": "damage", "reason": ""}, 422, "Give the reason"),
        ("charges", {"amount": "5", "category": "fun", "reason": "x"}, 422, "category"),
        ("entries/nope/reverse", {"reason": "x", "confirm": "reverse"}, 404, "no such entry"),
    ],
)
def test_bad_input_through_the_forms_is_refused_and_writes_nothing(
    admin_client, path, fields, status, message
):
    rid, order_id = confirmed_order()
    token = csrf_token(admin_client, f"/admin/reservations/{rid}")
    entries, messages = entry_count(), len(outbox_types())
    data = {"csrf_token": token, "method": "cash", "account": "rental", "back": rid, **fields}
    response = admin_client.post(f"/admin/payments/orders/{order_id}/{path}", data=data)
    assert response.status_code == status, response.text
    assert message in response.text
    assert (entry_count(), len(outbox_types())) == (entries, messages)


def test_the_ledger_s_own_currency_may_be_written_with_the_amount(admin_client):
    rid, order_id = confirmed_order()
    token = csrf_token(admin_client, f"/admin/reservations/{rid}")
    for amount in ("€10", "10.00 EUR", "eur 10"):
        data = {"csrf_token": token, "method": "cash", "account": "rental", "amount": amount}
        response = admin_client.post(f"/admin/payments/orders/{order_id}/payments", data=data)
        assert response.status_code == 303, response.text
    paid = PaymentsFacade().get_ledger(order_id).accounts["rental"].paid.amount
    assert paid == Decimal("30")


def test_unknown_order_is_a_404(admin_client):
    token = csrf_token(admin_client, "/admin/customers/new")
    response = admin_client.post(
        "/admin/payments/orders/nope/payments",
        data={"csrf_token": token, "amount": "5", "method": "cash", "account": "rental"},
    )
    assert response.status_code == 404


def test_the_customers_manage_page_shows_what_was_charged_paid_and_is_still_due(app):
    """The manage link shows the order's money: charged, paid (with each payment), the
    balance; nothing before the booking is confirmed."""
    import secrets

    from rental.booking import BookingChannel, BookingFacade, OrderLine, PlaceOrder, PricingBasis
    from rental.shared.time_range import TimeRange
    from tests.support.fleet import make_customer, make_type, tomorrow_at

    fleet = make_type(units=2, deposit=None)
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            (OrderLine(1, equipment_type_id=fleet.type_id),),
            TimeRange(tomorrow_at(9), tomorrow_at(17)),
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    client = app.test_client()
    page = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    assert 'id="payments"' not in page  # a hold: nothing charged yet
    booking.confirm_reservation(order.first.id)
    drain()
    pay(order.id, "50.00")
    page = client.get(f"/r/{order.reference}/{token}").get_data(as_text=True)
    assert 'id="payments"' in page and "Payment (Cash)" in page
    due = order.total.amount - 50
    assert "Still to pay" in page and f"{due:.2f}" in page
