"""Taking an item out of a confirmed order through the manage link, on SQLite and PostgreSQL:
inside the cancellation fee window it costs the item's part of the fee (PERCENT: of the item's
total; a kit whole; FIXED: its share of the fixed fee), shown on the page first and charged
once; outside the window it is free; a fee other than the page showed refuses it (409); and
the removals plus the final cancellation never cost more than cancelling the order at once.
Staff cancelling one line stay free unless they tick the fee (then: the line's part)."""

from __future__ import annotations

import html
import re
import secrets
from decimal import ROUND_FLOOR, Decimal

from rental.booking import BookingChannel, BookingFacade, OrderLine, PlaceOrder, PricingBasis
from rental.extensions import db
from rental.payments import FeeKind
from rental.shared.outbox import OutboxMessageEntity
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_orders import kit
from tests.integration.payments.test_cancellation_fee import (
    customer_cancels,
    fee_policy,
    fees,
    page,
    redeliver,
)
from tests.integration.payments.test_ledger import drain, ledger, pay
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at


def ordered(*lines: OrderLine):
    """A confirmed order for tomorrow 09:00–13:00 (less than 48 hours away) and its manage
    token, the charges drained into the ledger."""
    token = secrets.token_urlsafe(24)
    booking = BookingFacade()
    order = booking.place_order(
        PlaceOrder(
            make_customer(),
            lines,
            TimeRange(tomorrow_at(9), tomorrow_at(13)),
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(order.first.id)
    drain()
    order = booking.get_order(order.id)
    db.session.rollback()
    return order, token


def two_lines():
    """A generator (4 h × €20 = €80.00) and two lights (2 × 4 h × €5 = €40.00): €120.00."""
    return ordered(
        OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id),
        OrderLine(
            2, equipment_type_id=make_type(hourly="5.00", name="Light", deposit=None).type_id
        ),
    )


def remove_url(order, token: str, line_id: str) -> str:
    return f"/r/{order.reference}/{token}/items/{line_id}/remove"


def seen_fee(client, url: str) -> str:
    """The fee the remove page carries in its form."""
    found = re.search(r'name="seen_fee" value="([^"]+)"', client.get(url).get_data(as_text=True))
    assert found, "the page carries the fee it shows"
    return found.group(1)


def remove(client, url: str, fee: str | None, status: int = 303):
    data = {"csrf_token": csrf_token(client, url)}
    if fee is not None:
        data["seen_fee"] = fee
    answer = client.post(url, data=data)
    assert answer.status_code == status, answer.get_data(as_text=True)[:2000]
    drain()
    return answer


def fee_payloads() -> list:
    payloads = db.session.scalars(
        db.select(OutboxMessageEntity.payload).where(
            OutboxMessageEntity.event_type == "ReservationCancelled"
        )
    ).all()
    db.session.rollback()
    return [(p["reservation_id"], p["fee"]) for p in payloads]


def test_removing_an_item_in_the_window_shows_and_charges_its_fee_once(app, client):
    fee_policy()  # 25 %, free until 48 hours before the start
    order, token = two_lines()
    pay(order.id, "120")
    lights = order.lines[1]
    url = remove_url(order, token, lights.id)
    body = page(client, url)
    assert (
        "Taking this out now costs €10.00 (25 % of €40.00, because the start is less than 48 "
        "hours away)." in body
    )
    assert "€30.00 you paid will be refunded by the shop" in body  # 120 − 40 + 10 = 90 due
    assert seen_fee(client, url) == "10.00"
    remove(client, url, "10.00")
    [fee] = fees(order.id)
    assert (fee.amount.amount, fee.line_id, fee.category) == (
        Decimal("10.00"),
        lights.id,
        "cancellation_fee",
    )
    assert fee_payloads() == [(lights.id, {"amount": "10.00", "currency": "EUR"})]
    assert ledger(order.id).balance.amount == Decimal("-30.00")
    count = len(ledger(order.id).entries)
    redeliver()
    assert len(ledger(order.id).entries) == count and len(fees(order.id)) == 1
    # Cancelling the rest: 25 % of what is left; together what cancelling at once costs.
    body = page(client, f"/r/{order.reference}/{token}/cancel")
    assert "Cancelling now costs €20.00 (25 % of €80.00" in body
    customer_cancels(client, order.first.id, token)
    assert sorted(f.amount.amount for f in fees(order.id)) == [Decimal("10.00"), Decimal("20.00")]
    assert sum(f.amount.amount for f in fees(order.id)) == Decimal("30.00")  # 25 % of 120


def test_outside_the_window_removing_is_free(app, client):
    fee_policy(hours=2)  # tomorrow 09:00 is more than 2 hours away
    order, token = two_lines()
    url = remove_url(order, token, order.lines[1].id)
    body = page(client, url)
    assert "Taking this out is free until " in body and "now costs" not in body
    assert "€80.00 remains for you to pay" in body
    remove(client, url, seen_fee(client, url))
    assert fees(order.id) == []
    assert ledger(order.id).balance.amount == Decimal("80.00")


def test_a_fee_other_than_the_page_showed_refuses_the_removal(app, client):
    fee_policy(hours=2)
    order, token = two_lines()
    lights = order.lines[1]
    url = remove_url(order, token, lights.id)
    assert seen_fee(client, url) == "0"
    fee_policy(hours=48)  # in life: the free window closed while the page was open
    refused = remove(client, url, "0", status=409)
    assert (
        "Taking it out now costs €10.00, not what the page showed a moment ago. Nothing was "
        "removed" in html.unescape(refused.get_data(as_text=True))
    )
    assert BookingFacade().get_reservation(lights.id).status.value == "CONFIRMED"
    db.session.rollback()
    assert fees(order.id) == []
    remove(client, url, "10.00")
    assert [f.amount.amount for f in fees(order.id)] == [Decimal("10.00")]


def test_a_kit_goes_whole_and_pays_on_all_its_lines(app, client):
    fee_policy()
    gens = make_type(hourly="20.00", deposit=None)
    lights = make_type(4, hourly="5.00", name="Light", deposit=None)
    cables = make_type(10, hourly="5.03", name="Cable", deposit=None)
    kit_id = kit((lights.type_id, 2), (cables.type_id, 1))
    order, token = ordered(
        OrderLine(1, equipment_type_id=gens.type_id), OrderLine(1, kit_id=kit_id)
    )
    kit_lines = [r for r in order.lines if r.kit_id == kit_id]
    assert len(kit_lines) == 2
    kit_total = kit_lines[0].total + kit_lines[1].total
    expected = (kit_total.amount / 4).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
    url = remove_url(order, token, kit_lines[0].id)
    body = page(client, url)
    assert f"Taking this out now costs €{expected} (25 % of {kit_total.format()}" in body
    remove(client, url, seen_fee(client, url))
    [fee] = fees(order.id)
    assert fee.amount.amount == expected and fee.line_id == kit_lines[0].id
    assert sorted(fee_payloads(), key=lambda p: p[1] is None) == [
        (kit_lines[0].id, {"amount": str(expected), "currency": "EUR"}),
        (kit_lines[1].id, None),
    ]
    # Both kit lines' rental charges are reversed; the generator's stays, plus the fee.
    assert ledger(order.id).balance.amount == order.lines[0].total.amount + expected


def test_fixed_fee_is_shared_by_price_and_never_more_than_the_fixed_fee(app, client):
    fee_policy(FeeKind.FIXED, "50")
    order, token = two_lines()
    url = remove_url(order, token, order.lines[1].id)
    body = page(client, url)
    assert (
        "Taking this out now costs €16.66 (its share of the €50.00 fixed fee: €40.00 of the "
        "booking's €120.00, because the start" in body
    )
    remove(client, url, seen_fee(client, url))
    body = page(client, f"/r/{order.reference}/{token}/cancel")
    assert (
        "Cancelling now costs €33.34 (what is left of the fixed fee after €16.66 charged for "
        "items taken out before" in body
    )
    customer_cancels(client, order.first.id, token)
    amounts = sorted(f.amount.amount for f in fees(order.id))
    assert amounts == [Decimal("16.66"), Decimal("33.34")]
    assert sum(amounts) == Decimal("50.00")  # what cancelling at once costs: the fixed fee


def test_staff_cancel_one_line_free_by_default_its_part_when_ticked(app, admin_client):
    fee_policy()
    order, _ = two_lines()
    generator, lights = order.lines
    body = page(admin_client, f"/admin/reservations/{lights.id}")
    assert "Charge the cancellation fee: €10.00 (25 % of €40.00" in body

    def staff_cancel(rid: str, **form) -> None:
        answer = admin_client.post(
            f"/admin/reservations/{rid}/cancel",
            data={
                "csrf_token": csrf_token(admin_client, "/admin/"),
                "reason": "Customer phoned",
                "confirm": "cancel",
                **form,
            },
        )
        assert answer.status_code == 303
        drain()

    staff_cancel(lights.id)
    assert fees(order.id) == []
    staff_cancel(generator.id, charge_fee="on")
    [fee] = fees(order.id)
    assert fee.amount.amount == Decimal("20.00")  # 25 % of the generator's €80.00


def test_fixed_fee_stays_within_the_fixed_fee_when_the_worker_lags(app):
    """The customer takes an item out and cancels the rest before the worker has charged the
    first fee: the second was worked out as if nothing had been charged (€50.00), and Payments
    takes off what the first charged — together the fixed fee, in whichever order the
    events are handled."""
    fee_policy(FeeKind.FIXED, "50")
    order, _ = two_lines()
    booking = BookingFacade()
    booking.remove_item_by_customer(order.lines[1].id, "Removed by the customer")
    booking.cancel_by_customer(order.first.id, "Cancelled by the customer")
    db.session.rollback()
    assert sorted(fee_payloads(), key=lambda p: p[0] != order.lines[1].id) == [
        (order.lines[1].id, {"amount": "16.66", "currency": "EUR"}),
        (order.first.id, {"amount": "50.00", "currency": "EUR"}),
    ]
    drain()
    amounts = sorted(f.amount.amount for f in fees(order.id))
    assert amounts == [Decimal("16.66"), Decimal("33.34")]
    redeliver()
    assert sorted(f.amount.amount for f in fees(order.id)) == amounts


def test_once_the_fixed_fee_is_charged_the_rest_cancels_free(app, client, admin_client):
    """Staff charged a line's share; the shop then lowers the fixed fee below what was charged:
    cancelling the rest costs nothing more, and the page says why (not 'free until …')."""
    fee_policy(FeeKind.FIXED, "50")
    order, token = two_lines()
    answer = admin_client.post(
        f"/admin/reservations/{order.lines[1].id}/cancel",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/"),
            "reason": "Customer phoned",
            "confirm": "cancel",
            "charge_fee": "on",
        },
    )
    assert answer.status_code == 303
    drain()
    assert [f.amount.amount for f in fees(order.id)] == [Decimal("16.66")]
    fee_policy(FeeKind.FIXED, "10")
    body = page(client, f"/r/{order.reference}/{token}/cancel")
    assert "Cancelling costs nothing more: the order was charged the whole fixed" in body
    customer_cancels(client, order.first.id, token)
    assert [f.amount.amount for f in fees(order.id)] == [Decimal("16.66")]
