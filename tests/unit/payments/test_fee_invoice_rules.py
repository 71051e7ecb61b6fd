"""The settlement of a cancelled order (pure): booking invoices credited, the charges left on
one fee invoice — nothing when it already lists them, credited and issued anew when they
changed, credited when none are left."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from rental.payments.domain.fee_invoices import (
    charge_lines,
    is_fee_invoice,
    settle_cancelled,
)
from rental.payments.domain.invoices import (
    Document,
    DocumentKind,
    DocumentLine,
    ExtraCharge,
    InvoiceState,
    Party,
    compute_tax,
)
from rental.shared.money import Money


def eur(x: str) -> Money:
    return Money(Decimal(x), "EUR")


def invoice(*lines: DocumentLine, number: str = "2026-000001") -> InvoiceState:
    document = Document(
        id=number,
        kind=DocumentKind.INVOICE,
        number=number,
        year=2026,
        sequence=int(number[-6:]),
        issue_date=date(2026, 11, 26),
        issued_at=datetime(2026, 11, 26, tzinfo=UTC),
        order_id="o1",
        order_reference="RK-1",
        customer_id="c1",
        currency="EUR",
        seller=Party("Shop"),
        buyer=Party("Customer"),
        lines=lines,
        tax=compute_tax(
            [x.amount for x in lines], rate=Decimal(20), prices_include_vat=True, currency="EUR"
        ),
        paid=eur("0"),
        actor="booking",
    )
    return InvoiceState(document, credited=eur("0"))


BOOKING = DocumentLine("Drill", "Fri 27 Nov 2026, 09:00 – 13:00", 1, eur("80.00"))
FEE = charge_lines([ExtraCharge("Cancellation fee RK-1", eur("20"))])


def test_a_fee_invoice_has_no_booking_line():
    assert not is_fee_invoice(invoice(BOOKING).invoice)
    assert not is_fee_invoice(invoice(BOOKING, *FEE).invoice)  # a re-issued booking invoice
    assert is_fee_invoice(invoice(*FEE).invoice)
    assert charge_lines([ExtraCharge("Nothing", eur("0"))]) == ()


def test_the_booking_invoice_is_credited_and_the_fee_invoiced():
    booking = invoice(BOOKING)
    plan = settle_cancelled([booking], FEE)
    assert plan.credit == (booking,) and plan.fee_lines == FEE
    assert FEE[0].amount == eur("20.00") and FEE[0].period == ""


def test_settled_means_nothing_more():
    assert settle_cancelled([invoice(*FEE, number="2026-000002")], FEE).nothing
    assert settle_cancelled([], ()).nothing  # a free cancellation of an order never invoiced


def test_a_free_cancellation_credits_only():
    booking = invoice(BOOKING)
    plan = settle_cancelled([booking], ())
    assert plan.credit == (booking,) and plan.fee_lines == ()


def test_changed_charges_reissue_the_fee_invoice_and_none_left_credit_it():
    fee_invoice = invoice(*FEE, number="2026-000002")
    more = FEE + charge_lines([ExtraCharge("Damage: Scratch", eur("5"))])
    plan = settle_cancelled([fee_invoice], more)
    assert plan.credit == (fee_invoice,) and plan.fee_lines == more
    plan = settle_cancelled([fee_invoice], ())
    assert plan.credit == (fee_invoice,) and plan.fee_lines == ()
