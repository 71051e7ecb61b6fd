"""The cancellation fee is invoiced, on SQLite and PostgreSQL: a customer cancelling an
invoiced order inside the fee window gets a credit note for the whole invoice and a fee
invoice of exactly the fee (with what they paid and what the shop owes back) — whichever of
the two subscribers of Booking's cancellation (the ledger's, the invoices') runs first; a
redelivery issues nothing more; a free cancellation issues no fee invoice; staff waiving the
fee credit the fee invoice; an item taken out inside the window puts its fee on the re-issued
invoice (in either order too); the fee invoice's PDF renders."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import Text, cast, select, text

from rental.booking import BookingFacade, OrderLine
from rental.extensions import db
from rental.payments import (
    FeeKind,
    InvoiceFacade,
    PaymentPolicy,
    PaymentsFacade,
    ReverseEntry,
)
from rental.shared.errors import ConflictError
from rental.shared.events import subscribers
from rental.shared.outbox import OutboxMessageEntity, OutboxProcessor, decode_message
from tests.integration.payments.test_cancellation_fee import booked, fees, redeliver
from tests.integration.payments.test_invoices import pdf_text
from tests.integration.payments.test_ledger import drain, ledger, order_of, pay
from tests.integration.payments.test_removal_fee import ordered
from tests.support.fleet import make_type
from tests.support.locks import wait_until_blocked

LEDGER = "payments.reverse_cancelled_line"  # ReservationCancelled → the fee charged
INVOICES = "payments.credit_cancelled_line"  # ReservationCancelled → reconcile
FEE = "payments.invoice_added_charge"  # ChargeAdded → reconcile


def policy(hours: int = 48) -> None:
    """25 % inside `hours` before the start, prices with 20 % VAT included, an invoice on
    confirmation."""
    PaymentsFacade().save_policy(
        PaymentPolicy(
            vat_rate=Decimal("20"),
            prices_include_vat=True,
            invoice_on_confirm=True,
            cancellation_free_hours=hours,
            cancellation_fee=FeeKind.PERCENT,
            cancellation_fee_value=Decimal("25"),
        )
    )
    db.session.rollback()


def deliver(handler: str, event_type: str) -> int:
    """The pending `event_type` messages handed to one subscriber only (as a worker would if
    it ran that one first); the others get them on the next drain (the inbox skips this one)."""
    m = OutboxMessageEntity
    rows = db.session.execute(
        select(m.id, m.event_type, m.schema_version, cast(m.payload, Text), m.occurred_at)
        .where(m.event_type == event_type, m.processed_at.is_(None), m.dead_at.is_(None))
        .order_by(m.id)
    ).all()
    db.session.rollback()
    [subscription] = [s for s in subscribers(event_type) if s.name == handler]
    processor = OutboxProcessor()
    return sum(processor.deliver(subscription, decode_message(*row)) for row in rows)


def documents(order_id: str):
    view = InvoiceFacade().documents_for_order(order_id)
    db.session.rollback()
    return view


def summary(order_id: str) -> list[tuple[str, Decimal, list[tuple[str, Decimal]]]]:
    return [
        (d.kind.value, d.total.amount, [(x.description, x.amount.amount) for x in d.lines])
        for d in documents(order_id).documents
    ]


def reference(order_id: str) -> str:
    value = BookingFacade().get_order(order_id).reference
    db.session.rollback()
    return value


def cancelled_in_the_window() -> tuple[str, str]:
    """An €80.00 booking for tomorrow (inside 48 hours), invoiced and paid, cancelled by its
    customer: 25 % = €20.00. Nothing is drained after the cancellation."""
    policy()
    rid, _ = booked()
    order_id = order_of(rid)
    pay(order_id, "80")
    drain()
    BookingFacade().cancel_by_customer(rid, "Plans changed", seen_fee=Decimal("20.00"))
    db.session.rollback()
    return rid, order_id


def fee_line(order_id: str) -> tuple[str, Decimal]:
    return (f"Cancellation fee {reference(order_id)}", Decimal("20.00"))


def check_settled(order_id: str) -> None:
    invoice, note, fee_invoice = documents(order_id).documents
    assert (invoice.kind.value, invoice.total.amount) == ("invoice", Decimal("80.00"))
    assert (note.kind.value, note.credits_id, note.total.amount) == (
        "credit_note",
        invoice.id,
        Decimal("80.00"),
    )
    assert note.lines == invoice.lines  # the whole booking invoice, line by line
    assert fee_invoice.is_invoice and fee_invoice.number != invoice.number
    assert [(x.description, x.amount.amount) for x in fee_invoice.lines] == [fee_line(order_id)]
    assert all(x.period == "" for x in fee_invoice.lines)  # no booking line
    assert fee_invoice.total.amount == Decimal("20.00")
    assert fee_invoice.tax.vat.amount == Decimal("3.33")  # 20 × 20 / 120
    assert fee_invoice.paid.amount == Decimal("80.00")
    assert fee_invoice.balance.amount == Decimal("-60.00")  # what the shop owes back
    assert ledger(order_id).balance.amount == Decimal("-60.00")
    view = documents(order_id)
    assert view.live_invoice is not None and view.live_invoice.id == fee_invoice.id


@pytest.mark.parametrize("first", ["invoices", "ledger"])
def test_cancelling_in_the_window_credits_the_invoice_and_invoices_the_fee(app, first):
    _, order_id = cancelled_in_the_window()
    if first == "invoices":
        # The invoices' subscriber first: the fee is not on the ledger yet.
        assert deliver(INVOICES, "ReservationCancelled") == 1
        assert [k for k, _, _ in summary(order_id)] == ["invoice", "credit_note"]
        assert fees(order_id) == []
        drain()  # the ledger charges the fee; its ChargeAdded issues the fee invoice
    else:
        # The ledger first, then its ChargeAdded (fee invoice: the booking invoice credited
        # on the way), then the invoices' subscriber of the cancellation finds it settled.
        assert deliver(LEDGER, "ReservationCancelled") == 1
        assert deliver(FEE, "ChargeAdded") == 1
        assert [k for k, _, _ in summary(order_id)] == ["invoice", "credit_note", "invoice"]
        drain()
    check_settled(order_id)
    before = summary(order_id)
    redeliver()  # every event handled again
    assert summary(order_id) == before and len(fees(order_id)) == 1
    check_settled(order_id)


def test_the_default_drain_settles_too_and_numbers_stay_gapless(app):
    _, order_id = cancelled_in_the_window()
    drain()
    check_settled(order_id)
    invoice, note, fee_invoice = documents(order_id).documents
    assert int(fee_invoice.number[-6:]) == int(invoice.number[-6:]) + 1
    assert note.number.startswith("CN-")


def test_both_settlements_at_once_settle_once(app, backend):
    """PostgreSQL: the invoices' subscriber of the cancellation and the fee's subscriber run at
    the same moment in two workers. A third session holds the invoice series until both wait
    for it; then they take turns, and the second finds the order settled."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises every write transaction: this window cannot open there")
    _, order_id = cancelled_in_the_window()
    assert deliver(LEDGER, "ReservationCancelled") == 1  # the fee charged, ChargeAdded recorded
    year = documents(order_id).documents[0].year
    connection = db.engine.connect()
    transaction = connection.begin()
    connection.execute(
        text(
            "SELECT last FROM payments_document_counters WHERE series = 'INV' AND year = :y "
            "FOR UPDATE"
        ),
        {"y": year},
    )
    errors: list[BaseException] = []

    def worker(handler: str, event_type: str) -> None:
        with app.app_context():
            try:
                assert deliver(handler, event_type) == 1
            except BaseException as exc:  # reported below
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=worker, args=(INVOICES, "ReservationCancelled"), daemon=True),
        threading.Thread(target=worker, args=(FEE, "ChargeAdded"), daemon=True),
    ]
    for thread in threads:
        thread.start()
    waiting = 0
    try:
        # Until both wait for the held row (asked on the holder's own connection).
        waiting = wait_until_blocked(connection, count=2)
    finally:
        transaction.commit()  # the settlements take turns from here
        connection.close()
        for thread in threads:
            thread.join(120)
    assert waiting >= 2, "both settlements must have waited for the invoice series"
    assert not any(t.is_alive() for t in threads) and not errors, errors
    drain()
    check_settled(order_id)


