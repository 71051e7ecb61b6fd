"""Checking out the cart: the details step places one order for every line (one reference,
one hold, one manage link), empties the cart and goes on to review → confirm → manage; a line
that stopped fitting meanwhile sends the visitor back to the cart with nothing written; a
wrong field is a message next to it."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import text as sql

from rental.booking import BookingFacade, ListReservations
from rental.extensions import db
from tests.integration.booking.test_cart_pages import Visitor, dates, text
from tests.support.daily import book, days, tomorrow

DETAILS = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "phone": "+49 30 1234567",
    "street": "Hauptstr. 1",
    "postal_code": "10115",
    "city": "Berlin",
    "state": "Berlin",
    "country": "DE",
}


def filled(client, shop):
    generators, lights, kit_id = shop
    visitor = Visitor(client)
    d = tomorrow() + timedelta(days=3)
    visitor.add("type", generators.type_id, 1, **dates(d, d + timedelta(days=1)))
    visitor.add("type", lights.type_id, 1)
    visitor.add("kit", kit_id, 1)
    return visitor, d


def orders() -> int:
    count = db.session.execute(sql("SELECT count(*) FROM booking_orders")).scalar()
    db.session.rollback()
    return count


def test_a_cart_becomes_one_order_reviewed_confirmed_and_managed(client, shop):
    visitor, _ = filled(client, shop)
    assert 'id="cart-continue"' in visitor.page()
    details = client.get("/cart/details")
    assert details.status_code == 200 and "3 items" in text(details)
    assert details.headers["Cache-Control"].startswith("no-store")
    token = re.search(r'name="booking_token" value="([^"]+)"', text(details)).group(1)
    placed = visitor.post("/cart/details", booking_token=token, **DETAILS)
    assert placed.status_code == 303 and "/book/review/" in placed.headers["Location"]
    # Sent twice (a double click): still one order.
    again = visitor.post("/cart/details", booking_token=token, **DETAILS)
    assert orders() == 1 and again.status_code in (303, 302)
    review = client.get(placed.headers["Location"])
    page = text(review)
    assert 'id="order-lines"' in page and page.count("<tr") >= 5  # 4 lines + head + foot
    confirmed = visitor.post(placed.headers["Location"])
    assert confirmed.status_code == 303
    lines = BookingFacade().list_reservations(ListReservations()).items
    assert len(lines) == 4 and {r.status.value for r in lines} == {"CONFIRMED"}
    assert len({r.order_id for r in lines}) == 1
    assert "Your booking is empty" in visitor.page()  # the cart went with the order


def test_a_line_that_stopped_fitting_goes_back_to_the_cart_with_nothing_written(client, shop):
    generators, _, _ = shop
    visitor, d = filled(client, shop)
    book(
        generators.type_id, days(d, d + timedelta(days=1)), quantity=2
    )  # one generator left: short
    refused = visitor.post("/cart/details", **DETAILS)
    assert refused.status_code == 303 and refused.headers["Location"].endswith("/cart")
    page = visitor.page()
    assert "Nothing was booked" in page and re.search(r"Generator \d+: none free", page)
    assert 'id="cart-not-ready"' in page
    assert orders() == 1  # only the booking made above


def test_a_wrong_field_is_shown_next_to_it_and_nothing_is_written(client, shop):
    visitor, _ = filled(client, shop)
    response = visitor.post("/cart/details", **{**DETAILS, "email": "not-an-email"})
    assert response.status_code == 422
    assert 'aria-invalid="true"' in text(response) and "email" in text(response).lower()
    assert orders() == 0


def test_an_empty_cart_has_no_details_step(client):
    response = client.get("/cart/details")
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")


def test_an_expired_order_of_several_lines_goes_back_into_the_cart(client, shop):
    visitor, d = filled(client, shop)
    details = client.get("/cart/details")
    token = re.search(r'name="booking_token" value="([^"]+)"', text(details)).group(1)
    placed = visitor.post("/cart/details", booking_token=token, **DETAILS)
    reference, token = placed.headers["Location"].split("/")[-2:]
    db.session.execute(
        sql("UPDATE booking_reservations SET hold_expires_at = created_at"),
    )
    db.session.commit()
    assert BookingFacade().expire_stale_holds() == 4
    manage = text(client.get(f"/r/{reference}/{token}"))
    assert "EXPIRED" in manage and 'id="book-again"' in manage
    again = visitor.post(f"/r/{reference}/{token}/again")
    assert again.status_code == 303 and again.headers["Location"].endswith("/cart")
    page = visitor.page()
    assert len(re.findall(r'<li class="cart-line[^"]*" id="cart-line-', page)) == 3  # as booked
    assert d.isoformat() in page
    assert client.post(f"/r/{reference}/{token}/again").status_code == 400  # no CSRF token
