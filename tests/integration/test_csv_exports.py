"""Staff CSV exports (issue 14, "CSV — Export"): each list page's "Download CSV" gives the rows
the page's filters find — every page of them — streamed a batch at a time, UTF-8 with a BOM,
cells that cannot turn into formulas, staff only; bad filters are answered as the list answers
them, never with a 500."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime

from sqlalchemy import insert

from rental.customers import CustomerDetailsInput, CustomerFacade, RegisterCustomer
from rental.customers.infrastructure.entities import CustomerEntity
from rental.extensions import db
from tests.support.statements import reading, statements


def download(client, url: str) -> list[list[str]]:
    """The CSV rows of a streamed download (the header first), checked for what every export
    promises: 200, text/csv, an attachment named with today's date, a BOM."""
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.is_streamed and response.mimetype == "text/csv"
    disposition = response.headers["Content-Disposition"]
    assert re.fullmatch(r'attachment; filename="[a-z-]+-\d{4}-\d\d-\d\d\.csv"', disposition)
    data = response.get_data()
    # The rows were read while the body was sent: in the test's app context (a server's
    # request has its own, ended after the last row), so end that read's transaction here.
    db.session.remove()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def no_formulas(rows: list[list[str]]) -> None:
    """No cell a spreadsheet would run: only plain negative numbers may start with '-'."""
    for row in rows:
        for cell in row:
            if cell.startswith("-"):
                float(cell)
            assert not cell.startswith(("=", "+", "@")), cell


def same_answer_as_the_list(client, page: str, export: str, query: str) -> None:
    """A mangled filter: the export answers as the list page does (a 4xx or the filter
    ignored), never a 500."""
    listed = client.get(page + query).status_code
    response = client.get(export + query)
    response.get_data()  # a streamed body is read to its end (its request context ends then)
    exported = response.status_code
    db.session.remove()  # a streamed body read in the test's app context (see download)
    assert exported < 500 and (listed < 300) == (exported < 300), (listed, exported)


def register(name: str, phone: str = "+49 30 1234567", email: str | None = None) -> str:
    return CustomerFacade().register_customer(
        RegisterCustomer(
            CustomerDetailsInput(
                name=name,
                email=email or f"c-{uuid.uuid4().hex[:8]}@example.com",
                phone=phone,
                street="Hauptstr. 1",
                city="Berlin",
                state="Berlin",
                postal_code="10115",
                country="Germany",
            )
        )
    )


# --- customers --------------------------------------------------------------------------------


def test_customers_export_has_the_lists_rows_escaped_and_filtered(admin_client):
    evil = register('=HYPERLINK("http://x")', phone="+49 30 999")
    register("Anna Müller")
    suspended = register("Bert Suspended")
    CustomerFacade().suspend_customer(suspended)
    db.session.rollback()
    page = admin_client.get("/admin/customers?q=M%C3%BCller").get_data(as_text=True)
    assert "/admin/customers/export.csv?q=M%C3%BCller" in page and ">Download CSV<" in page

    rows = download(admin_client, "/admin/customers/export.csv")
    assert rows[0][:3] == ["Customer ID", "Name", "Email"]
    assert len(rows) == 4  # the header and one row per customer
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    response = admin_client.get("/admin/customers/export.csv")
    assert f'filename="customers-{today}.csv"' in response.headers["Content-Disposition"]
    response.get_data()
    db.session.remove()
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id[evil][1] == '\'=HYPERLINK("http://x")' and by_id[evil][3] == "'+49 30 999"
    no_formulas(rows)
    assert {r[1] for r in rows[1:]} >= {"Anna Müller"}  # accents survive (UTF-8)

    rows = download(admin_client, "/admin/customers/export.csv?q=m%C3%BCller")
    assert [r[1] for r in rows[1:]] == ["Anna Müller"]
    rows = download(admin_client, "/admin/customers/export.csv?q=nobody-at-all")
    assert len(rows) == 1  # the header only


