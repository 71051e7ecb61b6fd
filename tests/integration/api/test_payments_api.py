"""Payments and invoices through the API on SQLite and PostgreSQL: an order's ledger is
PaymentsFacade's (what the Money panel shows); recording a payment (`orders:write`) writes
one entry with the staff form's checks and messages, replays on the same Idempotency-Key
(one payment in the database) and refuses the key with another body; invoices are
InvoiceFacade's, listed with from/to and paged, one by number as JSON or PDF."""

from __future__ import annotations

from datetime import timedelta

from rental.booking import BookingFacade
from rental.extensions import db
from rental.payments import InvoiceFacade, PaymentsFacade
from tests.integration.api.conftest import assert_problem, bearer, make_token
from tests.support.world import make_world


def order_of(world):
    return BookingFacade().get_order(world.first("order_id"))


def payments_of(order_id: str) -> list:
    ledger = PaymentsFacade().get_ledger(order_id)
    db.session.remove()
    return [e for e in ledger.entries if e.kind == "PAYMENT"]


def test_the_ledger_is_what_the_money_panel_holds(app, client):
    world = make_world()
    order = order_of(world)
    secret = make_token("read")
    body = client.get(f"/api/v1/orders/{order.reference.lower()}/payments", headers=bearer(secret))
    assert body.status_code == 200, body.get_data(as_text=True)
    data = body.get_json()
    ledger = PaymentsFacade().get_ledger(order.id)
    assert data["opened"] and data["order_reference"] == order.reference
    assert [e["id"] for e in data["entries"]] == [e.id for e in ledger.entries]
    assert data["balance_due"] == {
        "amount": str(ledger.balance.rounded().amount),
        "currency": ledger.currency,
    }
    assert data["deposit_state"] == ledger.deposit_state
    rental = ledger.accounts["rental"]
    assert data["accounts"]["rental"]["charged"]["amount"] == str(rental.charged.rounded().amount)
    assert_problem(client.get("/api/v1/orders/NOPE-123/payments", headers=bearer(secret)), 404)
    # A hold not confirmed yet: no ledger, nothing charged.
    pending = BookingFacade().get_reservation(world.values["reservation_id"][0])
    hold = BookingFacade().get_order(pending.order_id)
    data = client.get(
        f"/api/v1/orders/{hold.reference}/payments", headers=bearer(secret)
    ).get_json()
    assert data["opened"] is False and data["entries"] == []


