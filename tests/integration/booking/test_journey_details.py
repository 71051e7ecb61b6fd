"""Details a customer trips over (issue 11), through the pages on both databases: asking for
more than exist, booking whole days from today, moving the start, the billing unit, an expired
hold, the manage page without JavaScript, an incomplete manage link, empty categories."""

from __future__ import annotations

import html
import re
import secrets

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.shared.time_range import TimeRange
from tests.support.fleet import make_customer, make_type, tomorrow_at

HTMX = {"HX-Request": "true"}


def hourly(start_hour: int = 9, end_hour: int = 17, qty: int | str = 1) -> dict[str, str]:
    return {
        "basis": "hourly",
        "start": tomorrow_at(start_hour).strftime("%Y-%m-%dT%H:%M"),
        "end": tomorrow_at(end_hour).strftime("%Y-%m-%dT%H:%M"),
        "quantity": str(qty),
    }


def hold(fleet, period: TimeRange, quantity: int) -> str:
    return BookingFacade().create_reservation(
        CreateReservation(
            make_customer(),
            fleet.type_id,
            period,
            quantity,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )


def links(body: str, text: str) -> list[str]:
    """The href of every link whose text contains `text`."""
    found = re.findall(r'<a href="([^"]*)"[^>]*>\s*([^<]*)</a>', body)
    return [html.unescape(href) for href, label in found if text in label]


def hx_links(body: str, text: str) -> list[str]:
    found = re.findall(r'<a href="[^"]*" hx-get="([^"]*)"[^>]*>\s*([^<]*)</a>', body)
    return [html.unescape(url) for url, label in found if text in label]


# --- 1. asking for more than exist --------------------------------------------------------------


def test_asking_for_more_than_exist_offers_the_free_ones_without_javascript(app, client):
    fleet = make_type(units=4)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 2)
    page = client.get(f"/book/{fleet.slug}", query_string=hourly(qty=999))
    body = page.get_data(as_text=True)
    # A shortage like any other, not a form error ("choose 4 or fewer").
    assert page.status_code == 200
    assert "NOT AVAILABLE" in body and "or fewer" not in body
    assert "Only 2 left" in body and "we have 4 in total" in body
    [offer] = links(body, "Book the 2 that are free")
    assert "quantity=2" in offer
    # One click: the same dates with the 2 that are free, ready to book.
    taken = client.get(offer).get_data(as_text=True)
    assert "AVAILABLE" in taken and "2 of 4 free" in taken
    assert re.search(r'id="book-button">Book 2 ×', taken)


def test_asking_for_more_than_exist_offers_the_free_ones_with_htmx(app, client):
    fleet = make_type(units=4)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 2)
    fragment = client.get(
        f"/book/{fleet.slug}", query_string={**hourly(qty=999), "_block": "result"}, headers=HTMX
    ).get_data(as_text=True)
    assert "<html" not in fragment and "NOT AVAILABLE" in fragment
    [offer] = hx_links(fragment, "Book the 2 that are free")
    assert "quantity=2" in offer and "_block=availability" in offer
    # The suggestion swaps form and answer: the form now says 2, the answer is yes.
    swapped = client.get(offer, headers=HTMX).get_data(as_text=True)
    assert "<html" not in swapped
    assert re.search(r'id="quantity" name="quantity" value="2"', swapped)
    assert "2 of 4 free" in swapped


def test_more_than_a_fleet_with_nothing_free_says_none_left_with_the_fleet_size(app, client):
    fleet = make_type(units=2)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 1)
    hold(fleet, TimeRange(tomorrow_at(9), tomorrow_at(17)), 1)
    page = client.get(f"/book/{fleet.slug}", query_string=hourly(qty=5))
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "None left" in body and "we have 2 in total" in body
    assert not links(body, "that are free")
