from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.shared.errors import ValidationError
from rental.shared.money import ISO_4217, Money, clean_currency, minor_units


def test_arithmetic_is_exact():
    total = Money(Decimal("0.10")) + Money(Decimal("0.20"))
    assert total == Money(Decimal("0.30"))
    assert Money("19.99") * 3 == Money("59.97")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(0.1)  # type: ignore[arg-type]


def test_currencies_do_not_mix():
    with pytest.raises(ValueError, match="EUR with USD"):
        Money("1", "EUR") + Money("1", "USD")


def test_currency_code_is_validated_and_normalised():
    assert Money("1", "usd").currency == "USD"
    with pytest.raises(ValidationError):
        Money("1", "euro")


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [
        ("2.675", "EUR", "2.68"),
        ("2.665", "EUR", "2.67"),
        ("1234.5", "JPY", "1235"),
        ("0.0005", "KWD", "0.001"),
    ],
)
def test_rounds_half_up_to_the_minor_unit(amount, currency, expected):
    assert Money(amount, currency).rounded().amount == Decimal(expected)


def test_formats_with_symbol_and_two_decimals():
    assert Money("1234.5").format() == "€1,234.50"
    assert Money("7", "SEK").format() == "7.00 SEK"
    # A discount or what the shop owes: the minus sign before the symbol.
    assert Money("-3.8").format() == "\u2212€3.80"
    assert Money("-1234.5", "SEK").format() == "\u22121,234.50 SEK"


def test_round_trips_through_dict():
    m = Money("12.345", "GBP")
    assert Money.from_dict(m.to_dict()) == m


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False))
def test_rounding_moves_less_than_half_a_cent(value):
    m = Money(value)
    assert abs(m.rounded().amount - m.amount) <= Decimal("0.005")


def test_iso_4217_table_has_the_minor_units_of_real_currencies():
    assert len(ISO_4217) > 150
    assert all(len(code) == 3 and code.isalpha() and code.isupper() for code in ISO_4217)
    expected = {"EUR": 2, "USD": 2, "GBP": 2, "JPY": 0, "KRW": 0, "XOF": 0, "KWD": 3, "TND": 3}
    assert {code: minor_units(code) for code in expected} == expected
    assert minor_units("XYZ") == 2  # stored amounts in an unknown code still format


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("XYZ", "XYZ is not a currency code we know"),
        ("XTS", "XTS is not a currency code we know"),
        ("€", "three-letter code"),
        ("  ", "Give the currency"),
    ],
)
def test_clean_currency_accepts_iso_4217_only(raw, message):
    assert clean_currency(" chf ") == "CHF"
    with pytest.raises(ValidationError, match=message) as err:
        clean_currency(raw)
    assert err.value.field == "currency"
