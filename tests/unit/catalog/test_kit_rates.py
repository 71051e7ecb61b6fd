"""A kit's own rates as staff give them: checked like a rate card's amounts (more than zero,
the currency's decimals, at most 1,000,000), the hour not above the day, the week not below
it; every faulty field at once."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rental.catalog.domain.kits import check_rates
from rental.shared.errors import ValidationError
from rental.shared.money import Money


def d(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def test_good_rates_become_money_in_the_currency():
    rates = check_rates(d("25.00"), d("150"), d("600.5"), "EUR")
    assert (rates.hourly, rates.daily, rates.weekly) == (
        Money(Decimal("25.00")),
        Money(Decimal("150")),
        Money(Decimal("600.5")),
    )
    assert check_rates(d("25"), d("150"), None, "EUR").weekly is None


@pytest.mark.parametrize(
    ("hourly", "daily", "weekly", "field", "words"),
    [
        ("0", "150", None, "hourly_rate", "more than zero"),
        ("-5", "150", None, "hourly_rate", "more than zero"),
        ("25", None, None, "daily_rate", "Give the price per day"),
        ("25.001", "150", None, "hourly_rate", "at most 2 decimals"),
        ("25", "1000000.01", None, "daily_rate", "at most"),
        ("200", "150", None, "hourly_rate", "cannot be above the price per day"),
        ("25", "150", "100", "weekly_rate", "cannot be below the price per day"),
        ("25", "150", "NaN", "weekly_rate", "not an amount"),
    ],
)
def test_bad_rates_are_refused_next_to_their_field(hourly, daily, weekly, field, words):
    with pytest.raises(ValidationError) as caught:
        check_rates(d(hourly), d(daily), d(weekly), "EUR")
    assert words in caught.value.errors[field]


def test_every_faulty_field_at_once_and_a_currency_without_decimals():
    with pytest.raises(ValidationError) as caught:
        check_rates(d("0"), d("-1"), d("0"), "EUR")
    assert set(caught.value.errors) == {"hourly_rate", "daily_rate", "weekly_rate"}
    with pytest.raises(ValidationError) as caught:
        check_rates(d("2500.5"), d("15000"), None, "JPY")
    assert "no decimals in JPY" in caught.value.errors["hourly_rate"]
