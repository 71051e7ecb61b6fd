"""Invoices' pure rules: VAT on gross and net prices with rounding to the currency, numbers,
what goes on an invoice, what may be credited."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from rental.payments.domain.invoices import (
    Document,
    DocumentKind,
    DocumentLine,
    ExtraCharge,
    InvoiceState,
    OrderForInvoice,
    OrderLineForInvoice,
    Party,
    check_credit,
    compute_tax,
    ensure_invoiceable,
    format_number,
    invoice_lines,
    round_money,
    same_lines,
)
from rental.shared.errors import ConflictError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange


def eur(x: str) -> Money:
    return Money(Decimal(x), "EUR")


def tax(amounts, rate, gross, currency="EUR"):
    return compute_tax(
        [Money(Decimal(a), currency) for a in amounts],
        rate=Decimal(rate),
        prices_include_vat=gross,
        currency=currency,
    )


def test_gross_prices_take_the_vat_out_of_the_total():
    t = tax(["100.00", "19.00"], "19", gross=True)
    assert (t.gross.amount, t.net.amount, t.vat.amount) == (
        Decimal("119.00"),
        Decimal("100.00"),
        Decimal("19.00"),
    )


def test_net_prices_add_the_vat_on_top():
    t = tax(["100.00"], "20", gross=False)
    assert (t.net.amount, t.vat.amount, t.gross.amount) == (
        Decimal("100.00"),
        Decimal("20.00"),
        Decimal("120.00"),
    )


def test_vat_is_rounded_half_up_to_cents_and_the_parts_add_up():
    # 10.00 gross at 7.7 %: 10 × 7.7 / 107.7 = 0.71495… → 0.71
    t = tax(["10.00"], "7.7", gross=True)
    assert (t.vat.amount, t.net.amount) == (Decimal("0.71"), Decimal("9.29"))
    # 0.10 net at 25 %: 0.025 → 0.03 (half up, not banker's 0.02)
    t = tax(["0.10"], "25", gross=False)
    assert (t.vat.amount, t.gross.amount) == (Decimal("0.03"), Decimal("0.13"))
    for amounts, rate, gross in [
        (["33.33", "33.33", "33.34"], "19", True),
        (["0.01"], "19", True),
        (["999.99"], "7.7", False),
    ]:
        t = tax(amounts, rate, gross)
        assert t.net + t.vat == t.gross


def test_vat_is_computed_once_on_the_total_not_per_line():
    # Three lines of 0.10 gross at 20 %: per line 0.0167 → 0.02 each (0.06 in all); on the
    # total, 0.30 × 20 / 120 = 0.05.
    t = tax(["0.10", "0.10", "0.10"], "20", gross=True)
    assert t.vat.amount == round_money(Decimal("0.30") * 20 / 120, "EUR") == Decimal("0.05")


def test_a_currency_without_decimals_is_rounded_to_whole_units():
    t = tax(["1000"], "10", gross=True, currency="JPY")
    assert (t.vat.amount, t.net.amount) == (Decimal("91"), Decimal("909"))


def test_no_vat_rate_means_net_equals_gross():
    t = tax(["12.50"], "0", gross=True)
    assert t.net == t.gross == eur("12.50") and t.vat.amount == 0


def test_numbers_per_series_and_year():
    assert format_number(DocumentKind.INVOICE, 2026, 123) == "2026-000123"
    assert format_number(DocumentKind.CREDIT_NOTE, 2026, 4) == "CN-2026-000004"
    with pytest.raises(ValueError):
        format_number(DocumentKind.INVOICE, 2026, 0)


def _order(status="CONFIRMED") -> OrderForInvoice:
    period = TimeRange(datetime(2026, 12, 1, 9, tzinfo=UTC), datetime(2026, 12, 1, 13, tzinfo=UTC))
    return OrderForInvoice(
        order_id="o1",
        reference="ABC-123",
        customer_id="c1",
        currency="EUR",
        status=status,
        lines=(OrderLineForInvoice("Drill", period, 2, eur("80.004")),),
    )


def test_lines_of_an_invoice_are_the_order_lines_and_the_other_charges():
    lines = invoice_lines(
        _order(), [ExtraCharge("Damage: scratch", eur("15")), ExtraCharge("x", eur("0"))], str
    )
    assert [(x.description, x.quantity, x.amount.amount) for x in lines] == [
        ("Drill", 2, Decimal("80.00")),
        ("Damage: scratch", 1, Decimal("15.00")),
    ]
    assert same_lines(lines, tuple(reversed(lines)))
    assert not same_lines(lines, lines[:1])


def test_a_cancelled_or_unconfirmed_order_gets_no_invoice():
    ensure_invoiceable(_order("CONFIRMED"))
    with pytest.raises(ConflictError, match="cancelled"):
        ensure_invoiceable(_order("CANCELLED"))
    with pytest.raises(ConflictError, match="not confirmed"):
        ensure_invoiceable(_order("PENDING"))


def test_a_credit_is_more_than_zero_and_at_most_what_is_left():
    invoice = Document(
        id="i",
        kind=DocumentKind.INVOICE,
        number="2026-000001",
        year=2026,
        sequence=1,
        issue_date=date(2026, 11, 26),
        issued_at=datetime(2026, 11, 26, tzinfo=UTC),
        order_id="o1",
        order_reference="ABC",
        customer_id="c1",
        currency="EUR",
        seller=Party("Shop"),
        buyer=Party("Customer"),
        lines=(DocumentLine("Drill", "", 1, eur("100")),),
        tax=tax(["100"], "20", gross=True),
        paid=eur("0"),
        actor="x",
    )
    state = InvoiceState(invoice, credited=eur("30"))
    assert state.open_amount == eur("70") and state.live
    check_credit(state, eur("70"))
    with pytest.raises(ValidationError, match="70"):
        check_credit(state, eur("70.01"))
    with pytest.raises(ValidationError):
        check_credit(state, eur("0"))
