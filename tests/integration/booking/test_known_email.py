"""An e-mail is not an identity (issue 11, "Customers and staff lookup"): anyone can type
anyone's. On both databases, through the pages and the facades:

- a known e-mail books under the stored customer, whose profile is neither used from what was
  typed nor overwritten; what was typed differently is kept on the reservation for staff,
  shown on the reservation page, and removed when staff mark it reviewed or the customer is
  anonymised;
- the review page says the e-mail is known and the details on file are used, without showing
  them — and says so whether or not the typed details match, so it cannot be used to guess
  them;
- a suspended or anonymised customer gets the same neutral refusal as the other refusals about
  an account, word for word, without its state."""

from __future__ import annotations

import html
import json
import re
import secrets

import pytest
from sqlalchemy import select

from rental.booking import BookingFacade, BookOnline, ListReservations, PricingBasis
from rental.customers import CustomerDetailsInput, CustomerFacade
from rental.extensions import db
from rental.shared.errors import ConflictError
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import TimeRange
from tests.integration.booking.test_booking_pages import DETAILS, request_params
from tests.support.auth import csrf_token
from tests.support.fingerprint import database_fingerprint
from tests.support.fleet import make_type, tomorrow_at

STORED = DETAILS  # the customer on file: Jo Builder, jo@example.com, Berlin
TYPED = {
    **DETAILS,
    "email": "JO@example.com",
    "name": "Mallory Intruder",
    "phone": "+44 20 7946 0000",
    "city": "London",
}
NEUTRAL = "We could not take this booking online; please call us."
COUNTERS = frozenset({"throttle_counters"})  # the public pages' rate limits count requests


def book(client, slug: str, details: dict[str, str], *, hours=(9, 17), network="203.0.113.7"):
    token = csrf_token(client, f"/book/{slug}")
    return client.post(
        f"/book/{slug}/details",
        data={**request_params(hours), **details, "csrf_token": token},
        environ_base={"REMOTE_ADDR": network},
    )


def reservations() -> list:
    page = BookingFacade().list_reservations(ListReservations(oldest_first=True, page_size=100))
    db.session.rollback()
    return list(page.items)


def form_error(body: str) -> str:
    match = re.search(
        r'<div class="notice notice-error" role="alert" id="form-error">.*?</div>', body, re.S
    )
    assert match, "no form error on the page"
    return match.group(0)


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


# --- a known e-mail -----------------------------------------------------------------------------


def test_a_known_email_books_under_the_stored_profile_and_keeps_what_was_typed_for_staff(
    app, client, admin_client
):
    fleet = make_type(units=3)
    assert book(client, fleet.slug, STORED, hours=(8, 9)).status_code == 303
    customer = CustomerFacade().find_customer_by_email("jo@example.com")
    assert customer is not None

    response = book(client, fleet.slug, TYPED)
    assert response.status_code == 303
    first, second = reservations()
    assert second.customer_id == customer.id and second.customer_known
    assert first.typed_details is None  # a new customer: nothing to compare
    # The profile on file is neither replaced nor changed by what was typed.
    assert CustomerFacade().get_customer_by_id(customer.id) == customer
    rows = {field: (typed, differs) for field, _, typed, differs in second.typed_details.rows()}
    assert rows["name"] == ("Mallory Intruder", True)
    assert rows["phone"] == ("+44 20 7946 0000", True)
    assert rows["city"] == ("London", True)
    assert rows["street"] == ("Baustr. 7", False)

    # The visitor: told the e-mail is known and the details on file are used, shown none.
    review = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="details-on-file"' in review
    assert "We already know this e-mail address" in review
    assert "Jo Builder" not in review and "555 0101" not in review and "Berlin" not in review

    # Staff: the reservation page marks it and shows both sides; the list flags it.
    detail = admin_client.get(f"/admin/reservations/{second.id}").get_data(as_text=True)
    assert "Details typed at booking differ from the customer's profile" in detail
    section = detail[detail.index('id="typed-details"') : detail.index("</section>")]
    assert "Mallory Intruder" in section and "Jo Builder" in section
    assert section.count(">differs</span>") == 3
    listed = admin_client.get("/admin/reservations/").get_data(as_text=True)
    assert listed.count("DETAILS DIFFER") == 1

    # Reviewed: the typed details go, the profile stays.
    reviewed = admin_client.post(
        f"/admin/reservations/{second.id}/typed-details/reviewed",
        data={"csrf_token": csrf_token(admin_client, f"/admin/reservations/{second.id}")},
    )
    assert reviewed.status_code == 303
    assert BookingFacade().get_reservation(second.id).typed_details is None
    after = admin_client.get(f"/admin/reservations/{second.id}").get_data(as_text=True)
    assert 'id="typed-details"' not in after and "Mallory" not in after
    assert CustomerFacade().get_customer_by_id(customer.id) == customer


def test_the_review_page_says_the_same_whether_or_not_the_typed_details_match(app, client):
    """Otherwise it would tell a visitor when a guessed name or phone number is right."""
    fleet = make_type(units=3)
    assert book(client, fleet.slug, STORED, hours=(8, 9)).status_code == 303
    matching = book(client, fleet.slug, {**STORED, "name": "JO  builder"}, hours=(10, 11))
    differing = book(client, fleet.slug, TYPED, hours=(12, 13))
    notices = []
    for response in (matching, differing):
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        notices.append(re.search(r'<p [^>]*id="details-on-file">.*?</p>', page, re.S).group(0))
    assert notices[0] == notices[1]
    new, same, other = reservations()
    assert not new.customer_known and same.customer_known and other.customer_known
    assert same.typed_details is None and other.typed_details is not None
    # A new customer's review page says nothing of the kind.
    fresh = book(client, fleet.slug, {**STORED, "email": "new@example.com"}, hours=(14, 15))
    assert 'id="details-on-file"' not in client.get(fresh.headers["Location"]).get_data(
        as_text=True
    )


