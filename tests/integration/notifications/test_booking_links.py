"""The "Find my booking" page (/bookings/find) on SQLite and PostgreSQL: the same answer for a known
and an unknown address (status, headers, body); the e-mail through a real SMTP server
(aiosmtpd) listing only the customer's open orders, each with a link that opens its manage
page; a customer without open orders told so; an anonymised customer sent nothing; the rate
limits per IP and per address (the throttle clock moved, no sleeping); bad input answered
next to the field, nothing recorded or sent."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from rental.booking import BookingChannel, BookingFacade, OrderLine
from rental.contracts.notifications import BookingLinksRequested
from rental.customers import CustomerFacade
from rental.extensions import db
from rental.notifications import SENT
from rental.shared.outbox import OutboxMessageEntity
from tests.integration.notifications.test_mail import (
    customer_email,
    drain,
    parts,
    place,
    recorded,
    to,
)
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type

FIND = "/bookings/find"
ANSWER = (
    "If we have bookings for that address, we have sent the links to it. It can take a few "
    "minutes; check your spam folder."
)
FIELD_ERROR = re.compile(r'class="field-error">([^<]*)<')


def requests_recorded() -> list[dict]:
    rows = db.session.scalars(
        select(OutboxMessageEntity.payload).where(
            OutboxMessageEntity.event_type == BookingLinksRequested.event_type
        )
    ).all()
    db.session.rollback()
    return list(rows)


def ask(client, email: str, ip: str = "192.0.2.10", token: str | None = None, **kw):
    data = {"email": email, "csrf_token": token or csrf_token(client, FIND)}
    return client.post(FIND, data=data, environ_base={"REMOTE_ADDR": ip}, **kw)


def links_mails(smtp_sink, address: str) -> list:
    """The "find my booking" e-mails to `address` (not the confirmations and cancellations)."""
    return [
        m
        for m in smtp_sink.messages
        if to(m) == address and str(m["X-RentKit-Key"]).startswith("booking_links:")
    ]


# --- the page -------------------------------------------------------------------------------------


def test_the_page_has_a_labelled_email_field_and_is_linked_from_every_public_page(client):
    page = client.get(FIND)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>Find my booking</h1>" in html
    assert re.search(
        r'<label for="f-email">E-mail address\s*<input id="f-email" name="email"', html
    )
    assert 'name="csrf_token"' in html
    home = client.get("/").get_data(as_text=True)
    assert f'href="{FIND}" id="footer-find-booking"' in home


def test_a_known_and_an_unknown_address_get_the_same_answer(app, client):
    known = customer_email(make_customer())
    make_customer()  # somebody else, never asked for
    token = csrf_token(client, FIND)
    answers = [
        ask(client, address, token=token)
        for address in (known, "nobody-here@example.com", known.upper())
    ]
    first = answers[0]
    assert first.status_code == 303
    assert first.headers["Location"] == "/bookings/find/sent"
    for other in answers[1:]:
        assert other.status_code == first.status_code
        assert other.get_data() == first.get_data()
        assert sorted((k, v) for k, v in other.headers if k != "Date") == sorted(
            (k, v) for k, v in first.headers if k != "Date"
        )
    sent = client.get(first.headers["Location"])
    assert sent.status_code == 200 and ANSWER in sent.get_data(as_text=True)
    # The known address (typed twice, once in capitals) recorded two requests, by ID only;
    # the unknown one nothing. No e-mail address is in the outbox.
    recorded_ = requests_recorded()
    customer = CustomerFacade().find_customer_by_email(known)
    assert [r["customer_id"] for r in recorded_] == [customer.id, customer.id]
    assert len({r["request_id"] for r in recorded_}) == 2
    assert all(known not in str(r) and "@" not in str(r) for r in recorded_)


def test_htmx_gets_the_same_answer_in_the_page(app, client):
    response = client.post(
        FIND,
        data={"email": "x@example.com", "csrf_token": csrf_token(client, FIND)},
        headers={"HX-Request": "true"},
        follow_redirects=True,
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert ANSWER in body and "<html" not in body, "the answer block only"


# --- the e-mail -----------------------------------------------------------------------------------


def test_the_mail_lists_only_the_open_orders_each_with_a_link_that_opens_it(app, smtp, client):
    customer = make_customer()
    address = customer_email(customer)
    generator = make_type(deposit=None, name="Generator").type_id
    light = make_type(deposit=None, name="Light", hourly="5.00").type_id
    open_one = place(OrderLine(1, equipment_type_id=generator), customer=customer)
    open_two = place(
        OrderLine(1, equipment_type_id=generator),
        OrderLine(2, equipment_type_id=light),
        customer=customer,
        channel=BookingChannel.STAFF,
    )
    cancelled = place(OrderLine(1, equipment_type_id=light), customer=customer)
    BookingFacade().cancel_reservation(cancelled.first.id, "changed plans")
    someone_elses = place(OrderLine(1, equipment_type_id=generator))
    db.session.rollback()
    drain()

    assert ask(client, address).status_code == 303
    drain()
    mails = links_mails(smtp, address)
    assert len(mails) == 1, "one e-mail for all the orders"
    message = mails[0]
    assert str(message["Subject"]) == "Your bookings with Hafen Hire"
    text, html = parts(message)
    for part in (text, html):
        assert open_one.reference in part and open_two.reference in part
        assert cancelled.reference not in part
        assert someone_elses.reference not in part
        assert "Generator" in part and "2 × Light" in part
    # Each order's link opens its own manage page (signed, as the other e-mails carry).
    for order in (open_one, open_two):
        link = re.search(rf"https://hire\.example(/r/{order.reference}/[^\s\"<]+)", text)
        assert link and link.group(0) in html, order.reference
        page = client.get(link.group(1))
        assert page.status_code == 200
        assert order.reference in page.get_data(as_text=True)
    assert f"/r/{open_one.reference}/" not in text.split(open_two.reference)[1]
    row = next(r for r in recorded() if r.template == "booking_links")
    assert row.status == SENT and row.to_address == address and row.customer_id == customer
    assert row.order_id is None

    # Redelivered: nothing sent twice (keyed by the request).
    db.session.execute(OutboxMessageEntity.__table__.update().values(processed_at=None, attempts=0))
    db.session.execute(db.text("DELETE FROM outbox_inbox WHERE handler LIKE 'notifications.%'"))
    db.session.commit()
    drain()
    assert len(links_mails(smtp, address)) == 1


def test_without_open_orders_the_customer_is_told_so_with_the_catalog(app, smtp, client):
    customer = make_customer()
    address = customer_email(customer)
    finished = place(
        OrderLine(1, equipment_type_id=make_type(deposit=None).type_id), customer=customer
    )
    BookingFacade().cancel_reservation(finished.first.id, "no longer needed")
    db.session.rollback()
    drain()
    ask(client, address)
    drain()
    [message] = links_mails(smtp, address)
    assert str(message["Subject"]) == "No open bookings with Hafen Hire"
    text, html = parts(message)
    for part in (text, html):
        assert "no open bookings under this address" in part
        assert address in part
        assert "https://hire.example/catalog" in part
        assert finished.reference not in part and "/r/" not in part


def test_an_anonymised_customer_is_sent_nothing_and_nothing_is_recorded_after(app, smtp, client):
    customer = make_customer()
    address = customer_email(customer)
    ask(client, address)  # recorded while the customer still existed…
    CustomerFacade().anonymise_customer(customer)  # …and anonymised before the worker ran
    db.session.rollback()
    drain()
    assert links_mails(smtp, address) == [] and recorded() == []
    pending = db.session.scalar(
        select(func.count()).where(OutboxMessageEntity.processed_at.is_(None))
    )
    assert pending == 0, "handled, nothing left to retry"
    before = len(requests_recorded())
    assert ask(client, address).status_code == 303  # the same answer
    assert len(requests_recorded()) == before


# --- rate limits ----------------------------------------------------------------------------------


def test_at_most_five_requests_an_hour_from_one_ip(app, client, throttle_clock):
    known = customer_email(make_customer())
    for n in range(5):
        assert ask(client, f"other{n}@example.com", ip="198.51.100.7").status_code == 303
    refused = ask(client, known, ip="198.51.100.7")
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 3000
    body = refused.get_data(as_text=True)
    assert "Please try again in about an hour" in body
    assert requests_recorded() == [], "over the limit: nothing recorded"
    assert ask(client, known, ip="198.51.100.8").status_code == 303, "another network is fine"
    throttle_clock.advance(3601)
    assert ask(client, known, ip="198.51.100.7").status_code == 303
    assert len(requests_recorded()) == 2


def test_at_most_three_requests_a_day_for_one_address_from_any_ip(app, client, throttle_clock):
    known = customer_email(make_customer())
    for n in range(3):
        assert ask(client, known, ip=f"203.0.113.{n}").status_code == 303
    refused = ask(client, known.upper(), ip="203.0.113.99")
    assert refused.status_code == 429
    assert "this e-mail address" in refused.get_data(as_text=True)
    assert len(requests_recorded()) == 3
    # An unknown address is limited the same (the limit tells nothing either).
    for n in range(3):
        assert ask(client, "ghost@example.com", ip=f"203.0.114.{n}").status_code == 303
    assert ask(client, "ghost@example.com", ip="203.0.114.99").status_code == 429
    throttle_clock.advance(86401)
    assert ask(client, known, ip="203.0.113.99").status_code == 303
    assert len(requests_recorded()) == 4


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter an email address."),
        ("   ", "Enter an email address."),
        ("not-an-address", "Enter a valid email address, like name@example.com."),
        ("a@b", "Enter a valid email address, like name@example.com."),
        ("x" * 250 + "@example.com", "The email address is too long (at most 254 characters)."),
        ("x" * 321, "That is too long for an e-mail address"),
        ("x" * 1_000_000 + "@example.com", "That is too long for an e-mail address"),
    ],
    ids=["missing", "blank", "malformed", "no-domain", "too-long", "oversized", "megabyte"],
)
def test_bad_addresses_are_answered_next_to_the_field_and_record_nothing(
    app, client, email, message
):
    known = customer_email(make_customer())
    for _ in range(6):  # more than either limit: refused input is not counted
        response = ask(client, email)
        assert response.status_code == 422
        body = response.get_data(as_text=True)
        [error] = FIELD_ERROR.findall(body)
        assert error.startswith(message)
        assert 'aria-invalid="true"' in body and 'aria-describedby="f-email-error"' in body
        assert len(body) < 50_000, "a megabyte is not echoed back"
    assert requests_recorded() == []
    assert ask(client, known).status_code == 303, "the bad ones used up no limit"


def test_a_missing_field_and_an_htmx_error_are_answered_too(app, client):
    token = csrf_token(client, FIND)
    response = client.post(FIND, data={"csrf_token": token})
    assert response.status_code == 422
    assert FIELD_ERROR.findall(response.get_data(as_text=True)) == ["Enter an email address."]
    fragment = client.post(
        FIND, data={"email": "nope", "csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 422
    body = fragment.get_data(as_text=True)
    assert '<section id="find-booking"' in body and "<html" not in body
    assert FIELD_ERROR.findall(body) == ["Enter a valid email address, like name@example.com."]


def test_a_missing_tampered_or_replayed_csrf_token_is_refused_and_records_nothing(app, client):
    known = customer_email(make_customer())
    token = csrf_token(client, FIND)
    missing = client.post(FIND, data={"email": known})
    tampered = ask(
        client, known, token=token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    )
    # A token taken from another visitor's page, replayed without their session.
    stranger = app.test_client()
    replayed = ask(stranger, known, token=token)
    for response in (missing, tampered, replayed):
        assert response.status_code == 400
        assert "Your form has expired" in response.get_data(as_text=True)
    assert requests_recorded() == []
    assert ask(client, known, token=token).status_code == 303
    assert len(requests_recorded()) == 1


def test_a_body_over_the_request_limit_is_a_413_and_records_nothing(app, client):
    token = csrf_token(client, FIND)
    response = client.post(
        FIND, data={"email": "x" * (3 * 1024 * 1024) + "@example.com", "csrf_token": token}
    )
    assert response.status_code == 413
    assert requests_recorded() == []


# --- the links to the page ------------------------------------------------------------------------


def test_a_wrong_manage_link_points_to_find_my_booking(app, client):
    order = place(OrderLine(1, equipment_type_id=make_type(deposit=None).type_id))
    wrong = client.get(f"/r/{order.reference}/not-the-right-token-at-all-xxxxxxxx")
    assert wrong.status_code == 404
    assert f'href="{FIND}" role="button">Find my booking' in wrong.get_data(as_text=True)
    # Pages that are not about a booking keep their plain 404.
    other = client.get("/no-such-page")
    assert other.status_code == 404 and 'role="button">Find my booking' not in other.get_data(
        as_text=True
    )
