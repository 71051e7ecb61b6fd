"""The fee of taking part of an order out (pure): PERCENT of the part rounded down, FIXED shared
by price from what is left of the fixed fee, free outside the window — and, whatever the order
of the steps, the removals plus the final cancellation never cost more than cancelling the
whole order at once (nor, under FIXED, more than the fixed fee)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from rental.payments.domain.cancellation import cancellation_fee
from rental.payments.domain.ledger import Account, Category, Ledger
from rental.payments.domain.part_cancellation import fee_to_charge, part_quote
from rental.payments.domain.policy import FeeKind, PaymentPolicy
from rental.shared.money import Money

START = datetime(2030, 5, 10, 9, 0, tzinfo=UTC)
NOW = START - timedelta(hours=10)  # inside a 48-hour window


def policy(kind: FeeKind = FeeKind.PERCENT, value: str = "25", hours: int = 48) -> PaymentPolicy:
    return PaymentPolicy(
        cancellation_free_hours=hours, cancellation_fee=kind, cancellation_fee_value=Decimal(value)
    )


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def test_percent_of_the_part_rounded_down():
    q = part_quote(policy(), eur("10.02"), eur("100.00"), START, NOW)
    assert q.fee == eur("2.50")  # 2.505 down, not up
    assert (q.total, q.order_total, q.percent) == (eur("10.02"), eur("100.00"), Decimal(25))


def test_the_whole_order_is_the_ordinary_fee():
    p = policy()
    assert part_quote(p, eur("80.00"), eur("80.00"), START, NOW).fee == cancellation_fee(
        p, eur("80.00"), START, NOW
    )
    f = policy(FeeKind.FIXED, "500")
    q = part_quote(f, eur("80.00"), eur("80.00"), START, NOW)
    assert q.fee == eur("80.00") and q.capped and q.order_total is None


def test_outside_the_window_a_part_is_free():
    q = part_quote(policy(hours=2), eur("30.00"), eur("100.00"), START, NOW)
    assert q.is_free and q.free_until == START - timedelta(hours=2)


def test_fixed_is_shared_by_price_and_the_rest_pays_what_is_left():
    f = policy(FeeKind.FIXED, "50")
    first = part_quote(f, eur("60.00"), eur("100.00"), START, NOW)
    assert first.fee == eur("30.00") and first.fee_left == eur("50.00")
    rest = part_quote(f, eur("40.00"), eur("40.00"), START, NOW, first.fee)
    assert rest.fee == eur("20.00") and rest.charged == eur("30.00")
    assert rest.fee_left == eur("20.00")


def test_fixed_a_cheap_item_kept_does_not_make_the_dear_one_free():
    f = policy(FeeKind.FIXED, "50")
    dear = part_quote(f, eur("1000.00"), eur("1005.00"), START, NOW)
    assert dear.fee == eur("49.75")
    cheap = part_quote(f, eur("5.00"), eur("5.00"), START, NOW, dear.fee)
    assert cheap.fee == eur("0.25")  # together: the fixed fee


def test_fixed_more_than_the_order_costs_the_part_its_price():
    f = policy(FeeKind.FIXED, "50")
    q = part_quote(f, eur("10.00"), eur("20.00"), START, NOW)
    assert q.fee == eur("10.00") and q.capped


def test_fixed_nothing_left_after_the_fee_was_charged():
    f = policy(FeeKind.FIXED, "50")
    q = part_quote(f, eur("40.00"), eur("40.00"), START, NOW, eur("50.00"))
    assert q.is_free and q.fee_left == eur("0.00")


@settings(max_examples=300, deadline=None)
@given(
    kind=st.sampled_from([FeeKind.PERCENT, FeeKind.FIXED]),
    value=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(120), places=2),
    cents=st.lists(st.integers(min_value=1, max_value=200_000), min_size=1, max_size=6),
)
def test_pieces_never_cost_more_than_the_whole(kind, value, cents):
    """Take the lines out one by one (the last one: cancelling the rest): the fees add up to
    at most what cancelling the order at once costs, and under FIXED at most the fixed fee;
    and no less than that, but for a cent per piece rounded down (no loophole)."""
    p = policy(kind, str(value))
    totals = [Money(Decimal(c).scaleb(-2), "EUR") for c in cents]
    at_once = cancellation_fee(p, sum(totals[1:], totals[0]), START, NOW)
    charged = Money.zero("EUR")
    for n, part in enumerate(totals):
        left = sum(totals[n + 1 :], part)
        fee = part_quote(p, part, left, START, NOW, charged).fee
        assert fee.amount >= 0 and fee <= part
        charged = charged + fee
    assert charged <= at_once
    assert charged.amount >= at_once.amount - Decimal("0.01") * (len(totals) - 1)
    if kind is FeeKind.FIXED:
        assert charged.amount <= value


def test_a_fixed_fee_charged_late_takes_off_what_was_charged_since():
    ledger = Ledger(order_id="o", currency="EUR", order_reference="R", customer_id="c")
    ledger.add_charge(
        entry_id="e1",
        amount=Decimal("16.66"),
        account=Account.RENTAL,
        category=Category.CANCELLATION_FEE,
        reason="Cancellation fee R",
        actor="booking",
        at=NOW,
    )
    assert fee_to_charge(ledger, eur("50.00"), eur("0")) == eur("33.34")
    assert fee_to_charge(ledger, eur("50.00"), eur("16.66")) == eur("50.00")
    assert fee_to_charge(ledger, eur("10.00"), eur("0")) is None
    assert fee_to_charge(ledger, eur("10.00"), None) == eur("10.00")  # a percentage
