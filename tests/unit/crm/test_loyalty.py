"""CRM's pure rules: points from a completed line's total, the tier of a number of points,
qualifying rentals, points taken back, and the expiry that drops a tier one level."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rental.crm.domain.history import applies
from rental.crm.domain.loyalty import (
    LoyaltyStatus,
    Tier,
    add_months,
    expire,
    points_for,
    qualify,
    take_back,
    tier_for,
)
from rental.crm.domain.preferences import Preferences, changes, valid_source

T0 = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("points", "tier"),
    [(0, Tier.BRONZE), (100, Tier.BRONZE), (101, Tier.SILVER), (500, Tier.SILVER),
     (501, Tier.GOLD), (10**6, Tier.GOLD)],
)  # fmt: skip
def test_tier_boundaries(points, tier):
    assert tier_for(points) == tier


@pytest.mark.parametrize(
    ("total", "points"),
    [("0", 0), ("9.99", 0), ("10", 1), ("19.99", 1), ("1234.56", 123), ("-50", 0)],
)
def test_one_point_per_ten_rounded_down(total, points):
    assert points_for(Decimal(total)) == points


def test_not_a_number_earns_nothing():
    assert points_for(Decimal("NaN")) == 0
    assert points_for(Decimal("Infinity")) == 0


@given(st.integers(min_value=0, max_value=10**7), st.integers(min_value=0, max_value=10**7))
def test_tier_is_a_monotone_function_of_points(a, b):
    assert tier_for(a) == tier_for(a)
    if a <= b:
        assert tier_for(a) <= tier_for(b)


def test_a_qualifying_rental_sets_tier_and_twelve_months():
    status = qualify(LoyaltyStatus(), 150, T0)
    assert (status.points, status.tier) == (150, Tier.SILVER)
    assert status.last_qualifying_at == T0
    assert status.tier_expires_at == datetime(2027, 3, 15, 10, 0, tzinfo=UTC)
    bronze = qualify(LoyaltyStatus(), 5, T0)
    assert bronze.tier == Tier.BRONZE and bronze.tier_expires_at is None


def test_twelve_months_from_29_february_is_28_february():
    assert add_months(datetime(2028, 2, 29, tzinfo=UTC), 12) == datetime(2029, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2026, 12, 31, tzinfo=UTC), 2) == datetime(2027, 2, 28, tzinfo=UTC)


def test_expiry_drops_one_level_and_restarts_the_clock():
    gold = qualify(LoyaltyStatus(), 600, T0)
    assert expire(gold, gold.tier_expires_at - timedelta(seconds=1)) == gold
    silver = expire(gold, gold.tier_expires_at)
    assert (silver.tier, silver.points) == (Tier.SILVER, 600)
    assert silver.tier_expires_at == datetime(2028, 3, 15, 10, 0, tzinfo=UTC)
    bronze = expire(silver, silver.tier_expires_at + timedelta(days=1))
    assert bronze.tier == Tier.BRONZE and bronze.tier_expires_at is None
    assert expire(bronze, datetime(2040, 1, 1, tzinfo=UTC)) == bronze


def test_taking_points_back_never_goes_below_zero_nor_raises_the_tier():
    status = qualify(LoyaltyStatus(), 120, T0)
    assert take_back(status, 500) == LoyaltyStatus(0, Tier.BRONZE, T0, None)
    dropped = expire(qualify(LoyaltyStatus(), 600, T0), datetime(2030, 1, 1, tzinfo=UTC))
    assert dropped.tier == Tier.SILVER
    assert take_back(dropped, 10).tier == Tier.SILVER  # 590 points earn Gold; it stays Silver


def test_points_are_never_negative_by_construction():
    with pytest.raises(ValueError):
        LoyaltyStatus(points=-1)


_moments = st.datetimes(
    min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1), timezones=st.just(UTC)
)
_steps = st.lists(
    st.tuples(st.sampled_from(["qualify", "take_back", "expire"]),
              st.integers(min_value=-50, max_value=700), _moments),
    max_size=30,
)  # fmt: skip


@given(_steps)
def test_any_history_keeps_points_non_negative_and_tier_at_most_earned(steps):
    status = LoyaltyStatus()
    for kind, n, at in steps:
        before = status
        if kind == "qualify":
            status = qualify(status, n, at)
            assert status.tier == tier_for(status.points)
        elif kind == "take_back":
            status = take_back(status, n)
            assert status.points == max(before.points - max(n, 0), 0)
        else:
            status = expire(status, at)
            assert before.tier - status.tier in (0, 1)  # never more than one level at once
            assert status.points == before.points
        assert status.points >= 0
        assert status.tier <= tier_for(status.points)
        if status.tier != Tier.BRONZE:
            assert status.tier_expires_at is not None  # a tier above Bronze always expires


@given(st.sampled_from(list(Tier)), st.integers(0, 2000), _moments, _moments)
def test_expiry_drops_exactly_one_level_once_due(tier, points, expires, now):
    status = LoyaltyStatus(points, tier, None, None if tier == Tier.BRONZE else expires)
    after = expire(status, now)
    if tier != Tier.BRONZE and now >= expires:
        assert after.tier == Tier(tier - 1)
    else:
        assert after.tier == tier


@given(st.integers(0, 100), st.one_of(st.none(), st.integers(0, 100)))
def test_only_a_newer_sequence_applies(sequence, last):
    assert applies(sequence, last) == (last is None or sequence == 0 or sequence > last)


def test_preference_changes_and_sources():
    before = Preferences()
    assert changes(before, before) == []
    assert changes(before, Preferences(sms=True, newsletter=True)) == [
        ("sms", True),
        ("newsletter", True),
    ]
    assert valid_source("customer")
    assert valid_source("staff:anna@example.com")
    assert not valid_source("staff:")
    assert not valid_source("admin")
    assert not valid_source("staff:a b@example.com")
