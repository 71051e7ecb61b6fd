"""The customer's "E-mails and messages" on the manage page, on SQLite and PostgreSQL: all
off by default; a change is stored with the consent log's source `customer`; CSRF; tampered
or repeated values are a 422 with the message and change nothing; another booking's token is
a 404."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from rental.booking import BookingChannel, BookingFacade, CreateReservation, PricingBasis
from rental.crm import CRMFacade, Preferences
from rental.crm.infrastructure.entities import ConsentLogEntity, PreferencesEntity
from rental.extensions import db
from tests.integration.crm.test_projections import PERIOD
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type


def booked() -> tuple[str, str, str]:
    """(customer, reference, token) of a confirmed booking."""
    customer, token = make_customer(), secrets.token_urlsafe(24)
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            customer,
            make_type(deposit=None).type_id,
            PERIOD,
            1,
            PricingBasis.HOURLY,
            token,
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    reference = booking.get_reservation(rid).reference
    db.session.rollback()
    return customer, reference, token


def preferences(customer: str) -> Preferences:
    prefs = CRMFacade().get_preferences(customer)
    db.session.rollback()
    return prefs


def consent_log(customer: str) -> list[tuple]:
    rows = db.session.execute(
        select(ConsentLogEntity.field, ConsentLogEntity.value, ConsentLogEntity.source)
        .where(ConsentLogEntity.customer_id == customer)
        .order_by(ConsentLogEntity.id)
    ).all()
    db.session.rollback()
    return [tuple(r) for r in rows]


def post(client, reference: str, token: str, data, status: int):
    url = f"/r/{reference}/{token}/preferences"
    form = [("csrf_token", csrf_token(client, f"/r/{reference}/{token}")), *data]
    answer = client.post(url, data=MultiDict(form))
    assert answer.status_code == status, answer.get_data(as_text=True)[:1500]
    return answer


def test_the_manage_page_shows_the_form_all_off_by_default(app, client):
    _, reference, token = booked()
    body = client.get(f"/r/{reference}/{token}").get_data(as_text=True)
    assert "E-mails and messages" in body
    assert f'action="/r/{reference}/{token}/preferences"' in body
    for name in ("marketing_email", "sms", "newsletter"):
        assert f'name="{name}" value="1">' in body  # not checked


def test_the_customer_changes_them_and_the_consent_log_says_customer(app, client):
    customer, reference, token = booked()
    answer = post(client, reference, token, [("marketing_email", "1"), ("newsletter", "1")], 303)
    assert answer.headers["Location"].endswith(f"/r/{reference}/{token}#contact-preferences")
    assert preferences(customer) == Preferences(True, False, True)
    assert consent_log(customer) == [
        ("marketing_email", True, "customer"),
        ("newsletter", True, "customer"),
    ]
    body = client.get(f"/r/{reference}/{token}").get_data(as_text=True)
    assert 'name="marketing_email" value="1" checked' in body
    assert "Saved: Marketing e-mail on, Newsletter on." in body

    post(client, reference, token, [("newsletter", "1")], 303)  # marketing e-mail off
    assert preferences(customer) == Preferences(False, False, True)
    assert consent_log(customer)[-1] == ("marketing_email", False, "customer")
    post(client, reference, token, [("newsletter", "1")], 303)  # the same: nothing logged
    assert len(consent_log(customer)) == 3


def test_tampered_or_repeated_values_are_422_and_change_nothing(app, client):
    customer, reference, token = booked()
    post(client, reference, token, [("sms", "1")], 303)
    before = preferences(customer), consent_log(customer)
    for data in (
        [("sms", "maybe")],
        [("newsletter", "1"), ("newsletter", "0")],
        [("marketing_email", "1"), ("sms", "x" * 5000)],
    ):
        answer = post(client, reference, token, data, 422)
        body = answer.get_data(as_text=True)
        assert 'id="manage-error"' in body
        assert "one value only" in body or "tick the box or leave it empty" in body
        assert (preferences(customer), consent_log(customer)) == before


def test_without_csrf_or_with_another_bookings_token_nothing_changes(app, client):
    customer, reference, token = booked()
    _, other_reference, other_token = booked()
    answer = client.post(f"/r/{reference}/{token}/preferences", data={"sms": "1"})
    assert answer.status_code in (400, 403)
    post(client, reference, other_token, [("sms", "1")], 404)
    post(client, other_reference, token, [("sms", "1")], 404)
    post(client, reference, "not-the-token", [("sms", "1")], 404)
    assert preferences(customer) == Preferences()
    assert (
        db.session.scalar(
            select(PreferencesEntity).where(PreferencesEntity.customer_id == customer)
        )
        is None
    )
    db.session.rollback()
