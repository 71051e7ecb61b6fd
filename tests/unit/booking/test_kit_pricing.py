"""A kit at its own rates, booked as its components: share_kit_price splits the kit's price
over the components' quotes in proportion to their own totals, adding up exactly (the
rounding remainder on the last), one discount or surcharge line each, deposits untouched."""

from __future__ import annotations

from decimal import Decimal

from rental.booking.domain.kit_pricing import share_kit_price
from rental.booking.domain.models import FrozenQuote, PriceLine
from rental.shared.money import Money

LABEL = "Event kit at its own rates: this part's share"


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


def quote(total: str, deposit: str = "50.00") -> FrozenQuote:
    return FrozenQuote(
        lines=(PriceLine("1 day × x", eur(total)),),
        subtotal=eur(total),
        discounts=(),
        deposit=eur(deposit),
        total=eur(total),
    )


def test_the_shares_add_up_exactly_to_the_kits_price_with_the_remainder_on_the_last():
    # 100 / 3 each: 33.33 + 33.33 + 33.34
    quotes = [quote("10.00"), quote("10.00"), quote("10.00")]
    shared = share_kit_price(quotes, eur("100.00"), LABEL)
    assert [q.total for q in shared] == [eur("33.33"), eur("33.33"), eur("33.34")]
    assert sum((q.total for q in shared), eur("0")) == eur("100.00")


def test_the_shares_are_in_proportion_to_the_components_own_totals():
    # alone: 120 + 2 × 45 = 210; the kit costs 150 → 120/210 and 90/210 of it
    quotes = [quote("120.00", "200.00"), quote("90.00", "100.00")]
    shared = share_kit_price(quotes, eur("150.00"), LABEL)
    assert [q.total for q in shared] == [eur("85.71"), eur("64.29")]
    # each: one more line for the difference, labelled; the rest of the quote unchanged
    assert shared[0].discounts == (PriceLine(LABEL, eur("-34.29")),)
    assert shared[1].discounts == (PriceLine(LABEL, eur("-25.71")),)
    assert [q.deposit for q in shared] == [eur("200.00"), eur("100.00")]
    assert [q.lines for q in shared] == [q.lines for q in quotes]
    assert [q.subtotal for q in shared] == [eur("120.00"), eur("90.00")]


def test_a_kit_dearer_than_its_parts_is_a_surcharge_and_an_equal_share_adds_no_line():
    shared = share_kit_price([quote("40.00"), quote("60.00")], eur("110.00"), LABEL)
    assert [q.total for q in shared] == [eur("44.00"), eur("66.00")]
    assert shared[0].discounts[-1].amount == eur("4.00")
    same = share_kit_price([quote("40.00"), quote("60.00")], eur("100.00"), LABEL)
    assert [q.discounts for q in same] == [(), ()]


def test_one_component_takes_the_whole_price_and_free_parts_leave_it_to_the_last():
    [alone] = share_kit_price([quote("80.00")], eur("75.50"), LABEL)
    assert alone.total == eur("75.50")
    free = share_kit_price([quote("0.00"), quote("0.00")], eur("30.00"), LABEL)
    assert [q.total for q in free] == [eur("0.00"), eur("30.00")]
    assert share_kit_price([], eur("10.00"), LABEL) == []