def test_the_facade_keeps_typed_details_off_the_events_and_in_the_privacy_export(app):
    fleet = make_type(units=3)
    customers = CustomerFacade()
    stored = customers.ensure_customer(CustomerDetailsInput(**STORED))
    period = TimeRange(tomorrow_at(9), tomorrow_at(17))
    reference = BookingFacade().book_online(
        BookOnline(
            CustomerDetailsInput(**TYPED),
            fleet.type_id,
            period,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
        )
    )
    (reservation,) = reservations()
    assert reservation.reference == reference and reservation.customer_id == stored
    payloads = db.session.scalars(select(OutboxMessageEntity.payload)).all()
    assert payloads and not any("Mallory" in json.dumps(p) for p in payloads)
    export = customers.export_customer_data(stored)
    typed = export["reservations"][0]["details_typed_at_booking"]
    assert typed["name"] == "Mallory Intruder" and typed["differs"] == ["name", "phone", "city"]
    assert export["customer"]["name"] == "Jo Builder"


def test_anonymising_the_customer_removes_the_details_typed_at_booking(app, client):
    fleet = make_type(units=3)
    assert book(client, fleet.slug, STORED, hours=(8, 9)).status_code == 303
    assert book(client, fleet.slug, TYPED).status_code == 303
    customer_id = reservations()[0].customer_id
    drain()
    CustomerFacade().anonymise_customer(customer_id)
    drain()  # Booking hears CustomerAnonymised
    assert all(r.typed_details is None for r in reservations())
    export = CustomerFacade().export_customer_data(customer_id)
    assert "Mallory" not in json.dumps(export)


# --- refusals -----------------------------------------------------------------------------------


@pytest.mark.parametrize("phone", ["", "+49 30 1234 567"])
def test_a_suspended_customer_gets_word_for_word_the_refusal_a_full_email_gets(
    app, client, monkeypatch, phone
):
    """Another refusal about an account — three bookings already waiting under the e-mail —
    and a suspended account answer the same status and the same words, so typing an e-mail
    tells nothing about its account; nothing is written."""
    monkeypatch.setitem(app.config, "SHOP_PHONE", phone)
    fleet = make_type(units=12)
    for hours in ((8, 9), (10, 11), (12, 13)):
        assert book(client, fleet.slug, STORED, hours=hours).status_code == 303
    CustomerFacade().ensure_customer(CustomerDetailsInput(**{**STORED, "email": "sus@example.com"}))
    CustomerFacade().suspend_customer(CustomerFacade().find_customer_by_email("sus@example.com").id)
    db.session.rollback()
    before = database_fingerprint(db.engine, skip=COUNTERS)

    full = book(client, fleet.slug, TYPED, hours=(14, 15), network="198.51.100.1")
    suspended = book(
        client,
        fleet.slug,
        {**TYPED, "email": "sus@example.com"},
        hours=(14, 15),
        network="198.51.100.1",
    )

    assert full.status_code == suspended.status_code == 409
    bodies = [r.get_data(as_text=True) for r in (full, suspended)]
    assert form_error(bodies[0]) == form_error(bodies[1])
    expected = f"{NEUTRAL[:-1]} on {phone}." if phone else NEUTRAL
    assert html.escape(expected) in form_error(bodies[1])
    for body in bodies:
        assert "suspend" not in body.lower() and "waiting" not in body.lower()
        assert "Jo Builder" not in body  # the profile on file is not shown either
    assert database_fingerprint(db.engine, skip=COUNTERS) == before


def test_a_customer_suspended_or_anonymised_after_the_hold_gets_the_same_words_on_confirm(
    app, client
):
    fleet = make_type(units=3)
    response = book(client, fleet.slug, STORED)
    review = response.headers["Location"]
    customer_id = reservations()[0].customer_id
    CustomerFacade().suspend_customer(customer_id)
    token = csrf_token(client, review)
    suspended = client.post(review, data={"csrf_token": token})
    CustomerFacade().reactivate_customer(customer_id)
    CustomerFacade().anonymise_customer(customer_id)
    anonymised = client.post(review, data={"csrf_token": token})
    texts = []
    for refused in (suspended, anonymised):
        body = refused.get_data(as_text=True)
        assert refused.status_code == 409 and NEUTRAL in body
        assert "anonymis" not in body.lower() and "suspend" not in body.lower()
        texts.append(
            re.search(r'<div class="notice notice-error" role="alert">(.*?)<a', body, re.S)
        )
    assert texts[0].group(1) == texts[1].group(1)
    assert reservations()[0].status.value == "PENDING"


def test_the_facade_refusal_for_a_suspended_customer_is_the_neutral_conflict(app):
    fleet = make_type(units=3)
    customers = CustomerFacade()
    customer_id = customers.ensure_customer(CustomerDetailsInput(**STORED))
    customers.suspend_customer(customer_id)
    with pytest.raises(ConflictError) as refused:
        BookingFacade().book_online(
            BookOnline(
                CustomerDetailsInput(**STORED),
                fleet.type_id,
                TimeRange(tomorrow_at(9), tomorrow_at(17)),
                1,
                PricingBasis.HOURLY,
                secrets.token_urlsafe(24),
            )
        )
    assert refused.value.message == NEUTRAL and refused.value.field is None
    assert reservations() == []
