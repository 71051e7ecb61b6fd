"""Hold flooding: the public booking form and the confirmation are rate limited per client IP
and per typed e-mail, with a clear 429 that says when to retry. A refused request changes
nothing (no customer, no hold); other visitors are not affected; time is moved, not slept."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import func, select

from rental.booking import BookingFacade, CreateReservation, ListReservations, PricingBasis
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.shared.throttle import parse_limit
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_booking_pages import DETAILS, request_params
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at


@pytest.fixture(autouse=True)
def _without_open_booking_caps(app, monkeypatch):
    """These tests watch the request-rate limits. The caps on bookings waiting for
    confirmation are a second, separate defence (test_hold_flooding.py) that would refuse
    first, so they are lifted here."""
    monkeypatch.setitem(app.config, "BOOKING_OPEN_PER_EMAIL", 1000)
    monkeypatch.setitem(app.config, "BOOKING_OPEN_PER_IP", 1000)


def visitor(app, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def hold(client, slug: str, email: str, token: str, **headers):
    return client.post(
        f"/book/{slug}/details",
        data={**request_params(), **DETAILS, "email": email, "csrf_token": token},
        headers=headers,
    )


def amount(app, setting: str) -> int:
    return parse_limit(app.config[setting]).amount


def holds() -> int:
    return BookingFacade().list_reservations(ListReservations()).total


def customers() -> int:
    from rental.customers.infrastructure.entities import CustomerEntity

    count = db.session.scalar(select(func.count()).select_from(CustomerEntity))
    db.session.rollback()
    return count


def test_hold_flooding_from_one_ip_is_stopped_with_a_clear_429(app, throttle_clock):
    fleet = make_type(units=40)
    per_ip = amount(app, "BOOKING_HOLDS_PER_IP")
    flooder = visitor(app, "203.0.113.5")
    token = csrf_token(flooder, f"/book/{fleet.slug}")
    made = [hold(flooder, fleet.slug, f"f{n}@example.com", token) for n in range(per_ip)]
    assert [r.status_code for r in made] == [303] * per_ip
    before = (holds(), customers())

    refused = hold(flooder, fleet.slug, "one.more@example.com", token)
    assert refused.status_code == 429
    retry_after = int(refused.headers["Retry-After"])
    assert 0 < retry_after <= 3600
    body = refused.get_data(as_text=True)
    assert "Many bookings have been started from your network" in body
    assert "Please try again in about" in body and "(at " in body
    assert refused.headers["Cache-Control"] == "no-store"
    # Nothing was written for the refused request.
    assert (holds(), customers()) == before
    assert CustomerFacade().find_customer_by_email("one.more@example.com") is None

    # htmx gets the same answer as a notice in #notifications.
    htmx = hold(flooder, fleet.slug, "one.more@example.com", token, **{"HX-Request": "true"})
    assert htmx.status_code == 429 and htmx.headers["HX-Retarget"] == "#notifications"
    assert "Many bookings have been started" in htmx.get_data(as_text=True)
    assert "<html" not in htmx.get_data(as_text=True)

    # Another visitor is not affected.
    other = visitor(app, "203.0.113.6")
    other_token = csrf_token(other, f"/book/{fleet.slug}")
    assert hold(other, fleet.slug, "neighbour@example.com", other_token).status_code == 303

    # When the window is over, the flooder's network may book again.
    throttle_clock.advance(retry_after - 1)
    assert hold(flooder, fleet.slug, "one.more@example.com", token).status_code == 429
    throttle_clock.advance(1)
    assert hold(flooder, fleet.slug, "one.more@example.com", token).status_code == 303


def test_holds_per_email_are_limited_whatever_the_ip(app):
    fleet = make_type(units=20)
    per_email = amount(app, "BOOKING_HOLDS_PER_EMAIL")
    statuses = []
    for n in range(per_email + 1):
        client = visitor(app, f"198.51.100.{n + 1}")
        # The same address typed differently is the same e-mail.
        email = "Jo@Example.com " if n % 2 else "jo@example.com"
        statuses.append(hold(client, fleet.slug, email, csrf_token(client)).status_code)
    assert statuses == [303] * per_email + [429]
    assert holds() == per_email
    last = visitor(app, f"198.51.100.{per_email + 1}")
    refused = hold(last, fleet.slug, "jo@example.com", csrf_token(last))
    assert "with this e-mail address" in refused.get_data(as_text=True)
    # The same network with another e-mail is fine.
    assert hold(last, fleet.slug, "someone.else@example.com", csrf_token(last)).status_code == 303


def test_form_errors_and_conflicts_do_not_use_up_the_limit(app):
    fleet = make_type(units=1)
    per_ip = amount(app, "BOOKING_HOLDS_PER_IP")
    client = visitor(app, "192.0.2.50")
    token = csrf_token(client)
    for _ in range(per_ip + 2):
        assert hold(client, fleet.slug, "not-an-email", token).status_code == 422
    assert hold(client, fleet.slug, "first@example.com", token).status_code == 303
    for n in range(per_ip + 2):  # sold out: 409, nothing made
        assert hold(client, fleet.slug, f"late{n}@example.com", token).status_code == 409
    assert holds() == 1


def _pending_holds(count: int) -> list[tuple[str, str]]:
    """(reference, manage token) of `count` holds made through the facade."""
    fleet = make_type(units=count)
    period = TimeRange(tomorrow_at(9), tomorrow_at(12))
    made = []
    for n in range(count):
        token = secrets.token_urlsafe(24)
        customer = make_customer(f"c{n}-{secrets.token_hex(3)}@example.com")
        reservation_id = BookingFacade().create_reservation(
            CreateReservation(customer, fleet.type_id, period, 1, PricingBasis.HOURLY, token)
        )
        made.append((BookingFacade().get_reservation(reservation_id).reference, token))
    return made


def test_confirmations_per_ip_are_limited(app, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKING_CONFIRMS_PER_IP", "3 per hour")
    pending = _pending_holds(5)
    client = visitor(app, "192.0.2.77")
    token = csrf_token(client)
    statuses = [
        client.post(f"/book/review/{ref}/{manage}", data={"csrf_token": token}).status_code
        for ref, manage in pending[:4]
    ]
    assert statuses == [303, 303, 303, 429]
    ref, manage = pending[3]
    assert BookingFacade().get_reservation_for_customer(ref, manage).status.value == "PENDING"
    other = visitor(app, "192.0.2.78")
    ref, manage = pending[4]
    response = other.post(f"/book/review/{ref}/{manage}", data={"csrf_token": csrf_token(other)})
    assert response.status_code == 303


def test_limits_can_be_switched_off(app, monkeypatch):
    monkeypatch.setitem(app.config, "BOOKING_HOLDS_PER_IP", "off")
    monkeypatch.setitem(app.config, "BOOKING_HOLDS_PER_EMAIL", "off")
    fleet = make_type(units=15)
    client = visitor(app, "192.0.2.90")
    token = csrf_token(client)
    statuses = {hold(client, fleet.slug, f"x{n}@example.com", token).status_code for n in range(12)}
    assert statuses == {303}
