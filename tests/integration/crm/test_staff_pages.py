"""CRM's staff pages on SQLite and PostgreSQL: the customers by lifetime value (pages of 25,
the tier filter, bad parameters answered without a 500, useful empty states, staff only) and
the CSV exports of every read model (streamed, UTF-8 with a BOM, the header, the rows, cells
that a spreadsheet would run as formulas escaped, staff only). The projections are made by
CRM's own handlers through the real outbox."""

from __future__ import annotations

import csv
import io
import re

import pytest

from rental.contracts.booking import ReservationCompleted, ReservationConfirmed
from rental.contracts.payments import PaymentReceived, RefundIssued
from rental.crm import CRMFacade, UpdateCommunicationPreferences
from rental.extensions import db
from tests.integration.crm.test_projections import PERIOD, emit, ledger_event, line_event
from tests.integration.test_dashboard import words
from tests.support.fleet import make_customer, make_type

LIST = "/admin/crm/customers"
EXPORTS = ("rental-history", "loyalty", "lifetime-value", "preferences", "consent-log")


def paid(customer_id: str, amount: str, key: str) -> PaymentReceived:
    return ledger_event(PaymentReceived, customer_id, amount, f"entry-{key}")


def completed(customer_id: str, total: str, key: str) -> list:
    """A line confirmed and completed: `total` / 10 loyalty points."""
    return [
        line_event(cls, customer_id, sequence=n, total=total, reservation_id=f"line-{key}")
        for n, cls in ((1, ReservationConfirmed), (2, ReservationCompleted))
    ]


def rows_of(table_html: str) -> list[str]:
    body = re.search(r"<tbody>.*?</tbody>", table_html, re.S).group(0)
    return re.findall(r"<tr>.*?</tr>", body, re.S)


# --- the list -------------------------------------------------------------------------------


def test_customers_by_lifetime_value_a_page_at_a_time_and_by_tier(app, staff_client):
    gold, silver = make_customer(), make_customer()
    others = [make_customer() for _ in range(25)]
    emit(
        paid(gold, "9000", "gold"),
        paid(silver, "8000", "silver"),
        *(paid(c, str(100 + n), f"o{n}") for n, c in enumerate(others)),
        *completed(gold, "6000", "gold"),  # 600 points
        *completed(silver, "1500", "silver"),  # 150 points
    )
    first = staff_client.get(LIST)
    assert first.status_code == 200
    text = first.get_data(as_text=True)
    table = re.search(r'<table class="customers-table" id="crm-top-table">.*?</table>', text, re.S)
    rows = rows_of(table.group(0))
    assert len(rows) == 25
    assert "27 customers with payments · page 1 of 2" in words(first)
    # The highest first, each with tier, points and value, linked to the customer's page.
    assert f'href="/admin/customers/{gold}"' in rows[0] and "Gold" in rows[0]
    assert ">600<" in rows[0] and "€9,000.00" in rows[0]
    assert f'href="/admin/customers/{silver}"' in rows[1] and "Silver" in rows[1]
    assert ">150<" in rows[1] and "€8,000.00" in rows[1]
    assert "Bronze" in rows[2] and "€124.00" in rows[2]  # the highest of the others
    assert 'href="/admin/crm/customers?page=2"' in text
    second = staff_client.get(f"{LIST}?page=2").get_data(as_text=True)
    last = rows_of(re.search(r'id="crm-top-table">.*?</table>', second, re.S).group(0))
    assert len(last) == 2 and f'href="/admin/customers/{others[0]}"' in last[1]  # €100.00
    assert 'rel="prev"' in second and 'rel="next"' not in second
    # The tier filter (a select that works without JavaScript: a GET form).
    assert '<form method="get" action="/admin/crm/customers"' in text
    gold_only = staff_client.get(f"{LIST}?tier=gold").get_data(as_text=True)
    assert gold in gold_only and silver not in gold_only and others[0] not in gold_only
    assert '<option value="gold" selected>' in gold_only
    silver_only = staff_client.get(f"{LIST}?tier=Silver").get_data(as_text=True)
    assert silver in silver_only and gold not in silver_only
    bronze = staff_client.get(f"{LIST}?tier=bronze&page=1")
    assert "25 customers with payments in Bronze" in words(bronze)
    assert '<option value="bronze" selected>' in bronze.get_data(as_text=True)
    assert staff_client.get(f"{LIST}?tier=all").get_data(as_text=True).count("<tr>") == 26


def test_bad_parameters_are_answered_without_an_error_page(app, staff_client):
    customer = make_customer()
    emit(paid(customer, "50", "one"))
    unknown = staff_client.get(f"{LIST}?tier=platinum")
    assert unknown.status_code == 400
    body = words(unknown)
    assert "Choose Bronze, Silver, Gold or all tiers. Showing every tier." in body
    assert customer in unknown.get_data(as_text=True)  # every tier shown
    assert 'aria-invalid="true"' in unknown.get_data(as_text=True)
    for query in (
        "page=abc",
        "page=-3",
        "page=0",
        "page=1e3",
        f"page={10**30}",
        "page=%C2%B2",
        "tier=&page=",
        "tier=gold&tier=silver",
        "tier=%00",
        "tier=" + "x" * 5000,
        "page=1&page=2",
    ):
        response = staff_client.get(f"{LIST}?{query}")
        assert response.status_code in (200, 400), (query, response.status_code)
    assert customer in staff_client.get(f"{LIST}?page=abc").get_data(as_text=True)  # page 1
    past = staff_client.get(f"{LIST}?page=9")
    assert past.status_code == 200
    assert "There is no page 9: 1 customer fills 1 page. Go to the first page" in words(past)