def test_recording_a_payment_updates_the_ledger_and_replays_on_its_key(app, client):
    world = make_world()
    order = order_of(world)
    secret = make_token("orders:write", "read")
    url = f"/api/v1/orders/{order.reference}/payments"
    headers = {**bearer(secret), "Idempotency-Key": "pay-1"}
    payment = {"amount": "10.00", "currency": "EUR", "method": "cash", "reference": "till 2"}
    first = client.post(url, json=payment, headers=headers)
    assert first.status_code == 201, first.get_data(as_text=True)
    entry = first.get_json()
    assert entry["kind"] == "PAYMENT" and entry["amount"] == {"amount": "10.00", "currency": "EUR"}
    assert entry["method"] == "cash" and entry["reference"] == "till 2"
    assert first.headers["Location"] == url
    (recorded,) = payments_of(order.id)
    assert recorded.id == entry["id"] and recorded.actor == "API: Test program"
    ledger = client.get(url, headers=bearer(secret)).get_json()
    assert ledger["entries"][-1]["id"] == entry["id"]
    assert ledger["paid"] == {"amount": "10.00", "currency": "EUR"}
    again = client.post(url, json=payment, headers=headers)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == entry
    assert len(payments_of(order.id)) == 1
    other = client.post(url, json={**payment, "amount": "11.00"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")
    assert len(payments_of(order.id)) == 1


def test_bad_payments_are_422_per_field_with_the_forms_messages(app, client):
    world = make_world()
    order = order_of(world)
    secret = make_token("orders:write")
    url = f"/api/v1/orders/{order.reference}/payments"
    cases = [
        ({"amount": "0", "method": "cash"}, "amount", "The amount must be more than zero."),
        ({"amount": "-5", "method": "cash"}, "amount", "The amount must be more than zero."),
        ({"amount": "ten", "method": "cash"}, "amount", "Enter the amount as a number"),
        ({"amount": "1.005", "method": "cash"}, "amount", "EUR amounts have at most 2"),
        ({"amount": "5", "method": "cheque"}, "method", "Choose the method: one of cash"),
        ({"amount": "5", "method": "cash", "currency": "USD"}, "currency", "kept in EUR"),
        ({"amount": "99999", "method": "cash"}, "amount", "more than the rental balance"),
        ({"amount": "5"}, "method", ""),
        ({"amount": "5", "method": "cash", "tip": 1}, "tip", ""),
    ]
    for body, field, message in cases:
        problem = assert_problem(client.post(url, json=body, headers=bearer(secret)), 422)
        assert problem["errors"][0]["field"] == field, (body, problem)
        assert message in problem["errors"][0]["message"], (body, problem)
    assert payments_of(order.id) == []
    # Confirming the warning records it, as the form's second step does.
    over = {"amount": "99999", "method": "bank_transfer", "confirm": ["more_than_due"]}
    assert client.post(url, json=over, headers=bearer(secret)).status_code == 201
    assert_problem(
        client.post(
            "/api/v1/orders/NOPE-1/payments",
            json={"amount": "5", "method": "cash"},
            headers=bearer(secret),
        ),
        404,
    )
    pending = BookingFacade().get_reservation(world.values["reservation_id"][0])
    hold = BookingFacade().get_order(pending.order_id)
    problem = assert_problem(
        client.post(
            f"/api/v1/orders/{hold.reference}/payments",
            json={"amount": "5", "method": "cash"},
            headers=bearer(secret),
        ),
        422,
    )
    assert problem["errors"][0]["field"] == "reference"


def test_recording_needs_orders_write(app, client):
    world = make_world()
    url = f"/api/v1/orders/{order_of(world).reference}/payments"
    body = {"amount": "5", "method": "cash"}
    assert_problem(client.post(url, json=body), 401)
    problem = assert_problem(client.post(url, json=body, headers=bearer(make_token("read"))), 403)
    assert problem["scope"] == "orders:write"
    assert payments_of(order_of(world).id) == []


def test_invoices_are_the_facades_listed_paged_and_by_number(app, client):
    world = make_world()
    InvoiceFacade().reissue_invoice(world.first("order_id"), "staff", "new address")
    db.session.remove()
    secret = make_token("read")
    documents = InvoiceFacade().search(page=1, per_page=100).documents
    assert len(documents) == 3  # the world's invoice, its credit note and the new invoice
    rows, url = [], "/api/v1/invoices?limit=1"
    while url:
        response = client.get(url, headers=bearer(secret))
        assert response.status_code == 200, response.get_data(as_text=True)
        rows += response.get_json()["data"]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")] if link else None
    assert [r["number"] for r in rows] == [d.number for d in documents]
    d = documents[0]
    (row,) = [r for r in rows if r["number"] == d.number]
    assert row["order_reference"] == d.order_reference == order_of(world).reference
    assert row["total"] == {"amount": str(d.total.rounded().amount), "currency": d.currency}
    assert row["net"]["amount"] == str(d.tax.net.rounded().amount)
    assert row["vat"]["amount"] == str(d.tax.vat.rounded().amount)
    day = d.issue_date
    same_day = client.get(f"/api/v1/invoices?from={day}&to={day}", headers=bearer(secret))
    assert len(same_day.get_json()["data"]) == len(documents)
    later = day + timedelta(days=1)
    assert (
        client.get(f"/api/v1/invoices?from={later}", headers=bearer(secret)).get_json()["data"]
        == []
    )
    for query, field in (
        ("from=2026-13-01", "from"),
        (f"from={later}&to={day}", "to"),
        ("kind=bill", "kind"),
    ):
        problem = assert_problem(
            client.get(f"/api/v1/invoices?{query}", headers=bearer(secret)), 422
        )
        assert problem["errors"][0]["field"] == field
    one = client.get(f"/api/v1/invoices/{d.number}", headers=bearer(secret)).get_json()
    assert one["number"] == d.number and len(one["lines"]) == len(d.lines)
    assert one["pdf"] == f"/api/v1/invoices/{d.number}.pdf"
    pdf = client.get(one["pdf"], headers=bearer(secret))
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert pdf.data.startswith(b"%PDF")
    negotiated = client.get(
        f"/api/v1/invoices/{d.number}", headers={**bearer(secret), "Accept": "application/pdf"}
    )
    assert negotiated.status_code == 303 and negotiated.headers["Location"].endswith(one["pdf"])
    assert_problem(client.get("/api/v1/invoices/NO-SUCH-1", headers=bearer(secret)), 404)
    assert_problem(client.get("/api/v1/invoices/NO-SUCH-1.pdf", headers=bearer(secret)), 404)
    assert_problem(client.get("/api/v1/invoices"), 401)