def test_customers_export_by_status_and_bad_filters_never_500(admin_client):
    register("Active One")
    rows = download(admin_client, "/admin/customers/export.csv?status=ANONYMISED")
    assert len(rows) == 1
    rows = download(admin_client, "/admin/customers/export.csv?status=active")
    assert [r[1] for r in rows[1:]] == ["Active One"] and rows[1][9] == "Active"
    # A status that is not one is ignored, as on the list page.
    rows = download(admin_client, "/admin/customers/export.csv?q=" + "x" * 5000)
    assert len(rows) == 1
    same_answer_as_the_list(
        admin_client, "/admin/customers", "/admin/customers/export.csv", "?status=%00nope&q=%ff%fe"
    )
    rows = download(admin_client, "/admin/customers/export.csv?status=bogus")
    assert len(rows) == 2


def test_two_thousand_customers_are_read_in_a_few_batches(admin_client):
    now = datetime.now(UTC)
    db.session.execute(
        insert(CustomerEntity),
        [
            {
                "id": str(uuid.uuid4()),
                "name": f"Bulk {i:04d}",
                "email": f"bulk{i}@example.com",
                "phone": "-1" if i == 7 else "030 1",
                "street": "s",
                "city": "c",
                "state": "st",
                "postal_code": "1",
                "country": "Germany",
                "status": "ACTIVE",
                "registered_at": now,
            }
            for i in range(2000)
        ],
    )
    db.session.commit()
    with statements() as seen:
        rows = download(admin_client, "/admin/customers/export.csv")
    assert len(rows) == 2001
    assert [r[1] for r in rows[1:4]] == ["Bulk 0000", "Bulk 0001", "Bulk 0002"]
    assert rows[8][3] == "-1"  # a negative number stays a number
    # 2,000 rows in batches: a handful of reads of the table, not one per row nor per page.
    assert len(reading(seen, "customers_customers")) <= 10, seen


def test_exports_are_staff_only(client, staff_client):
    """Anonymous visitors are sent to the login; staff (not only admins) download."""
    for url in (
        "/admin/customers/export.csv",
        "/admin/inventory/items.csv",
        "/admin/payments/export.csv",
        "/admin/reservations/export.csv",
        "/admin/reservations/orders.csv",
        "/admin/invoices/export.csv",
    ):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]
        assert len(download(staff_client, url)) == 1  # the header: nothing recorded yet


# --- items ------------------------------------------------------------------------------------


def test_items_export_is_filtered_like_the_type_page(admin_client):
    from rental.inventory import InventoryFacade, RegisterEquipment
    from tests.support.fleet import make_type

    generators, lights = make_type(name="Generator", units=3), make_type(name="Light", units=2)
    InventoryFacade().register_new_equipment(
        RegisterEquipment(
            equipment_type_id=lights.type_id,
            serial_number="LT-EVIL-1",
            notes="=SUM(A1:A9)",
            actor="test",
        )
    )
    db.session.rollback()
    page = admin_client.get(f"/admin/inventory/types/{lights.type_id}").get_data(as_text=True)
    assert f"/admin/inventory/items.csv?type={lights.type_id}" in page and "Download CSV" in page
    assert "/admin/inventory/items.csv" in admin_client.get("/admin/inventory/").get_data(True)

    rows = download(admin_client, "/admin/inventory/items.csv")
    assert rows[0][:2] == ["Item ID", "Serial number"] and len(rows) == 1 + 6
    no_formulas(rows)
    rows = download(admin_client, f"/admin/inventory/items.csv?type={lights.type_id}")
    assert len(rows) == 1 + 3 and all(r[4].startswith("Light") for r in rows[1:])
    assert {r[5] for r in rows[1:]} == {"Available"}
    assert "'=SUM(A1:A9)" in [r[8] for r in rows]
    assert generators.item_ids[0] not in {r[0] for r in rows}
    rows = download(
        admin_client, f"/admin/inventory/items.csv?type={lights.type_id}&status=RETIRED"
    )
    assert len(rows) == 1
    # A status or type that is not one: ignored / nothing found, as on the pages — never a 500.
    assert len(download(admin_client, "/admin/inventory/items.csv?status=bogus")) == 7
    assert len(download(admin_client, "/admin/inventory/items.csv?type=" + "z" * 300)) == 1
    same_answer_as_the_list(
        admin_client, "/admin/inventory/", "/admin/inventory/items.csv", "?status=%ff%00"
    )


