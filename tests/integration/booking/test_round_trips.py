"""Round trips to the database on the two busiest customer requests, counted on both
databases. Every statement costs a network round trip on PostgreSQL, and a request that reads
the same row twice usually states a rule twice as well, so the budgets hold the line:
the availability check in at most 6 statements and the details POST (find or register the
customer, place the hold, write its events) in at most 14.

Transaction control is not counted (tests/support/statements.py). Measured on both databases
(2026-11): availability 4; details POST 11 on SQLite and 12 on PostgreSQL, whose three
advisory locks (customer, network, type) are one statement. The shop's opening hours
(rental.shop, the rule for hourly bookings) added one read to each, once per request; the
details POST got it back by writing a transaction's outbox messages in one INSERT at the commit
(rental.shared.db.add_on_commit): availability 5, details POST 11 / 12 (2026-11-26). Orders
(a booking is an order of one or more lines) added the order's row: one more INSERT, 13 on
both (2026-11-26; with SQLAlchemy 2.1 the outbox rows go as one INSERT each on SQLite).
Loyalty pricing (issue 13) prices the hold for the customer: one read of CRM's loyalty row
(crm_loyalty, once per customer and request; the anonymous availability check reads none),
14 (2026-11-26).

These budgets are for a request that finds nothing in the web process's reference cache (the
first after a change to the catalog, rate cards, fleet or settings; `cold_statements`). Once
kept there (rental.shared.reference_cache, 2026-11-27) a request reads the cache's token
instead of them: the availability check then costs 3 — the token, the fleet with its
maintenance windows, and the reservations."""

from __future__ import annotations

import pytest

from rental.booking import BookingFacade, ListReservations
from tests.integration.booking.test_booking_pages import DETAILS, request_params
from tests.support.auth import csrf_token
from tests.support.fleet import make_type
from tests.support.statements import cold_statements, explain, reading, statements, token_reads

AVAILABILITY_BUDGET = 6
DETAILS_BUDGET = 14  # 13 + the customer's loyalty row (issue 13)


def shop_reads(seen: list[str]) -> int:
    return len(reading(seen, "shop_settings"))


@pytest.fixture
def fleet(app):
    return make_type(units=3)


def test_availability_check_stays_within_its_budget(app, client, fleet):
    url = f"/book/{fleet.slug}"
    client.get(url, query_string=request_params())  # warm: settings and caches
    with cold_statements() as seen:
        page = client.get(url, query_string=request_params(qty=2))
    assert page.status_code == 200 and "AVAILABLE" in page.get_data(as_text=True)
    assert len(seen) <= AVAILABILITY_BUDGET and shop_reads(seen) == 1, explain(seen)


def test_a_warm_availability_check_reads_the_token_the_fleet_and_the_reservations(
    app, client, fleet
):
    url = f"/book/{fleet.slug}"
    client.get(url, query_string=request_params())  # keeps the reference data
    with statements() as seen:
        page = client.get(url, query_string=request_params(qty=2))
    assert page.status_code == 200 and "AVAILABLE" in page.get_data(as_text=True)
    assert len(token_reads(seen)) == 1, explain(seen)
    assert len(reading(seen, "inventory_items")) == 1, explain(seen)
    assert len(reading(seen, "booking_reservations")) == 1, explain(seen)
    assert len(seen) == 3, explain(seen)


def test_a_not_available_answer_with_its_alternatives_stays_within_its_budget(app, client, fleet):
    """ "Not available" also looks for the earliest free period and similar free types: a
    few statements more (measured 7), held so they cannot silently grow."""
    url = f"/book/{fleet.slug}"
    token = csrf_token(client, url)
    booked = client.post(
        f"{url}/details", data={**request_params(qty=2), **DETAILS, "csrf_token": token}
    )
    assert booked.status_code == 303
    with cold_statements() as seen:
        page = client.get(url, query_string=request_params(qty=2))
    assert page.status_code == 200 and "NOT AVAILABLE" in page.get_data(as_text=True)
    assert len(seen) <= AVAILABILITY_BUDGET + 4, explain(seen)


def test_details_post_places_the_hold_within_its_budget(app, client, fleet):
    url = f"/book/{fleet.slug}"
    token = csrf_token(client, url)
    client.get(url, query_string=request_params())  # warm: settings and caches
    with cold_statements() as seen:
        response = client.post(
            f"{url}/details", data={**request_params(), **DETAILS, "csrf_token": token}
        )
    assert response.status_code == 303
    assert BookingFacade().list_reservations(ListReservations()).total == 1
    assert len(seen) <= DETAILS_BUDGET and shop_reads(seen) == 1, explain(seen)


def test_details_post_for_a_returning_customer_stays_within_its_budget(app, client, fleet):
    url = f"/book/{fleet.slug}"
    token = csrf_token(client, url)
    first = client.post(
        f"{url}/details", data={**request_params((8, 9)), **DETAILS, "csrf_token": token}
    )
    assert first.status_code == 303
    with cold_statements() as seen:
        again = client.post(
            f"{url}/details", data={**request_params((10, 12)), **DETAILS, "csrf_token": token}
        )
    assert again.status_code == 303
    assert BookingFacade().list_reservations(ListReservations()).total == 2
    assert len(seen) <= DETAILS_BUDGET and shop_reads(seen) == 1, explain(seen)


def test_details_post_for_a_known_email_with_other_details_stays_within_its_budget(
    app, client, fleet
):
    """What was typed differently goes into the same INSERT: not one statement more."""
    url = f"/book/{fleet.slug}"
    token = csrf_token(client, url)
    first = client.post(
        f"{url}/details", data={**request_params((8, 9)), **DETAILS, "csrf_token": token}
    )
    assert first.status_code == 303
    other = {**DETAILS, "name": "Someone Else", "phone": "+1 555 0100"}
    with cold_statements() as seen:
        again = client.post(
            f"{url}/details", data={**request_params((10, 12)), **other, "csrf_token": token}
        )
    assert again.status_code == 303
    newest = BookingFacade().list_reservations(ListReservations()).items[0]
    assert newest.typed_details is not None and newest.typed_details.differs == ("name", "phone")
    assert len(seen) <= DETAILS_BUDGET and shop_reads(seen) == 1, explain(seen)
