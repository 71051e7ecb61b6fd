"""The loyalty discount line: a tier's percentage of the rental subtotal (never the
deposit), rounded to the currency's minor unit, never more than the subtotal; none for
Bronze or 0 %."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.pricing.domain.loyalty import LoyaltyDiscount, loyalty_discount
from rental.pricing.domain.models import RateCard, quote
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

T0 = datetime(2026, 12, 1, 8, tzinfo=UTC)
MINUS = "\u2212"


def eur(x) -> Money:
    return Money(Decimal(str(x)), "EUR")


def test_labels_name_the_tier_and_the_percentage():
    assert loyalty_discount("GOLD", Decimal(5), Decimal(10)).label == f"Gold member {MINUS}10 %"
    assert loyalty_discount("Silver", Decimal("7.50"), Decimal(10)).label == (
        f"Silver member {MINUS}7.5 %"
    )


@pytest.mark.parametrize("tier", ["BRONZE", "bronze", "PLATINUM", ""])
def test_other_tiers_get_none(tier):
    assert loyalty_discount(tier, Decimal(5), Decimal(10)) is None


def test_zero_percent_is_no_discount():
    assert loyalty_discount("SILVER", Decimal(0), Decimal(10)) is None


def test_rounded_half_up_to_the_currency():
    line = LoyaltyDiscount("Silver", Decimal(5)).line(eur("10.10"))
    assert line.amount == eur("-0.51")  # 0.505 -> 0.51
    yen = LoyaltyDiscount("Gold", Decimal(10)).line(Money(Decimal(1235), "JPY"))
    assert yen.amount == Money(Decimal(-124), "JPY")  # 123.5 -> 124, no decimals


def test_nothing_off_nothing_gives_no_line():
    assert LoyaltyDiscount("Gold", Decimal(10)).line(eur("0.00")) is None
    assert LoyaltyDiscount("Gold", Decimal(10)).line(eur("0.04")) is None  # rounds to 0.00


@given(
    st.decimals(min_value=0, max_value=100000, places=2),
    st.decimals(min_value=0, max_value=50, places=2),
)
def test_never_more_than_the_subtotal_and_never_positive(amount, percent):
    line = LoyaltyDiscount("Gold", percent).line(eur(amount))
    if line is not None:
        assert line.amount.amount < 0
        assert -line.amount.amount <= amount
        assert eur(amount) + line.amount >= eur(0)


def test_the_quote_takes_it_off_the_rental_subtotal_not_the_deposit():
    card = RateCard("t", eur("20.00"), eur("120.00"), deposit=eur("200.00"))
    discount = LoyaltyDiscount("Gold", Decimal(10))

    def rule(context):
        line = discount.line(context.subtotal)
        return [line] if line else []

    q = quote(card, TimeRange(T0, T0 + timedelta(hours=3)), 2, discount_rules=[rule])
    assert q.subtotal == eur("120.00")  # 3 hours x 20.00 x 2 units
    assert [(d.label, d.amount) for d in q.discounts] == [(f"Gold member {MINUS}10 %", eur(-12))]
    assert q.total == eur("108.00")
    assert q.deposit == eur("400.00")  # untouched