def test_a_free_cancellation_issues_no_fee_invoice(app):
    policy(hours=2)  # tomorrow 09:00 is more than 2 hours away: free
    rid, _ = booked()
    order_id = order_of(rid)
    BookingFacade().cancel_by_customer(rid, "Plans changed")
    drain()
    assert fees(order_id) == []
    assert [(k, t) for k, t, _ in summary(order_id)] == [
        ("invoice", Decimal("80.00")),
        ("credit_note", Decimal("80.00")),
    ]
    assert documents(order_id).live_invoice is None
    redeliver()
    assert len(summary(order_id)) == 2


def test_staff_still_cannot_issue_an_invoice_for_the_cancelled_order(app):
    _, order_id = cancelled_in_the_window()
    drain()
    with pytest.raises(ConflictError, match="cancelled"):
        InvoiceFacade().issue_invoice(order_id, "staff")
    with pytest.raises(ConflictError, match="cancelled"):
        InvoiceFacade().reissue_invoice(order_id, "staff")
    db.session.rollback()
    assert len(summary(order_id)) == 3


def test_waiving_the_fee_credits_the_fee_invoice(app):
    _, order_id = cancelled_in_the_window()
    drain()
    [fee] = fees(order_id)
    PaymentsFacade().reverse_entry(
        ReverseEntry(order_id, fee.id, "Goodwill", "staff", frozenset({"reverse"}))
    )
    drain()
    kinds = summary(order_id)
    assert [k for k, _, _ in kinds] == ["invoice", "credit_note", "invoice", "credit_note"]
    fee_invoice, fee_note = documents(order_id).documents[2:]
    assert fee_note.credits_id == fee_invoice.id and fee_note.total.amount == Decimal("20.00")
    assert documents(order_id).live_invoice is None
    redeliver()
    assert summary(order_id) == kinds


