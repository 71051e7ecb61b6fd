"""Net prices (rate cards without VAT): the one rule by which Booking's net amounts become what
the customer pays (PaymentPolicy.gross), and where it is applied — what is due, the late fee,
the invoice's lines. Pure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rental.payments.domain.due import price_vat_note, vat_statement, what_is_due
from rental.payments.domain.invoices import (
    OrderForInvoice,
    OrderLineForInvoice,
    compute_tax,
    gross_lines,
)
from rental.payments.domain.late_fee import LateFee, including_vat
from rental.payments.domain.policy import PaymentPolicy
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

NET19 = PaymentPolicy(vat_rate=Decimal("19"), prices_include_vat=False)
GROSS19 = PaymentPolicy(vat_rate=Decimal("19"), prices_include_vat=True)
NET0 = PaymentPolicy(vat_rate=Decimal("0"), prices_include_vat=False)


def eur(amount: str, currency: str = "EUR") -> Money:
    return Money(Decimal(amount), currency)


@pytest.mark.parametrize(
    ("net", "gross"),
    [
        ("38.00", "45.22"),  # €9.50 × 4 h
        ("10.60", "12.61"),  # 12.614 → down
        ("28.50", "33.92"),  # 33.915 → half up
        ("0.01", "0.01"),  # 0.0119
        ("0.05", "0.06"),  # 0.0595
        ("0", "0.00"),
        ("37.995", "45.21"),  # not rounded first: the function rounds once, at the end
    ],
)
def test_gross_adds_the_rate_and_rounds_half_up_to_the_cent(net, gross):
    assert NET19.gross(eur(net)) == eur(gross)


def test_gross_rounds_to_the_currencys_decimals():
    assert NET19.gross(Money(Decimal("1005"), "JPY")) == Money(Decimal("1196"), "JPY")  # 1195.95
    assert NET19.gross(Money(Decimal("1.005"), "KWD")) == Money(Decimal("1.196"), "KWD")


def test_gross_with_a_fractional_rate():
    policy = PaymentPolicy(vat_rate=Decimal("7.7"), prices_include_vat=False)
    assert policy.gross(eur("100.00")) == eur("107.70")
    assert policy.gross(eur("9.99")) == eur("10.76")  # 10.75923
    assert policy.vat_percent == "7.7 %"


@pytest.mark.parametrize("policy", [GROSS19, NET0, PaymentPolicy()])
def test_gross_is_the_identity_under_a_gross_policy_or_without_vat(policy):
    for amount in ("38.00", "37.995", "0"):
        assert policy.gross(eur(amount)) == eur(amount)
    assert not policy.adds_vat


def test_gross_total_rounds_each_line_first_as_the_ledger_charges_them():
    lines = [eur("0.05"), eur("0.05")]
    assert NET19.gross_total(lines, "EUR") == eur("0.12")  # 0.06 + 0.06, not round(0.119)
    assert GROSS19.gross_total(lines, "EUR") == eur("0.10")
    assert NET19.gross_total([], "EUR") == eur("0")


def test_vat_percent_prints_the_rate_without_trailing_zeros():
    assert PaymentPolicy(vat_rate=Decimal("19.00")).vat_percent == "19 %"
    assert PaymentPolicy(vat_rate=Decimal("20")).vat_percent == "20 %"


# --- what is due ---------------------------------------------------------------------------------


def test_under_a_net_policy_what_is_due_is_the_gross_rental_incl_vat_and_the_deposit_as_is():
    rental, deposit = what_is_due(NET19, eur("48.60"), eur("200.00"), [eur("38.00"), eur("10.60")])
    assert (rental.amount, rental.vat) == (eur("57.83"), "incl. 19 % VAT")
    assert (deposit.amount, deposit.vat) == (eur("200.00"), "")
    # Without the lines: the total's gross.
    [rental] = what_is_due(NET19, eur("38.00"), None)
    assert rental.amount == eur("45.22")
    assert vat_statement(NET19) == "" and price_vat_note(NET19) == "plus 19 % VAT"


def test_under_a_gross_policy_what_is_due_is_unchanged_and_says_prices_include_vat():
    [rental] = what_is_due(GROSS19, eur("48.60"), None, [eur("38.00"), eur("10.60")])
    assert (rental.amount, rental.vat) == (eur("48.60"), "")
    assert vat_statement(GROSS19) == "Prices include 19 % VAT."
    assert price_vat_note(GROSS19) == ""
    assert vat_statement(PaymentPolicy()) == "" and price_vat_note(NET0) == ""


# --- the late fee --------------------------------------------------------------------------------


def test_a_late_fee_from_a_net_rate_card_gets_the_vat_added_and_says_so():
    fee = LateFee(eur("28.50"), timedelta(hours=2, minutes=30), 1, ("3 hours × €9.50",))
    gross = including_vat(fee, NET19)
    assert gross is not None and gross.amount == eur("33.92")
    assert gross.description == (
        "2 h 30 min late: 3 hours × €9.50, from the rate card, plus 19 % VAT"
    )
    assert including_vat(fee, GROSS19) is fee
    assert including_vat(None, NET19) is None


# --- the invoice ---------------------------------------------------------------------------------


def _order(*lines: OrderLineForInvoice) -> OrderForInvoice:
    return OrderForInvoice("o1", "RK-1", "c1", "EUR", "CONFIRMED", lines)


SLOT = TimeRange(datetime(2026, 11, 27, 9, tzinfo=UTC), datetime(2026, 11, 27, 13, tzinfo=UTC))


def test_invoice_lines_are_gross_per_booking_line_and_the_vat_comes_out_of_the_total():
    kit = OrderLineForInvoice(
        "Kit", SLOT, 1, eur("0.10"), ("a", "b"), line_amounts=(eur("0.05"), eur("0.05"))
    )
    single = OrderLineForInvoice("Drill", SLOT, 1, eur("38.00"), ("c",), (eur("38.00"),))
    older = OrderLineForInvoice("Saw", SLOT, 1, eur("10.60"))  # no line amounts
    order = gross_lines(_order(kit, single, older), NET19)
    assert [x.amount for x in order.lines] == [eur("0.12"), eur("45.22"), eur("12.61")]
    tax = compute_tax(
        (x.amount for x in order.lines), rate=Decimal("19"), prices_include_vat=True, currency="EUR"
    )
    assert (tax.net, tax.vat, tax.gross) == (eur("48.70"), eur("9.25"), eur("57.95"))
    assert tax.net + tax.vat == tax.gross
    # A gross policy: Booking's amounts as they are.
    assert gross_lines(_order(kit, single), GROSS19) == _order(kit, single)
