"""The cancellation fee (pure): free before the window, a percentage, a fixed amount capped at
the total, rounding to the currency, the boundary exactly N hours before, none after the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rental.payments.domain.cancellation import (
    cancellation_fee,
    cancellation_quote,
    free_until,
)
from rental.payments.domain.policy import FeeKind, PaymentPolicy
from rental.shared.money import Money

START = datetime(2030, 5, 10, 9, 0, tzinfo=UTC)
TOTAL = Money(Decimal("80.00"), "EUR")


def policy(kind: FeeKind = FeeKind.PERCENT, value: str = "25", hours: int = 48) -> PaymentPolicy:
    return PaymentPolicy(
        cancellation_free_hours=hours, cancellation_fee=kind, cancellation_fee_value=Decimal(value)
    )


def before(hours: float) -> datetime:
    return START - timedelta(hours=hours)


def test_no_fee_policy_is_always_free():
    p = PaymentPolicy()
    assert cancellation_fee(p, TOTAL, START, before(1)).is_zero
    assert free_until(p, START) is None


def test_free_before_the_window():
    assert cancellation_fee(policy(), TOTAL, START, before(49)) == Money(Decimal("0"), "EUR")
    quote = cancellation_quote(policy(), TOTAL, START, before(49))
    assert quote.is_free and quote.free_until == before(48)


def test_percent_of_the_total_inside_the_window():
    quote = cancellation_quote(policy(), TOTAL, START, before(10))
    assert quote.fee == Money(Decimal("20.00"), "EUR")
    assert quote.percent == Decimal("25") and quote.free_hours == 48


def test_fixed_amount_and_capped_at_the_total():
    assert cancellation_fee(policy(FeeKind.FIXED, "15"), TOTAL, START, before(1)) == Money(
        Decimal("15.00"), "EUR"
    )
    quote = cancellation_quote(policy(FeeKind.FIXED, "100"), TOTAL, START, before(1))
    assert quote.fee == TOTAL and quote.capped


def test_rounded_half_up_to_the_currency():
    total = Money(Decimal("33.33"), "EUR")
    # 12.5 % of 33.33 = 4.16625 -> 4.17
    assert cancellation_fee(policy(value="12.5"), total, START, before(1)).amount == Decimal("4.17")
    yen = Money(Decimal("999"), "JPY")
    # 25 % of ¥999 = 249.75 -> ¥250 (no decimals)
    assert cancellation_fee(policy(), yen, START, before(1)).amount == Decimal("250")


def test_the_boundary_exactly_n_hours_before_costs_the_fee():
    assert cancellation_fee(policy(), TOTAL, START, before(48)).amount == Decimal("20.00")
    just_before = before(48) - timedelta(microseconds=1)
    assert cancellation_fee(policy(), TOTAL, START, just_before).is_zero


@pytest.mark.parametrize("after", [timedelta(0), timedelta(minutes=1), timedelta(days=3)])
def test_none_from_the_start_on(after):
    assert cancellation_fee(policy(), TOTAL, START, START + after).is_zero


def test_zero_hours_window_costs_only_nothing_before_the_start():
    # "free until 0 hours before": the fee applies from the start, when cancelling is over.
    assert cancellation_fee(policy(hours=0), TOTAL, START, before(0.5)).is_zero


def test_a_zero_total_costs_nothing():
    zero = Money.zero("EUR")
    assert cancellation_fee(policy(FeeKind.FIXED, "10"), zero, START, before(1)).is_zero
