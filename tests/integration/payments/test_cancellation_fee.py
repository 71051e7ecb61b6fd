"""Cancellation fees on SQLite and PostgreSQL: the customer's cancel page shows the exact fee,
cancelling charges it once (a redelivered event adds nothing) and the balance shows what the
shop owes back; a free cancellation charges nothing; a hold cancels free; staff cancel free by
default and with the policy's fee when they tick it."""

from __future__ import annotations

import html
import re
import secrets
from decimal import Decimal

from sqlalchemy import text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    CreateReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
from rental.extensions import db
from rental.payments import FeeKind, PaymentPolicy, PaymentsFacade
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import TimeRange
from tests.integration.payments.test_ledger import drain, ledger, order_of, pay
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at


def fee_policy(kind: FeeKind = FeeKind.PERCENT, value: str = "25", hours: int = 48) -> None:
    PaymentsFacade().save_policy(
        PaymentPolicy(
            cancellation_free_hours=hours,
            cancellation_fee=kind,
            cancellation_fee_value=Decimal(value),
        )
    )


def booked(*, confirm: bool = True) -> tuple[str, str]:
    """Tomorrow 09:00–13:00 at €20 an hour (= €80.00; less than 48 hours away): its ID and
    manage token, the charge drained into the ledger."""
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            make_type(hourly="20.00").type_id,
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            1,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(rid)
    drain()
    return rid, token


def manage_url(rid: str, token: str) -> str:
    reference = BookingFacade().get_reservation(rid).reference
    db.session.rollback()
    return f"/r/{reference}/{token}"


def raw(client, url: str) -> str:
    return client.get(url).get_data(as_text=True)