def test_empty_states_teach(app, staff_client):
    empty = words(staff_client.get(LIST))
    assert "No customer has paid anything yet" in empty
    assert "Export for analysis" in empty  # the exports are there even before any data
    customer = make_customer()
    emit(paid(customer, "50", "one"))
    assert "No Gold customers with payments yet. Show every tier" in words(
        staff_client.get(f"{LIST}?tier=gold")
    )
    assert "No Bronze customers with payments yet" not in words(
        staff_client.get(f"{LIST}?tier=bronze")
    )


def test_staff_only(app, client, staff_client):
    for url in (LIST, *(f"/admin/crm/export/{name}.csv" for name in EXPORTS)):
        response = client.get(url)
        assert response.status_code in (302, 303, 401, 403), url
        if response.status_code in (302, 303):
            assert "/login" in response.headers["Location"]
        assert b"customer_id" not in response.get_data()
    assert staff_client.get(LIST).status_code == 200
    for name in EXPORTS:
        assert download(staff_client, name)  # signed in: the file
    assert staff_client.get("/admin/crm/export/customers.csv").status_code == 404
    assert staff_client.get("/admin/crm/export/..%2Fsecrets.csv").status_code == 404


# --- the exports ----------------------------------------------------------------------------


def download(client, name: str) -> list[list[str]]:
    response = client.get(f"/admin/crm/export/{name}.csv")
    assert response.status_code == 200
    assert response.is_streamed  # a generator, not a string built in memory
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(rf'attachment; filename="crm-{name}-\d{{4}}-\d\d-\d\d\.csv"', disposition)
    data = response.get_data()
    # The rows were read while the body was sent: in the test's app context (a server's
    # request has its own, ended after the last row), so end that read's transaction here.
    db.session.remove()
    assert data.startswith(b"\xef\xbb\xbf")  # the UTF-8 byte-order mark, once
    text = data.decode("utf-8")
    assert text.count("\ufeff") == 1
    return list(csv.reader(io.StringIO(text[1:])))


def test_each_read_model_exports_as_csv_with_formulas_escaped(app, staff_client):
    fleet = make_type(name="Rüttelplatte")
    tricky = make_type(name='=HYPERLINK("http://evil")')
    alice, bob = make_customer(), make_customer()
    emit(
        *[
            line_event(
                cls,
                alice,
                sequence=n,
                total="1500",
                reservation_id="line-a",
                equipment_type_id=fleet.type_id,
            )
            for n, cls in ((1, ReservationConfirmed), (2, ReservationCompleted))
        ],
        line_event(
            ReservationConfirmed,
            bob,
            sequence=1,
            total="80",
            reservation_id="line-b",
            equipment_type_id=tricky.type_id,
        ),
        paid(alice, "1500", "a"),
        ledger_event(RefundIssued, alice, "100", "entry-r"),
        paid(bob, "80", "b"),
    )
    CRMFacade().update_communication_preferences(
        UpdateCommunicationPreferences(alice, True, False, True, source="staff:x@example.com")
    )
    CRMFacade().update_communication_preferences(
        UpdateCommunicationPreferences(alice, True, False, False, source="customer")
    )
    db.session.rollback()

    history = download(staff_client, "rental-history")
    assert history[0] == [
        "customer_id",
        "order_reference",
        "reference",
        "equipment_type_id",
        "equipment_name",
        "quantity",
        "start_utc",
        "end_utc",
        "duration_minutes",
        "amount",
        "currency",
        "status",
        "points",
    ]
    lines = {r[0]: r for r in history[1:]}
    assert len(history) == 3
    a = lines[alice]
    assert a[4].startswith("Rüttelplatte") and a[6] == PERIOD.start.isoformat()
    assert (a[8], a[9], a[10], a[11], a[12]) == ("240", "1500.00", "EUR", "completed", "150")
    # A name a spreadsheet would run as a formula is text: a leading apostrophe.
    assert lines[bob][4].startswith("'=HYPERLINK(")

    loyalty = download(staff_client, "loyalty")
    assert loyalty[0] == [
        "customer_id",
        "tier",
        "points",
        "last_qualifying_utc",
        "tier_expires_utc",
    ]
    assert [r[:3] for r in loyalty[1:]] == [[alice, "Silver", "150"]]

    value = download(staff_client, "lifetime-value")
    assert value[0] == ["customer_id", "lifetime_value", "currency", "updated_utc"]
    assert [r[:3] for r in value[1:]] == [[alice, "1400.00", "EUR"], [bob, "80.00", "EUR"]]

    prefs = download(staff_client, "preferences")
    assert prefs[0] == ["customer_id", "marketing_email", "sms", "newsletter", "updated_utc"]
    assert [r[:4] for r in prefs[1:]] == [[alice, "true", "false", "false"]]

    consent = download(staff_client, "consent-log")
    assert consent[0] == ["id", "customer_id", "field", "value", "source", "at_utc"]
    assert [r[2:5] for r in consent[1:]] == [
        ["marketing_email", "true", "staff:x@example.com"],
        ["newsletter", "true", "staff:x@example.com"],
        ["newsletter", "false", "customer"],
    ]
    every = [c for rows in (history, loyalty, value, prefs, consent) for r in rows for c in r]
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in every)


def test_the_list_page_links_every_export(app, staff_client):
    text = staff_client.get(LIST).get_data(as_text=True)
    for name in EXPORTS:
        assert f'href="/admin/crm/export/{name}.csv"' in text


@pytest.mark.parametrize("name", EXPORTS)
def test_an_empty_read_model_exports_its_header_only(app, staff_client, name):
    rows = download(staff_client, name)
    assert len(rows) == 1 and rows[0][0] in ("customer_id", "id")