# --- payments (the cash-up's entries) ---------------------------------------------------------


def test_payments_export_has_the_days_entries_with_signed_amounts(admin_client):
    from decimal import Decimal

    from rental.payments import Account, IssueRefund, Method, PaymentsFacade, RecordPayment
    from tests.integration.payments.test_invoices import drain, order, setup_shop
    from tests.support.fleet import make_type

    setup_shop()
    placed = order(make_type(units=2).type_id)
    drain()
    payments = PaymentsFacade()
    payments.record_payment(
        RecordPayment(placed.id, Decimal("80"), Method.CASH, Account.RENTAL, "staff", "=1+1")
    )
    payments.issue_refund(
        IssueRefund(placed.id, Decimal("5.50"), Method.BANK_TRANSFER, Account.RENTAL, "staff")
    )
    db.session.rollback()
    today = datetime.now(UTC).astimezone(payments_tz()).date().isoformat()
    page = admin_client.get(f"/admin/payments?day={today}").get_data(as_text=True)
    assert f"/admin/payments/export.csv?day={today}" in page and "Download CSV" in page

    rows = download(admin_client, f"/admin/payments/export.csv?day={today}")
    assert rows[0][:4] == [
        "Entry ID",
        "Recorded at (UTC)",
        "Recorded at (local)",
        "Order reference",
    ]
    assert len(rows) == 3
    cells = {(r[5], r[7], r[8], r[9]) for r in rows[1:]}
    assert cells == {
        ("Payment", "Cash", "80.00", "EUR"),
        ("Refund", "Bank transfer", "-5.50", "EUR"),
    }
    assert {r[3] for r in rows[1:]} == {placed.reference}
    assert "'=1+1" in [r[10] for r in rows]
    assert rows[1][1].endswith("+00:00")  # ISO 8601 in UTC
    no_formulas(rows)
    # Another day: only that day's entries (none), as the page shows.
    assert len(download(admin_client, "/admin/payments/export.csv?day=2001-01-01")) == 1
    same_answer_as_the_list(
        admin_client, "/admin/payments", "/admin/payments/export.csv", "?day=2026-13-45"
    )
    assert admin_client.get("/admin/payments/export.csv?day=%ff").status_code == 422
    response = admin_client.get("/admin/payments/export.csv")  # no day: today's, as the page
    assert f'filename="payments-{today}.csv"' in response.headers["Content-Disposition"]
    assert len(list(csv.reader(io.StringIO(response.get_data(as_text=True))))) == 3
    db.session.remove()


def payments_tz():
    from rental.shared.web import business_tz

    return business_tz()


# --- orders and order lines (the reservations list) -------------------------------------------