@pytest.mark.parametrize("first", ["invoices", "ledger"])
def test_an_item_taken_out_in_the_window_puts_its_fee_on_the_reissued_invoice(app, first):
    policy()
    order, _ = ordered(
        OrderLine(1, equipment_type_id=make_type(hourly="20.00", deposit=None).type_id),
        OrderLine(
            2, equipment_type_id=make_type(hourly="5.00", name="Light", deposit=None).type_id
        ),
    )  # €80.00 + €40.00, invoiced
    drain()
    lights = order.lines[1]
    BookingFacade().remove_item_by_customer(lights.id, "Not needed", seen_fee=Decimal("10.00"))
    db.session.rollback()
    if first == "invoices":
        deliver(INVOICES, "ReservationCancelled")  # re-issued without the fee: not charged yet
        assert [(k, t) for k, t, _ in summary(order.id)] == [
            ("invoice", Decimal("120.00")),
            ("credit_note", Decimal("120.00")),
            ("invoice", Decimal("80.00")),
        ]
    drain()
    docs = documents(order.id)
    live = docs.live_invoice
    assert live is not None and not docs.out_of_date
    assert [(x.description, x.amount.amount) for x in live.lines][-1] == (
        f"Cancellation fee {order.reference}",
        Decimal("10.00"),
    )
    assert live.total.amount == Decimal("90.00")  # the generator and the lights' fee
    assert any(x.period for x in live.lines)  # a booking invoice, not a fee invoice
    before = summary(order.id)
    redeliver()
    assert summary(order.id) == before
    # Cancelling the rest: that invoice credited, both fees (10 + 20) on the fee invoice.
    BookingFacade().cancel_by_customer(order.lines[0].id, "No", seen_fee=Decimal("20.00"))
    drain()
    fee_invoice = documents(order.id).live_invoice
    assert fee_invoice is not None and fee_invoice.total.amount == Decimal("30.00")
    amounts = sorted(x.amount.amount for x in fee_invoice.lines)
    assert amounts == [Decimal("10.00"), Decimal("20.00")]
    [note] = [d for d in documents(order.id).documents if d.credits_id == live.id]
    assert note.total.amount == Decimal("90.00")  # the re-issued invoice, credited in full


def test_the_fee_invoice_pdf_renders_and_the_panel_offers_no_reissue(admin_client):
    rid, order_id = cancelled_in_the_window()
    drain()
    panel = admin_client.get(f"/admin/reservations/{rid}").get_data(as_text=True)
    assert "the charges of the cancelled order" in panel and "reissue-invoice" not in panel
    fee_invoice = documents(order_id).documents[-1]
    response = admin_client.get(f"/admin/invoices/{fee_invoice.id}/pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    data = response.get_data()
    assert data.startswith(b"%PDF")
    _, content = pdf_text(data)
    assert fee_invoice.number in content
    assert f"Cancellation fee {reference(order_id)}" in content
    assert "€20.00" in content and "Overpaid €60.00" in content, content
