"""Hostile input is stopped at the boundary: control characters get a clear 400 before any view
runs, numbers and dates go through the one bounded parser — never a 500, nothing written.
(Each case here was a 500 on PostgreSQL; tests/integration/test_route_fuzz.py goes wider.)"""

from __future__ import annotations

import secrets

import pytest

from rental.booking import BookingFacade, CreateReservation, PricingBasis
from rental.catalog import CatalogFacade
from rental.extensions import db
from rental.shared.time_range import TimeRange
from tests.support.auth import csrf_token
from tests.support.fingerprint import changed_tables, database_fingerprint
from tests.support.fleet import make_customer, make_type, tomorrow_at

CONTROL_MESSAGE = "contains control characters"


@pytest.fixture
def booked(app):
    fleet = make_type(units=2)
    token = secrets.token_urlsafe(24)
    period = TimeRange(tomorrow_at(9), tomorrow_at(17))
    rid = BookingFacade().create_reservation(
        CreateReservation(make_customer(), fleet.type_id, period, 1, PricingBasis.HOURLY, token)
    )
    return fleet, BookingFacade().get_reservation(rid), token


def _refused(response) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 400, (response.status_code, body[:300])
    assert CONTROL_MESSAGE in body and "Traceback" not in body


def test_nul_bytes_in_public_addresses_get_a_clear_400(app, client, booked):
    fleet, reservation, token = booked
    before = database_fingerprint(db.engine)
    for url in (
        "/catalog?q=a%00b",
        f"/catalog/{fleet.slug[:3]}%00{fleet.slug[3:]}",
        f"/book/{fleet.slug[:3]}%00{fleet.slug[3:]}",
        f"/book/{fleet.slug}?start=2030-01-01T09:00%00",
        f"/r/{reservation.reference[:5]}%00{reservation.reference[5:]}/{token}",
        f"/book/review/{reservation.reference}/{token}%00",
        "/catalog?%00=x",
    ):
        _refused(client.get(url))
        _refused(client.get(url, headers={"HX-Request": "true"}))
    assert changed_tables(before, database_fingerprint(db.engine)) == []


def test_nul_bytes_in_public_forms_are_refused_and_change_nothing(app, client, booked):
    fleet, reservation, token = booked
    csrf = csrf_token(client, f"/book/{fleet.slug}")
    before = database_fingerprint(db.engine)
    _refused(client.post("/login", data={"email": "a\x00@example.com", "csrf_token": csrf}))
    _refused(
        client.post(
            f"/r/{reservation.reference}/{token}/cancel",
            data={"reason": "changed\x00my mind", "csrf_token": csrf},
        )
    )
    _refused(
        client.post(
            f"/book/{fleet.slug}/details",
            data={"name": "Jo\x00", "csrf_token": csrf},
            headers={"HX-Request": "true"},
        )
    )
    _refused(client.post("/login", data={"em\x00ail": "x", "csrf_token": csrf}))
    assert changed_tables(before, database_fingerprint(db.engine)) == []
    assert BookingFacade().get_reservation(reservation.id).status.value == "PENDING"


def test_nul_bytes_in_staff_searches_and_forms_are_refused(app, admin_client):
    before = database_fingerprint(db.engine)
    _refused(admin_client.get("/admin/customers?q=a%00b"))
    _refused(admin_client.get("/admin/reservations/?q=RK%00"))
    csrf = csrf_token(admin_client, "/admin/")
    _refused(
        admin_client.post(
            "/admin/catalog/categories", data={"name": "Po\x00wer", "csrf_token": csrf}
        )
    )
    assert changed_tables(before, database_fingerprint(db.engine)) == []


def test_control_characters_in_a_json_body_are_refused_too(app, client):
    token = csrf_token(client, "/login")
    response = client.post(
        "/login", json={"email": ["ok", {"nested": "a\u0000b"}]}, headers={"X-CSRFToken": token}
    )
    _refused(response)