def test_orders_and_lines_exports_follow_the_reservations_lists_filters(admin_client):
    from tests.integration.payments.test_invoices import order, setup_shop
    from tests.support.fleet import make_type

    setup_shop()
    generator, light = make_type(name="Generator", units=3), make_type(name="Light", units=3)
    evil = register("@SUM(1)", phone="+49 30 666")
    two_lines = order(generator.type_id, light.type_id, customer=evil)
    other = order(generator.type_id, confirm=False)
    db.session.rollback()
    page = admin_client.get("/admin/reservations/?status=CONFIRMED").get_data(as_text=True)
    assert "/admin/reservations/orders.csv?status=CONFIRMED" in page
    assert "/admin/reservations/export.csv?status=CONFIRMED" in page

    lines = download(admin_client, "/admin/reservations/export.csv")
    assert lines[0][:3] == ["Line ID", "Line reference", "Order reference"]
    assert len(lines) == 1 + 3  # one row per line
    assert {r[2] for r in lines[1:]} == {two_lines.reference, other.reference}
    assert {r[6] for r in lines[1:] if r[2] == two_lines.reference} == {"'@SUM(1)"}
    assert all(re.fullmatch(r"\d+\.\d\d", r[13]) and r[14] == "EUR" for r in lines[1:])
    assert all(r[10].endswith("+00:00") for r in lines[1:])
    no_formulas(lines)

    orders = download(admin_client, "/admin/reservations/orders.csv")
    assert orders[0][:2] == ["Order ID", "Order reference"] and len(orders) == 1 + 2
    by_reference = {r[1]: r for r in orders[1:]}
    assert by_reference[two_lines.reference][5] == "2"  # its two lines
    assert by_reference[two_lines.reference][3] == "'@SUM(1)"
    assert by_reference[other.reference][8] == "Pending"
    no_formulas(orders)

    # The page's filters: status, type, search text, dates.
    confirmed = download(admin_client, "/admin/reservations/orders.csv?status=CONFIRMED")
    assert [r[1] for r in confirmed[1:]] == [two_lines.reference]
    of_type = download(admin_client, f"/admin/reservations/export.csv?type={light.type_id}")
    assert len(of_type) == 2 and of_type[1][8].startswith("Light")
    found = download(admin_client, "/admin/reservations/export.csv?q=%40SUM")
    assert {r[2] for r in found[1:]} == {two_lines.reference} and len(found) == 3
    assert (
        len(download(admin_client, "/admin/reservations/orders.csv?from=2001-01-01&to=2001-01-02"))
        == 1
    )
    # A bad date is left out, as the list leaves it out — never a 500.
    assert len(download(admin_client, "/admin/reservations/export.csv?from=2026-99-99")) == 4
    for export in ("/admin/reservations/export.csv", "/admin/reservations/orders.csv"):
        same_answer_as_the_list(admin_client, "/admin/reservations/", export, "?from=%ff&status=x")
        same_answer_as_the_list(admin_client, "/admin/reservations/", export, "?customer=nobody")


# --- invoices (the list's existing export, now streamed) ------------------------------------


def test_invoices_export_is_streamed_and_filtered_like_the_list(admin_client):
    from rental.booking import BookingFacade
    from tests.integration.payments.test_invoices import drain, order, setup_shop
    from tests.support.fleet import make_type

    setup_shop()
    fleet = make_type(units=3)
    evil = register("-cmd|' /C calc'!A0")
    placed = [order(fleet.type_id, customer=evil), order(fleet.type_id)]
    drain()
    BookingFacade().cancel_reservation(placed[1].lines[0].id, "No")
    drain()
    db.session.rollback()
    page = admin_client.get("/admin/invoices?kind=credit_note").get_data(as_text=True)
    assert "/admin/invoices/export.csv?kind=credit_note" in page

    rows = download(admin_client, "/admin/invoices/export.csv")
    assert rows[0][0] == "Number" and len(rows) == 1 + 3  # two invoices, one credit note
    assert "'-cmd|' /C calc'!A0" in [r[4] for r in rows]
    credit = download(admin_client, "/admin/invoices/export.csv?kind=credit_note")
    assert len(credit) == 2 and credit[1][1] == "Credit note" and credit[1][9] == "EUR"
    assert re.fullmatch(r"\d+\.\d+", credit[1][8])  # a plain decimal, no currency sign
    no_formulas(rows + credit)
    found = download(admin_client, f"/admin/invoices/export.csv?q={placed[0].reference}")
    assert len(found) == 2
    same_answer_as_the_list(
        admin_client, "/admin/invoices", "/admin/invoices/export.csv", "?year=abc"
    )
    same_answer_as_the_list(
        admin_client, "/admin/invoices", "/admin/invoices/export.csv", "?kind=%ff"
    )
