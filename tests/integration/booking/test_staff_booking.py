"""Staff bookings (issue 11, reduced to single-type bookings while orders do not exist):
`/admin/reservations/new` books for an existing customer or a new one, confirmed at once
(channel STAFF, no hold) in one transaction — a refused booking leaves no new customer — with
capacity checked under the type's lock; bad input answers next to the fields (422), a
shortage names what is free (409) and writes nothing. Both databases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from rental.booking import BookingChannel, BookingFacade, ReservationStatus
from rental.customers import CustomerFacade
from rental.customers.infrastructure.entities import CustomerEntity
from rental.extensions import db
from rental.inventory import InventoryFacade
from rental.shared.outbox import OutboxProcessor
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type

URL = "/admin/reservations/new"


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def days_ahead(n: int) -> str:
    booking = BookingFacade()
    return (
        booking.now().astimezone(booking.policy.timezone).date() + timedelta(days=n)
    ).isoformat()


def booking_form(type_id: str, quantity: int = 1, **extra) -> dict:
    return {
        "type": type_id,
        "basis": "daily",
        "start_date": days_ahead(3),
        "end_date": days_ahead(4),
        "quantity": str(quantity),
        **extra,
    }


NEW_CUSTOMER = {
    "name": "Grace Hopper",
    "email": "grace@navy.example",
    "phone": "+1 202 555 0100",
    "street": "1 Navy Way",
    "city": "Arlington",
    "state": "VA",
    "postal_code": "22202",
    "country": "USA",
}


def customers_count() -> int:
    return db.session.scalar(select(func.count()).select_from(CustomerEntity))


def reservation_ids(type_id: str) -> list[str]:
    from rental.booking import ListReservations

    page = BookingFacade().list_reservations(ListReservations(equipment_type_id=type_id))
    return [r.id for r in page.items]


FIELD_ERROR = re.compile(
    r'<small (?:class="field-error" id="f-([a-z_]+)-error"|id="f-([a-z_]+)-error" '
    r'class="field-error")>([^<]*)<'
)


def field_errors(body: str) -> list[tuple[str, str]]:
    """(field, message) of every message next to a field."""
    return [(a or b, message) for a, b, message in FIELD_ERROR.findall(body)]


def test_the_form_is_linked_from_the_list_and_the_customer_page(admin_client, app):
    customer_id = make_customer()
    body = admin_client.get("/admin/reservations/").get_data(as_text=True)
    assert 'href="/admin/reservations/new"' in body
    page = admin_client.get(f"/admin/customers/{customer_id}").get_data(as_text=True)
    assert f'href="/admin/reservations/new?customer={customer_id}"' in page
    response = admin_client.get(URL, query_string={"customer": customer_id})
    assert response.status_code == 200
    assert 'id="chosen-customer"' in response.get_data(as_text=True)


def test_staff_find_a_customer_by_name_email_or_phone(admin_client, app):
    customer_id = make_customer(email="findme-staffbook@example.com")
    for text in ("findme-staffbook", "Test Customer"):
        body = admin_client.get(URL, query_string={"q": text}).get_data(as_text=True)
        assert f"?customer={customer_id}" in body


def test_availability_and_price_as_a_fragment_and_without_javascript(admin_client, app):
    fleet = make_type(units=2)
    fragment = admin_client.get(
        URL,
        query_string={**booking_form(fleet.type_id), "_block": "result"},
        headers={"HX-Request": "true"},
    )
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in text
    assert "2 of 2 free" in text and "Total" in text
    token = csrf_token(admin_client, URL)
    plain = admin_client.post(
        URL, data={**booking_form(fleet.type_id), "action": "check", "csrf_token": token}
    )
    assert plain.status_code == 200 and "2 of 2 free" in plain.get_data(as_text=True)
    assert reservation_ids(fleet.type_id) == []  # checking writes nothing


def test_booking_for_an_existing_customer_is_confirmed_and_allocated(admin_client, app):
    fleet = make_type(units=3)
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    response = admin_client.post(
        URL,
        data={
            **booking_form(fleet.type_id, 2),
            "customer": customer_id,
            "action": "book",
            "csrf_token": token,
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    [rid] = reservation_ids(fleet.type_id)
    assert response.headers["Location"].endswith(f"/admin/reservations/{rid}")
    reservation = BookingFacade().get_reservation(rid)
    assert reservation.status is ReservationStatus.CONFIRMED
    assert reservation.channel is BookingChannel.STAFF
    assert reservation.customer_id == customer_id and reservation.quantity == 2
    drain()
    allocated = [
        a
        for a in InventoryFacade().list_allocations_for_reservation(rid)
        if a.status == "ALLOCATED"
    ]
    assert len(allocated) == 2
    listing = admin_client.get("/admin/reservations/").get_data(as_text=True)
    assert reservation.reference in listing


def test_the_same_form_sent_twice_books_once(admin_client, app):
    fleet = make_type(units=3)
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    data = {
        **booking_form(fleet.type_id),
        "customer": customer_id,
        "action": "book",
        "csrf_token": token,
        "form_token": "A" * 32,
    }
    assert admin_client.post(URL, data=data).status_code == 303
    assert admin_client.post(URL, data=data).status_code == 303
    assert len(reservation_ids(fleet.type_id)) == 1


def test_a_new_customer_and_the_booking_are_written_together(admin_client, app):
    fleet = make_type(units=1)
    token = csrf_token(admin_client, URL)
    response = admin_client.post(
        URL,
        data={**booking_form(fleet.type_id), **NEW_CUSTOMER, "action": "book", "csrf_token": token},
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    customer = CustomerFacade().find_customer_by_email(NEW_CUSTOMER["email"])
    assert customer is not None and customer.name == "Grace Hopper"
    [rid] = reservation_ids(fleet.type_id)
    reservation = BookingFacade().get_reservation(rid)
    assert reservation.customer_id == customer.id
    assert reservation.status is ReservationStatus.CONFIRMED


def test_a_new_customer_s_form_sent_twice_books_once_and_registers_once(admin_client, app):
    fleet = make_type(units=3)
    token = csrf_token(admin_client, URL)
    data = {
        **booking_form(fleet.type_id),
        **NEW_CUSTOMER,
        "email": "twice@navy.example",
        "action": "book",
        "csrf_token": token,
        "form_token": "C" * 32,
    }
    first = admin_client.post(URL, data=data)
    second = admin_client.post(URL, data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    assert len(reservation_ids(fleet.type_id)) == 1


def test_a_refused_booking_leaves_no_new_customer_and_says_how_many_are_free(admin_client, app):
    fleet = make_type(units=2)
    before = customers_count()
    token = csrf_token(admin_client, URL)
    response = admin_client.post(
        URL,
        data={
            **booking_form(fleet.type_id, 3),
            **NEW_CUSTOMER,
            "email": "refused@navy.example",
            "action": "book",
            "csrf_token": token,
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409, body
    assert "Only 2 left for that period; you asked for 3." in body
    assert "Only 2 free" in body
    assert customers_count() == before
    assert CustomerFacade().find_customer_by_email("refused@navy.example") is None
    assert reservation_ids(fleet.type_id) == []


def test_not_enough_units_for_an_existing_customer_writes_nothing(admin_client, app):
    fleet = make_type(units=1)
    customer_id = make_customer()
    token = csrf_token(admin_client, URL)
    data = {**booking_form(fleet.type_id), "customer": customer_id, "action": "book"}
    assert admin_client.post(URL, data={**data, "csrf_token": token}).status_code == 303
    again = admin_client.post(URL, data={**data, "csrf_token": token, "form_token": "B" * 32})
    assert again.status_code == 409
    assert "None are left for that period." in again.get_data(as_text=True)
    assert len(reservation_ids(fleet.type_id)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"type": ""}, "type"),
        ({"type": "no-such-type"}, "type"),
        ({"quantity": "0"}, "quantity"),
        ({"quantity": "lots"}, "quantity"),
        ({"start_date": "not a day"}, "start"),
        ({"end_date": "2001-01-01"}, "end"),
        ({"basis": "hourly", "start": "", "end": ""}, "start"),
        ({"email": "not-an-email"}, "email"),
        ({"name": ""}, "name"),
    ],
)
def test_bad_input_answers_next_to_the_field_and_writes_nothing(admin_client, app, change, field):
    fleet = make_type(units=2)
    before = customers_count()
    token = csrf_token(admin_client, URL)
    data = {**booking_form(fleet.type_id), **NEW_CUSTOMER, "action": "book", "csrf_token": token}
    response = admin_client.post(URL, data={**data, **change})
    body = response.get_data(as_text=True)
    assert response.status_code == 422, body
    assert field in dict(field_errors(body)), field_errors(body)
    assert customers_count() == before
    assert reservation_ids(fleet.type_id) == []


def test_a_known_email_for_a_new_customer_is_refused_next_to_the_field(admin_client, app):
    fleet = make_type(units=2)
    make_customer(email="taken-staffbook@example.com")
    token = csrf_token(admin_client, URL)
    data = {
        **booking_form(fleet.type_id),
        **NEW_CUSTOMER,
        "email": "taken-staffbook@example.com",
        "action": "book",
        "csrf_token": token,
    }
    response = admin_client.post(URL, data=data)
    assert response.status_code == 422
    assert "email" in dict(field_errors(response.get_data(as_text=True)))
    assert reservation_ids(fleet.type_id) == []


def test_an_unknown_or_suspended_customer_is_refused(admin_client, app):
    fleet = make_type(units=2)
    suspended = make_customer()
    CustomerFacade().suspend_customer(suspended)
    token = csrf_token(admin_client, URL)
    for customer_id in ("nobody", suspended):
        data = {
            **booking_form(fleet.type_id),
            "customer": customer_id,
            "action": "book",
            "csrf_token": token,
        }
        response = admin_client.post(URL, data=data)
        assert response.status_code == 422, customer_id
        assert 'id="f-customer-error"' in response.get_data(as_text=True)
    assert reservation_ids(fleet.type_id) == []


def test_staff_may_book_and_visitors_are_sent_to_login(staff_client, client, app):
    assert staff_client.get(URL).status_code == 200
    response = client.get(URL)
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
    posted = client.post(URL, data={"type": "x"})
    assert posted.status_code in (302, 303, 400, 403)
