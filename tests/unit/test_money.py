from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.shared.errors import ValidationError
from rental.shared.money import Money


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


def test_round_trips_through_dict():
    m = Money("12.345", "GBP")
    assert Money.from_dict(m.to_dict()) == m


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4, allow_nan=False))
def test_rounding_moves_less_than_half_a_cent(value):
    m = Money(value)
    assert abs(m.rounded().amount - m.amount) <= Decimal("0.005")