def page(client, url: str) -> str:
    """The page's words (no tags), as a reader sees them."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", raw(client, url))).split()).replace(
        " )", ")"
    )


def fees(order_id: str) -> list:
    view = ledger(order_id)
    return [e for e in view.entries if e.category == "cancellation_fee"] if view else []


def customer_cancels(client, rid: str, token: str):
    url = manage_url(rid, token)
    answer = client.post(f"{url}/cancel", data={"csrf_token": csrf_token(client, url)})
    assert answer.status_code == 303
    drain()


def redeliver() -> None:
    """Every event handled again (as if the inbox had lost its rows)."""
    db.session.execute(text("DELETE FROM outbox_inbox WHERE handler LIKE 'payments.%'"))
    db.session.execute(
        text("UPDATE outbox_messages SET processed_at = NULL, available_at = occurred_at")
    )
    db.session.commit()
    drain()


def test_the_cancel_page_shows_the_exact_fee_and_cancelling_charges_it_once(app, client):
    fee_policy()
    rid, token = booked()
    order_id = order_of(rid)
    pay(order_id, "80")
    manage = page(client, manage_url(rid, token))
    assert "Cancelling from your booking link costs 25 % of the rental total from now until" in (
        manage
    )
    body = page(client, f"{manage_url(rid, token)}/cancel")
    assert (
        "Cancelling now costs €20.00 (25 % of €80.00, because the start is less than 48 hours "
        "away)." in body
    )
    assert "€60.00 you paid will be refunded by the shop: at the counter, or by bank transfer" in (
        body
    )
    customer_cancels(client, rid, token)
    [fee] = fees(order_id)
    assert (fee.kind, fee.account, fee.amount.amount) == ("CHARGE", "rental", Decimal("20.00"))
    view = ledger(order_id)
    assert view.balance.amount == Decimal("-60.00")  # the shop owes the customer €60
    # The fee rides on the event of the one cancelled line.
    payloads = db.session.scalars(
        db.select(OutboxMessageEntity.payload).where(
            OutboxMessageEntity.event_type == "ReservationCancelled"
        )
    ).all()
    db.session.rollback()
    assert [p["fee"] for p in payloads] == [{"amount": "20.00", "currency": "EUR"}]
    count = len(view.entries)
    redeliver()
    assert len(ledger(order_id).entries) == count and len(fees(order_id)) == 1
    manage = page(client, manage_url(rid, token))
    assert "We owe you" in manage and "€60.00" in manage


def test_a_fixed_fee_is_never_more_than_the_total(app, client):
    fee_policy(FeeKind.FIXED, "500")
    rid, token = booked()
    body = page(client, f"{manage_url(rid, token)}/cancel")
    assert "Cancelling now costs €80.00 (the fixed fee, no more than the rental total" in body
    customer_cancels(client, rid, token)
    [fee] = fees(order_of(rid))
    assert fee.amount.amount == Decimal("80.00")
    assert ledger(order_of(rid)).balance.amount == Decimal("80.00")  # nothing paid yet


def test_before_the_window_cancelling_is_free_and_charges_nothing(app, client):
    fee_policy(hours=2)  # tomorrow 09:00 is more than 2 hours away
    rid, token = booked()
    order_id = order_of(rid)
    pay(order_id, "30")
    manage = page(client, manage_url(rid, token))
    assert "You can cancel free of charge from your booking link until " in manage
    assert "cancelling costs 25 % of the rental total" in manage
    body = page(client, f"{manage_url(rid, token)}/cancel")
    assert "Cancelling is free until " in body and "Cancelling now costs" not in body
    assert "€30.00 you paid will be refunded" in body
    customer_cancels(client, rid, token)
    assert fees(order_id) == []
    assert ledger(order_id).balance.amount == Decimal("-30.00")


def test_a_hold_cancels_free(app, client):
    fee_policy()
    rid, token = booked(confirm=False)
    body = page(client, f"{manage_url(rid, token)}/cancel")
    assert "Cancelling is free: the booking is not confirmed" in body
    customer_cancels(client, rid, token)
    assert ledger(order_of(rid)) is None


def _staff_cancel(admin_client, rid: str, **form) -> None:
    answer = admin_client.post(
        f"/admin/reservations/{rid}/cancel",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/"),
            "reason": "Machine failed inspection",
            "confirm": "cancel",
            **form,
        },
    )
    assert answer.status_code == 303
    drain()


def test_staff_cancel_free_by_default(app, admin_client):
    fee_policy()
    rid, _ = booked()
    assert 'name="charge_fee"' in raw(admin_client, f"/admin/reservations/{rid}")
    body = page(admin_client, f"/admin/reservations/{rid}")
    assert "Charge the cancellation fee: €20.00 (25 % of €80.00, because the start" in body
    _staff_cancel(admin_client, rid)
    assert fees(order_of(rid)) == []
    assert ledger(order_of(rid)).balance.amount == 0


def test_staff_charge_the_fee_when_they_tick_it(app, admin_client):
    fee_policy()
    rid, _ = booked()
    _staff_cancel(admin_client, rid, charge_fee="on")
    [fee] = fees(order_of(rid))
    assert fee.amount.amount == Decimal("20.00") and fee.actor == "booking"
    assert ledger(order_of(rid)).balance.amount == Decimal("20.00")


def test_no_fee_checkbox_when_the_policy_has_no_fee(app, admin_client):
    rid, _ = booked()
    assert 'name="charge_fee"' not in raw(admin_client, f"/admin/reservations/{rid}")


def test_an_order_of_several_lines_pays_one_fee_on_its_total(app, client):
    """The fee is the order's (25 % of both lines' total), carried by the first line's event
    only; every line's rental charge is reversed."""
    fee_policy()
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            (
                OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id),
                OrderLine(
                    2,
                    equipment_type_id=make_type(hourly="5.00", name="Light", deposit=None).type_id,
                ),
            ),
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(order.first.id)
    drain()
    db.session.rollback()
    assert ledger(order.id).balance.amount == Decimal("120.00")  # 80 + 2 × 4 h × 5
    body = page(client, f"/r/{order.reference}/{token}/cancel")
    assert "Cancelling now costs €30.00 (25 % of €120.00" in body
    assert "€30.00 remains for you to pay" in body
    customer_cancels(client, order.first.id, token)
    payloads = db.session.scalars(
        db.select(OutboxMessageEntity.payload).where(
            OutboxMessageEntity.event_type == "ReservationCancelled"
        )
    ).all()
    db.session.rollback()
    assert sorted(str(p["fee"]) for p in payloads) == [
        "None",
        str({"amount": "30.00", "currency": "EUR"}),
    ]
    [fee] = fees(order.id)
    assert fee.amount.amount == Decimal("30.00") and fee.line_id == order.first.id
    assert ledger(order.id).balance.amount == Decimal("30.00")


def test_a_fee_other_than_the_page_showed_refuses_the_cancellation(app, client):
    """The page showed a free cancellation; by the time the customer confirms, it costs (here:
    the policy changed; in life: the free window closed). Nothing is cancelled, the new amount
    is said."""
    fee_policy(hours=2)
    rid, token = booked()
    url = manage_url(rid, token)
    body = client.get(f"{url}/cancel").get_data(as_text=True)
    assert 'name="seen_fee" value="0"' in body
    fee_policy(hours=48)
    answer = client.post(
        f"{url}/cancel", data={"csrf_token": csrf_token(client, url), "seen_fee": "0"}
    )
    assert answer.status_code == 409
    assert "Cancelling now costs €20.00, not what the page showed" in html.unescape(
        answer.get_data(as_text=True)
    )
    assert BookingFacade().get_reservation(rid).status.value == "CONFIRMED"
    db.session.rollback()
    answer = client.post(
        f"{url}/cancel", data={"csrf_token": csrf_token(client, url), "seen_fee": "20.00"}
    )
    assert answer.status_code == 303
    drain()
    assert [f.amount.amount for f in fees(order_of(rid))] == [Decimal("20.00")]