def test_line_breaks_and_tabs_in_form_text_are_fine(app, admin_client):
    fleet = make_type(units=1)
    csrf = csrf_token(admin_client, "/admin/")
    response = admin_client.post(
        f"/admin/catalog/types/{fleet.type_id}",
        data={
            "name": "Tab\tName",
            "category_id": fleet.category_id,
            "description": "Line one\r\n\tLine two",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 303
    details = CatalogFacade().get_equipment_type_details(fleet.type_id)
    assert details.name == "Tab Name" and details.description == "Line one\n Line two"


def test_a_daily_booking_in_year_9999_is_explained_not_a_500(app, client):
    fleet = make_type(units=1)
    params = {"basis": "daily", "start_date": "9999-12-31", "end_date": "9999-12-31"}
    for headers in ({}, {"HX-Request": "true"}):
        response = client.get(f"/book/{fleet.slug}", query_string=params, headers=headers)
        assert response.status_code == 422
        assert "between the years 2000 and 2999" in response.get_data(as_text=True)
    hourly = {"basis": "hourly", "start": "9999-12-31T22:00", "end": "9999-12-31T23:00"}
    response = client.get(f"/book/{fleet.slug}", query_string=hourly)
    assert response.status_code == 422


def test_far_and_odd_filters_and_page_numbers_are_harmless(app, admin_client, client):
    make_type(units=1)
    filtered = admin_client.get("/admin/reservations/?to=9999-12-31&from=2030-02-30")
    body = filtered.get_data(as_text=True)
    assert filtered.status_code == 200
    assert "between the years 2000 and 2999" in body and "not a day in the calendar" in body
    for url in (
        "/admin/reservations/?page=9223372036854775807",
        "/admin/customers?page=9223372036854775807",
        "/admin/customers?page=%C2%B2",
        "/admin/catalog/?page=%C2%B2",
    ):
        assert admin_client.get(url).status_code == 200, url
    for url in ("/catalog?page=9223372036854775807", "/catalog?page=%C2%B2"):
        assert client.get(url).status_code == 200, url
    spec = client.get("/catalog?spec.power_kw.min=1e309&spec.power_kw.max=NaN")
    assert spec.status_code == 200


@pytest.mark.parametrize("message_id", ["²", "1" * 25, "-1", "1e3"])
def test_odd_outbox_message_ids_are_a_400(app, admin_client, message_id):
    response = admin_client.post(
        "/admin/outbox/requeue",
        data={"message_id": message_id, "csrf_token": csrf_token(admin_client, "/admin/")},
    )
    assert response.status_code == 400
    assert "message id" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("hourly", "1e309", "Enter the hourly rate as a number"),
        ("daily", "NaN", "Enter the daily rate as a number"),
        ("hourly", "99999999999999", "The hourly rate can be at most €1,000,000.00"),
        ("minimum_hours", "9" * 30, "at most 90 days"),
        ("weekly", "9" * 50, "too long"),
        ("minimum_hours", "99999999", "at most 90 days"),
    ],
)
def test_absurd_rate_card_numbers_are_refused_next_to_the_field(
    app, admin_client, field, value, message
):
    fleet = make_type(units=1)
    form = {"hourly": "10", "daily": "50", "currency": "EUR", "minimum_hours": "1"}
    csrf = csrf_token(admin_client, "/admin/")
    for headers in ({}, {"HX-Request": "true"}):
        response = admin_client.post(
            f"/admin/pricing/{fleet.type_id}",
            data={**form, field: value, "csrf_token": csrf},
            headers=headers,
        )
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and message in body
        assert f'id="{field}-error"' in body or f'id="f-{field}-error"' in body


def test_absurd_spec_numbers_are_refused_next_to_the_row(app, admin_client):
    fleet = make_type(units=1)
    response = admin_client.post(
        f"/admin/catalog/types/{fleet.type_id}",
        data={
            "name": "Generator",
            "category_id": fleet.category_id,
            "spec_key-0": "power_kw",
            "spec_kind-0": "number",
            "spec_value-0": "1e309",
            "csrf_token": csrf_token(admin_client, "/admin/"),
        },
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Enter the value of power_kw as a number" in response.get_data(as_text=True)
