"""The booking pages through the test client: plain form posts (no JavaScript), errors next
to the fields with the input kept, and clear pages for wrong links."""

from __future__ import annotations

import re
import secrets

from rental.booking import BookingFacade, CreateReservation, ListReservations, PricingBasis
from rental.customers import CustomerFacade
from rental.shared.time_range import TimeRange
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at

DETAILS = {
    "name": "Jo Builder",
    "email": "jo@example.com",
    "phone": "+49 30 555 0101",
    "street": "Baustr. 7",
    "city": "Berlin",
    "state": "Berlin",
    "postal_code": "10115",
    "country": "Germany",
}


def request_params(hours=(9, 17), qty=1) -> dict[str, str]:
    return {
        "basis": "hourly",
        "start": tomorrow_at(hours[0]).strftime("%Y-%m-%dT%H:%M"),
        "end": tomorrow_at(hours[1]).strftime("%Y-%m-%dT%H:%M"),
        "quantity": str(qty),
    }


def test_availability_page_answers_without_javascript(app, client):
    fleet = make_type(units=3)
    page = client.get(f"/book/{fleet.slug}", query_string=request_params(qty=2))
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in body
    assert "AVAILABLE" in body and "3 of 3 free" in body and "Total" in body
    fragment = client.get(
        f"/book/{fleet.slug}",
        query_string={**request_params(), "_block": "result"},
        headers={"HX-Request": "true"},
    ).get_data(as_text=True)
    assert "<html" not in fragment and "AVAILABLE" in fragment


def test_bad_dates_are_explained_next_to_the_field(app, client):
    fleet = make_type(units=3)
    params = {**request_params(), "end": request_params()["start"]}
    page = client.get(f"/book/{fleet.slug}", query_string=params)
    body = page.get_data(as_text=True)
    assert page.status_code == 422
    assert 'id="end-error"' in body and "The end must be after the start." in body
    assert 'aria-describedby="end-error"' in body


def test_booking_by_plain_form_posts_from_details_to_confirmation(app, client):
    fleet = make_type(units=3)
    token = csrf_token(client, f"/book/{fleet.slug}")
    bad = client.post(
        f"/book/{fleet.slug}/details",
        data={**request_params(), **DETAILS, "email": "not-an-email", "csrf_token": token},
    )
    body = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert 'id="f-email-error"' in body and 'value="Jo Builder"' in body  # input kept
    assert BookingFacade().list_reservations(ListReservations()).total == 0

    ok = client.post(
        f"/book/{fleet.slug}/details", data={**request_params(), **DETAILS, "csrf_token": token}
    )
    assert ok.status_code == 303
    review_url = ok.headers["Location"]
    assert re.search(r"/book/review/RK-[A-Z0-9]{6}/", review_url)
    assert "We are holding this for you" in client.get(review_url).get_data(as_text=True)
    confirmed = client.post(review_url, data={"csrf_token": token})
    assert confirmed.status_code == 303
    page = client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert "Your booking is confirmed" in page and "/r/RK-" in page
    customer = CustomerFacade().find_customer_by_email("jo@example.com")
    assert customer is not None
    # The privacy export carries the booking module's part.
    export = CustomerFacade().export_customer_data(customer.id)
    assert export["reservations"][0]["status"] == "CONFIRMED"


def test_capacity_gone_between_steps_is_explained_and_the_form_kept(app, client):
    fleet = make_type(units=1)
    token = csrf_token(client, f"/book/{fleet.slug}")
    first = client.post(
        f"/book/{fleet.slug}/details", data={**request_params(), **DETAILS, "csrf_token": token}
    )
    assert first.status_code == 303
    second = client.post(
        f"/book/{fleet.slug}/details",
        data={**request_params(), **DETAILS, "email": "late@example.com", "csrf_token": token},
    )
    body = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "None are left for that period" in body and 'value="late@example.com"' in body
    # Nothing half-written: the late visitor's customer record went with the failed hold.
    assert CustomerFacade().find_customer_by_email("late@example.com") is None


def test_suspended_customers_get_the_neutral_refusal(app, client):
    """Nothing about the account: see test_known_email.py for the same words as another
    refusal."""
    fleet = make_type(units=1)
    customer = make_customer("pat@example.com")
    CustomerFacade().suspend_customer(customer)
    token = csrf_token(client, f"/book/{fleet.slug}")
    response = client.post(
        f"/book/{fleet.slug}/details",
        data={**request_params(), **DETAILS, "email": "pat@example.com", "csrf_token": token},
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "We could not take this booking online; please call us." in body
    assert "suspend" not in body.lower() and "cannot make bookings" not in body


def test_wrong_manage_links_get_a_clear_404(app, client):
    response = client.get("/r/RK-AAAAAA/whatever-token-value")
    assert response.status_code == 404
    assert "This booking link is not valid" in response.get_data(as_text=True)
    assert client.get("/book/no-such-type").status_code == 404


def test_dashboard_shows_what_needs_attention_and_open_holds(app, admin_client):
    fleet = make_type(units=2)
    booking = BookingFacade()
    period = TimeRange(tomorrow_at(9), tomorrow_at(17))
    flagged = booking.create_reservation(
        CreateReservation(
            make_customer(),
            fleet.type_id,
            period,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    booking.confirm_reservation(flagged)
    booking.flag_reservation(flagged, "Could not allocate items: GEN-1 in the workshop")
    booking.create_reservation(
        CreateReservation(
            make_customer(),
            fleet.type_id,
            period,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "Needs attention" in page
    assert booking.get_reservation(flagged).reference in page
    attention = page.split('id="attention-table"', 1)[1].split("</table>", 1)[0]
    assert "Could not allocate items: GEN-1 in the workshop" in attention  # why, at a glance
    assert re.search(r'<h2 class="stat">1</h2><p>holds and requests awaiting confirmation', page)


def test_sending_the_details_form_twice_makes_one_hold(app, client):
    fleet = make_type(units=3)
    form = client.get(f"/book/{fleet.slug}/details", query_string=request_params())
    token_field = re.search(r'name="booking_token" value="([^"]+)"', form.get_data(as_text=True))
    assert token_field
    data = {
        **request_params(),
        **DETAILS,
        "booking_token": token_field.group(1),
        "csrf_token": csrf_token(client, f"/book/{fleet.slug}"),
    }
    first = client.post(f"/book/{fleet.slug}/details", data=data)
    second = client.post(f"/book/{fleet.slug}/details", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert BookingFacade().list_reservations(ListReservations()).total == 1
