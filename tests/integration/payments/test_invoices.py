"""Invoices and credit notes on SQLite and PostgreSQL: issued when an order is confirmed (one
per order, frozen), gapless numbers per series and year under parallel issuing, credit notes on
cancellation and for refunds, the PDF, the staff list and its CSV, the customer's copies behind
the manage link."""

from __future__ import annotations

import csv
import io
import logging
import re
import secrets
import threading
from datetime import UTC, datetime
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from sqlalchemy import select, text

from rental.booking import (
    BookingChannel,
    BookingFacade,
    CreateReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
from rental.customers import CustomerDetailsInput, CustomerFacade, UpdateCustomerProfile
from rental.extensions import db
from rental.payments import (
    Account,
    AddCharge,
    Category,
    InvoiceFacade,
    Method,
    PaymentPolicy,
    PaymentsFacade,
    RecordPayment,
)
from rental.payments.infrastructure.invoice_pdf import pdf_from_html
from rental.payments.infrastructure.invoices import DocumentEntity
from rental.shared.errors import ConflictError
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor
from rental.shared.time_range import TimeRange
from rental.shop import SaveShopSettings, ShopFacade
from tests.conftest import _clean_app, _make_app
from tests.support.auth import csrf_token
from tests.support.fleet import make_customer, make_type, tomorrow_at
from tests.support.locks import wait_until_blocked

SLOT = TimeRange(tomorrow_at(9), tomorrow_at(13))  # 4 hours: €80 at €20 an hour


def drain() -> None:
    processor = OutboxProcessor()
    while processor.drain_once().claimed:
        pass


def setup_shop(vat: str = "20", gross: bool = True, on_confirm: bool = True) -> None:
    ShopFacade().save_settings(
        SaveShopSettings(
            name="Hire Hut GmbH",
            address="Werkstr. 5\n10115 Berlin",
            phone="+49 30 555",
            email="shop@example.com",
            week=(("", ""),) * 7,
        )
    )
    PaymentsFacade().save_policy(
        PaymentPolicy(
            vat_rate=Decimal(vat),
            prices_include_vat=gross,
            vat_id="DE123456789",
            invoice_on_confirm=on_confirm,
        )
    )
    db.session.rollback()


def order(
    *type_ids: str, customer: str | None = None, confirm: bool = True, token: str | None = None
):
    booking = BookingFacade()
    placed = booking.place_order(
        PlaceOrder(
            customer or make_customer(),
            tuple(OrderLine(1, equipment_type_id=t) for t in type_ids),
            SLOT,
            PricingBasis.HOURLY,
            token or secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    if confirm:
        booking.confirm_reservation(placed.lines[0].id)
    db.session.rollback()
    return placed


def documents(order_id: str):
    view = InvoiceFacade().documents_for_order(order_id)
    db.session.rollback()
    return view


def pdf_text(data: bytes) -> tuple[int, str]:
    pdf = pdfium.PdfDocument(data)
    try:
        return len(pdf), "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    finally:
        pdf.close()


# --- issuing on confirmation ------------------------------------------------------------------


def test_confirming_an_order_issues_one_invoice_with_its_lines_vat_and_frozen_customer(app):
    setup_shop(vat="20", gross=True)
    a, b = make_type(name="Generator"), make_type(name="Light tower", hourly="12.50")
    placed = order(a.type_id, b.type_id)
    drain()
    view = documents(placed.id)
    [invoice] = view.documents
    assert re.fullmatch(rf"{datetime.now(UTC).year}-000001", invoice.number)
    assert invoice.order_reference == placed.reference
    # Two lines confirmed together (two events): one invoice of both lines.
    assert sorted((x.quantity, x.amount.amount) for x in invoice.lines) == [
        (1, Decimal("50.00")),
        (1, Decimal("80.00")),
    ]
    assert all(x.period for x in invoice.lines)
    # €130 gross at 20 %: VAT 21.67, net 108.33.
    assert (invoice.total.amount, invoice.tax.vat.amount, invoice.tax.net.amount) == (
        Decimal("130.00"),
        Decimal("21.67"),
        Decimal("108.33"),
    )
    assert invoice.seller.name == "Hire Hut GmbH" and invoice.seller.vat_id == "DE123456789"
    assert invoice.seller.address_lines == ("Werkstr. 5", "10115 Berlin")
    name = invoice.buyer.name
    assert name.startswith("Test Customer") and "Berlin" in " ".join(invoice.buyer.address_lines)
    # The customer changes their details: the invoice keeps what it said.
    CustomerFacade().update_customer_profile(
        UpdateCustomerProfile(
            placed.customer_id,
            CustomerDetailsInput(
                name="Someone Else",
                email="else@example.com",
                phone="+49 30 999",
                street="Elsewhere 9",
                city="Hamburg",
                state="Hamburg",
                postal_code="20095",
                country="Germany",
            ),
        )
    )
    db.session.rollback()
    again = InvoiceFacade().get_document(invoice.id)
    assert again.buyer.name == name and "Hamburg" not in " ".join(again.buyer.address_lines)
    # A redelivered confirmation issues nothing new.
    db.session.execute(text("DELETE FROM outbox_inbox WHERE handler LIKE 'payments.%'"))
    db.session.execute(
        text("UPDATE outbox_messages SET processed_at = NULL, available_at = occurred_at")
    )
    db.session.commit()
    drain()
    assert len(documents(placed.id).documents) == 1
    types = db.session.scalars(select(OutboxMessageEntity.event_type)).all()
    db.session.rollback()
    assert types.count("InvoiceIssued") == 1


def test_net_prices_get_vat_on_top(app):
    setup_shop(vat="19", gross=False)
    placed = order(make_type().type_id)
    drain()
    [invoice] = documents(placed.id).documents
    assert (invoice.tax.net.amount, invoice.tax.vat.amount, invoice.total.amount) == (
        Decimal("80.00"),
        Decimal("15.20"),
        Decimal("95.20"),
    )


def test_without_invoice_on_confirm_staff_issue_it_from_the_money_panel(admin_client):
    setup_shop(on_confirm=False)
    placed = order(make_type().type_id)
    drain()
    assert documents(placed.id).documents == []
    PaymentsFacade().add_charge(
        AddCharge(placed.id, Decimal("15"), Category.DAMAGE, Account.RENTAL, "Scratch", "staff")
    )
    PaymentsFacade().record_payment(
        RecordPayment(placed.id, Decimal("50"), Method.CASH, Account.RENTAL, "staff")
    )
    db.session.rollback()
    page = admin_client.get(f"/admin/reservations/{placed.lines[0].id}").get_data(as_text=True)
    assert 'id="issue-invoice"' in page
    token = csrf_token(admin_client, f"/admin/reservations/{placed.lines[0].id}")
    response = admin_client.post(
        f"/admin/payments/orders/{placed.id}/invoice",
        data={"csrf_token": token, "back": placed.lines[0].id},
    )
    assert response.status_code == 303
    [invoice] = documents(placed.id).documents
    assert [x.amount.amount for x in invoice.lines] == [Decimal("80.00"), Decimal("15.00")]
    assert invoice.lines[1].description == "Damage: Scratch"
    assert (invoice.total.amount, invoice.paid.amount, invoice.balance.amount) == (
        Decimal("95.00"),
        Decimal("50.00"),
        Decimal("45.00"),
    )
    # A second "Issue invoice" is refused with the reason; nothing new.
    response = admin_client.post(
        f"/admin/payments/orders/{placed.id}/invoice", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "already has invoice" in response.get_data(as_text=True)
    page = admin_client.get(f"/admin/reservations/{placed.lines[0].id}").get_data(as_text=True)
    assert invoice.number in page and 'id="issue-invoice"' not in page


def test_an_invoice_for_a_cancelled_order_is_refused(admin_client):
    setup_shop(on_confirm=False)
    placed = order(make_type().type_id)
    BookingFacade().cancel_reservation(placed.lines[0].id, "Changed plans")
    drain()
    db.session.rollback()
    token = csrf_token(admin_client, "/admin/invoices")
    response = admin_client.post(
        f"/admin/payments/orders/{placed.id}/invoice", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert "cancelled" in response.get_data(as_text=True)
    assert documents(placed.id).documents == []
    with pytest.raises(ConflictError, match="cancelled"):
        InvoiceFacade().issue_invoice(placed.id, "staff")


# --- credit notes -----------------------------------------------------------------------------


def test_cancelling_an_invoiced_order_issues_a_credit_note(app):
    setup_shop()
    placed = order(make_type().type_id)
    drain()
    BookingFacade().cancel_reservation(placed.lines[0].id, "Customer cancelled")
    drain()
    view = documents(placed.id)
    invoice, note = view.documents
    year = datetime.now(UTC).year
    assert note.number == f"CN-{year}-000001" and note.credits_id == invoice.id
    assert note.credits_number == invoice.number and note.total == invoice.total
    assert note.tax.vat == invoice.tax.vat
    assert view.live_invoice is None
    drain()  # nothing more on a second pass
    assert len(documents(placed.id).documents) == 2


def test_staff_credit_part_of_an_invoice_for_a_refund_and_reissue(admin_client):
    setup_shop()
    placed = order(make_type().type_id)
    drain()
    [invoice] = documents(placed.id).documents
    token = csrf_token(admin_client, f"/admin/invoices/{invoice.id}")
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/credit-note",
        data={"csrf_token": token, "amount": "30", "reason": "Started late"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/admin/reservations/?q={placed.reference}")
    listed = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert placed.lines[0].id in listed and "Credit note CN-" in listed
    response = admin_client.post(
        f"/admin/invoices/{invoice.id}/credit-note",
        data={"csrf_token": token, "amount": "50.01", "reason": "Too much"},
    )
    assert response.status_code == 422
    # A damage charge later: the panel says the invoice is out of date; staff re-issue.
    PaymentsFacade().add_charge(
        AddCharge(placed.id, Decimal("10"), Category.DAMAGE, Account.RENTAL, "Dent", "staff")
    )
    db.session.rollback()
    assert documents(placed.id).out_of_date
    response = admin_client.post(
        f"/admin/payments/orders/{placed.id}/invoice/reissue",
        data={"csrf_token": token, "reason": "Damage added"},
    )
    assert response.status_code == 303
    view = documents(placed.id)
    kinds = [(d.kind.value, d.number, d.total.amount) for d in view.documents]
    year = datetime.now(UTC).year
    assert kinds == [
        ("invoice", f"{year}-000001", Decimal("80.00")),
        ("credit_note", f"CN-{year}-000001", Decimal("30.00")),
        ("credit_note", f"CN-{year}-000002", Decimal("50.00")),  # what was left
        ("invoice", f"{year}-000002", Decimal("90.00")),
    ]
    assert view.live_invoice.number == f"{year}-000002" and not view.out_of_date


def test_issued_documents_are_frozen_rows(app):
    setup_shop()
    placed = order(make_type().type_id)
    drain()
    row = db.session.scalars(select(DocumentEntity)).one()
    row.total = Decimal("1")
    with pytest.raises(RuntimeError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    row = db.session.scalars(select(DocumentEntity)).one()
    db.session.delete(row)
    with pytest.raises(RuntimeError, match="never changed"):
        db.session.flush()
    db.session.rollback()
    assert documents(placed.id).documents[0].total.amount == Decimal("80.00")


# --- numbers ----------------------------------------------------------------------------------


def test_numbers_restart_every_year(app):
    setup_shop(on_confirm=False)
    fleet = make_type(units=3)
    orders = [order(fleet.type_id) for _ in range(3)]
    drain()

    def at(year: int) -> InvoiceFacade:
        return InvoiceFacade(clock=lambda: datetime(year, 12, 31, 12, tzinfo=UTC))

    first = at(2030).issue_invoice(orders[0].id, "staff")
    second = at(2031).issue_invoice(orders[1].id, "staff")
    note = at(2031).issue_credit_note(first.id, None, "Wrong customer", "staff")
    third = at(2031).issue_invoice(orders[0].id, "staff")
    assert [first.number, second.number, third.number, note.number] == [
        "2030-000001",
        "2031-000001",
        "2031-000002",
        "CN-2031-000001",
    ]
    assert first.issue_date.year == 2030


def _parallel_orders(n: int) -> list[str]:
    fleet = make_type(units=n)
    customer = make_customer()
    return [order(fleet.type_id, customer=customer).id for _ in range(n)]


def _issue_all(app, order_ids: list[str], *, before_start=None) -> list[str]:
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(order_ids))

    def issue(order_id: str) -> None:
        with app.app_context():
            try:
                barrier.wait(30)
                numbers.append(InvoiceFacade().issue_invoice(order_id, "staff").number)
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(o,), daemon=True) for o in order_ids]
    for t in threads:
        t.start()
    if before_start:
        before_start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return numbers


def _report(numbers: list[str], backend: str) -> None:
    sequences = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
    gaps = sorted(set(range(1, len(numbers) + 1)) - set(sequences))
    duplicates = sorted({s for s in sequences if sequences.count(s) > 1})
    ordered = sorted(numbers)
    print(
        f"\n[{backend}] invoice numbers: {ordered[0]}..{ordered[-1]}, "
        f"gaps: {gaps or 'none'}, duplicates: {duplicates or 'none'}"
    )
    assert sequences == list(range(1, len(numbers) + 1))


@pytest.fixture(scope="module")
def _wide_app(database_url, tmp_path_factory):
    """The app with a pool for 16 issuers at once (and the session holding the lock)."""
    return _make_app(
        database_url,
        tmp_path_factory,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "pool_size": 24, "max_overflow": 8},
    )


@pytest.fixture
def wide_app(_wide_app):
    yield from _clean_app(_wide_app)


def test_sixteen_parallel_issues_get_numbers_1_to_16_without_gap_or_duplicate(wide_app):
    app = wide_app
    backend = db.engine.dialect.name
    setup_shop(on_confirm=False)
    order_ids = _parallel_orders(16)
    drain()
    db.session.rollback()
    if backend == "postgresql":
        # Force the race open: a second session holds this year's counter row, so all 16
        # issuers are inside their transactions and queued on the row before any proceeds.
        year = datetime.now(UTC).year
        holder = db.engine.connect()
        tx = holder.begin()
        holder.execute(
            text(
                "INSERT INTO payments_document_counters (series, year, last) "
                "VALUES ('INV', :y, 0) ON CONFLICT DO NOTHING"
            ),
            {"y": year},
        )
        holder.execute(
            text(
                "SELECT last FROM payments_document_counters "
                "WHERE series = 'INV' AND year = :y FOR UPDATE"
            ),
            {"y": year},
        )

        def release() -> None:
            # Each issuer waits for the row (or the uncommitted row the holder inserted),
            # counted for this test's database only (other tests may share the server).
            waiting = wait_until_blocked(db.engine, count=16)
            tx.commit()
            holder.close()
            waited.append(waiting)

        waited: list[int] = []
        numbers = _issue_all(app, order_ids, before_start=release)
        assert waited == [16], f"only {waited} issuers waited for the counter row"
    else:
        numbers = _issue_all(app, order_ids)
    _report(numbers, backend)
    stored = db.session.scalars(select(DocumentEntity.number)).all()
    db.session.rollback()
    assert sorted(stored) == sorted(numbers) and len(set(stored)) == 16


# --- PDF, pages, CSV --------------------------------------------------------------------------


def test_the_pdf_is_a_real_pdf_with_the_number_and_total(admin_client, tmp_path, caplog):
    setup_shop()
    placed = order(make_type().type_id)
    drain()
    [invoice] = documents(placed.id).documents
    pdf_from_html.cache_clear()  # laid out here, not served from the receipt's rendering
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        response = admin_client.get(f"/admin/invoices/{invoice.id}/pdf")
    # the worker renders one for every receipt: no warning line per PDF in its log
    assert [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")] == []
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    pages, content = pdf_text(data)
    assert pages >= 1
    assert invoice.number in content and "80.00" in content and "13.33" in content
    assert "Hire Hut GmbH" in content and "DE123456789" in content
    page = admin_client.get(f"/admin/invoices/{invoice.id}").get_data(as_text=True)
    assert invoice.number in page
    # Both stylesheets, under their content-hashed names (rental/shared/assets.py).
    assert re.search(r"css/invoice\.[0-9a-f]{12}\.css", page)
    assert re.search(r"css/invoice-screen\.[0-9a-f]{12}\.css", page)


def test_each_invoice_pdf_shows_its_own_document_and_a_second_copy_is_not_laid_out_again(app):
    """The receipts for an order's rental and its deposit attach the same invoice: it is laid
    out once per process, and another document never gets its PDF."""
    setup_shop()
    first, second = order(make_type().type_id), order(make_type().type_id)
    drain()
    [one], [other] = documents(first.id).documents, documents(second.id).documents
    pdf_from_html.cache_clear()
    facade = InvoiceFacade()
    name, pdf = facade.invoice_pdf_for_order(first.id)
    other_name, other_pdf = facade.invoice_pdf_for_order(second.id)
    again = facade.invoice_pdf_for_order(first.id)
    db.session.rollback()
    text_one, text_other = pdf_text(pdf)[1], pdf_text(other_pdf)[1]
    assert one.number in text_one and other.number not in text_one
    assert other.number in text_other and one.number not in text_other
    assert name != other_name and again == (name, pdf)
    assert (pdf_from_html.cache_info().hits, pdf_from_html.cache_info().misses) == (1, 2)


def test_the_list_filters_pages_and_exports_csv_without_formulas(admin_client):
    setup_shop()
    evil = CustomerFacade().register_customer
    from rental.customers import RegisterCustomer

    customer = evil(
        RegisterCustomer(
            CustomerDetailsInput(
                name="=HYPERLINK(1)",
                email=f"evil-{secrets.token_hex(3)}@example.com",
                phone="+49 30 1",
                street="a",
                city="b",
                state="c",
                postal_code="1",
                country="Germany",
            )
        )
    )
    fleet = make_type(units=3)
    placed = [order(fleet.type_id, customer=customer)] + [order(fleet.type_id) for _ in range(2)]
    drain()
    BookingFacade().cancel_reservation(placed[2].lines[0].id, "No")
    drain()
    db.session.rollback()
    year = datetime.now(UTC).year
    page = admin_client.get("/admin/invoices").get_data(as_text=True)
    assert page.count("/pdf") == 4  # three invoices and one credit note
    page = admin_client.get("/admin/invoices?kind=credit_note").get_data(as_text=True)
    assert f"CN-{year}-000001" in page and f"{year}-000002<" not in page
    page = admin_client.get(f"/admin/invoices?q={placed[1].reference}").get_data(as_text=True)
    assert page.count("/pdf") == 1
    page = admin_client.get(f"/admin/invoices?year={year - 1}").get_data(as_text=True)
    assert 'id="no-documents"' in page
    month = datetime.now(UTC).month
    page = admin_client.get(f"/admin/invoices?year={year}&month={month}").get_data(as_text=True)
    assert page.count("/pdf") == 4
    assert admin_client.get("/admin/invoices?year=abc&month=13").status_code == 422
    response = admin_client.get("/admin/invoices/export.csv?kind=invoice")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, as every CSV of the app
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][0] == "Number" and len(rows) == 4
    assert "'=HYPERLINK(1)" in [r[4] for r in rows]
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    # Money with the currency's two decimals, as every export writes it (not 85.0000).
    net, vat, total = (rows[0].index(name) for name in ("Net", "VAT", "Total"))
    for row in rows[1:]:
        amounts = [row[net], row[vat], row[total]]
        assert all(re.fullmatch(r"\d+\.\d\d", a) for a in amounts), amounts
        assert Decimal(row[net]) + Decimal(row[vat]) == Decimal(row[total])


def test_the_list_pages(admin_client):
    setup_shop(on_confirm=False)
    fleet = make_type(units=30)
    customer = make_customer()
    for _ in range(27):
        InvoiceFacade().issue_invoice(order(fleet.type_id, customer=customer).id, "staff")
    db.session.rollback()
    first = admin_client.get("/admin/invoices").get_data(as_text=True)
    assert "Page 1 of 2" in first and first.count("/pdf") == 25
    second = admin_client.get("/admin/invoices?page=2").get_data(as_text=True)
    assert second.count("/pdf") == 2


# --- who may see what -------------------------------------------------------------------------


def test_the_customer_reaches_their_invoices_only_with_the_manage_token(client):
    setup_shop()
    token = secrets.token_urlsafe(24)
    placed = order(make_type().type_id, token=token)
    other = order(make_type().type_id)
    drain()
    [invoice] = documents(placed.id).documents
    [foreign] = documents(other.id).documents
    base = f"/r/{placed.reference}/{token}"
    manage = client.get(base).get_data(as_text=True)
    assert f"{base}/invoices/{invoice.id}" in manage and invoice.number in manage
    response = client.get(f"{base}/invoices/{invoice.id}")
    assert response.status_code == 200 and invoice.number in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get(f"{base}/invoices/{invoice.id}/pdf")
    assert response.status_code == 200 and response.get_data().startswith(b"%PDF")
    assert response.headers["Content-Disposition"].startswith("inline")
    # The manage page's link downloads it (the browser saves it under the invoice's number).
    assert f"{base}/invoices/{invoice.id}/pdf?download=1" in manage
    response = client.get(f"{base}/invoices/{invoice.id}/pdf?download=1")
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="invoice-{invoice.number}.pdf"'
    # Another order's invoice, a wrong token, the staff address: nothing.
    assert client.get(f"{base}/invoices/{foreign.id}").status_code == 404
    assert client.get(f"{base}/invoices/{foreign.id}/pdf").status_code == 404
    wrong = f"/r/{placed.reference}/{secrets.token_urlsafe(24)}/invoices/{invoice.id}"
    assert client.get(wrong).status_code == 404
    assert client.get(f"/admin/invoices/{invoice.id}").status_code in (302, 303, 401, 403)
    assert client.get(f"/admin/invoices/{invoice.id}/pdf").status_code in (302, 303, 401, 403)
    assert client.get("/admin/invoices/export.csv").status_code in (302, 303, 401, 403)


def test_a_single_booking_still_gets_its_invoice(app):
    """A booking made the old way (one reservation) is a one-line order too."""
    setup_shop()
    booking = BookingFacade()
    rid = booking.create_reservation(
        CreateReservation(
            make_customer(),
            make_type().type_id,
            SLOT,
            1,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(rid)
    drain()
    order_id = booking.get_reservation(rid).order_id or rid
    db.session.rollback()
    [invoice] = documents(order_id).documents
    assert invoice.total.amount == Decimal("80.00")


# --- the order changes after its invoice -----------------------------------------------------


def test_a_changed_order_gets_a_credit_note_and_a_new_invoice(app):
    from rental.booking import ChangeReservation

    setup_shop()
    placed = order(make_type().type_id)
    drain()
    BookingFacade().change_reservation(
        ChangeReservation(placed.lines[0].id, TimeRange(tomorrow_at(9), tomorrow_at(15)), 1)
    )  # 6 hours: €120
    drain()
    view = documents(placed.id)
    year = datetime.now(UTC).year
    assert [(d.number, d.total.amount) for d in view.documents] == [
        (f"{year}-000001", Decimal("80.00")),
        (f"CN-{year}-000001", Decimal("80.00")),
        (f"{year}-000002", Decimal("120.00")),
    ]
    assert view.live_invoice.number == f"{year}-000002" and not view.out_of_date
    drain()  # a second pass (or a redelivery) finds the invoice fitting: nothing new
    assert len(documents(placed.id).documents) == 3


def test_a_kit_is_one_line_of_the_invoice(app):
    from rental.catalog import CatalogFacade, DefineKit, KitComponent

    setup_shop()
    gens, lights = make_type(name="Generator"), make_type(name="Light tower", hourly="10.00")
    kit_id = CatalogFacade().define_kit(
        DefineKit(
            name="Stage kit",
            description="Stage power.",
            discount_percent=Decimal("10"),
            components=(KitComponent(gens.type_id, 1), KitComponent(lights.type_id, 2)),
        )
    )
    booking = BookingFacade()
    placed = booking.place_order(
        PlaceOrder(
            make_customer(),
            (OrderLine(1, kit_id=kit_id), OrderLine(1, equipment_type_id=gens.type_id)),
            SLOT,
            PricingBasis.HOURLY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    booking.confirm_reservation(placed.lines[0].id)
    db.session.rollback()
    drain()
    [invoice] = documents(placed.id).documents
    # The kit: (4 h × €20 + 2 × 4 h × €10) − 10 % = €144; the generator line €80.
    lines = {x.description: (x.quantity, x.amount.amount) for x in invoice.lines}
    assert lines.pop("Stage kit") == (1, Decimal("144.00"))
    assert list(lines.values()) == [(1, Decimal("80.00"))]
    assert invoice.total.amount == Decimal("224.00")
