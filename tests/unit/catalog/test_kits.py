"""Kit rules (catalog domain): what a kit may hold, the discount's bounds, the price from the
components' rates, and how many whole kits the free units make."""

from __future__ import annotations

from decimal import Decimal

import pytest

from rental.catalog.domain.kits import (
    KitComponent,
    check_components,
    check_discount,
    kit_price,
    kits_free,
)
from rental.shared.errors import ValidationError
from rental.shared.money import Money

A, B = KitComponent("a", 1), KitComponent("b", 2)


def test_components_need_one_active_type_each_once_with_a_sane_quantity():
    assert check_components([A, B], {"a", "b"}) == [A, B]
    for components, active, words in [
        ([], {"a"}, "at least one"),
        ([A, KitComponent("a", 3)], {"a"}, "appears once"),
        ([A, B], {"a"}, "active equipment types only"),
        ([KitComponent("a", 0)], {"a"}, "from 1 to 99"),
        ([KitComponent("a", 100)], {"a"}, "from 1 to 99"),
    ]:
        with pytest.raises(ValidationError) as caught:
            check_components(components, active)
        assert words in caught.value.message and caught.value.field == "components"


@pytest.mark.parametrize("percent", ["0", "10", "12.5", "90"])
def test_a_discount_from_0_to_90_percent_is_kept(percent):
    assert check_discount(Decimal(percent)) == Decimal(percent)


@pytest.mark.parametrize("percent", ["-1", "90.01", "100", "12.345", "NaN", "Infinity"])
def test_a_discount_outside_0_to_90_percent_or_too_precise_is_refused(percent):
    with pytest.raises(ValidationError) as caught:
        check_discount(Decimal(percent))
    assert caught.value.field == "discount_percent"


def test_the_price_is_the_sum_of_the_components_minus_the_discount_exactly():
    prices = {"a": Money(Decimal("19.99")), "b": Money(Decimal("33.33"))}
    # 19.99 + 2 × 33.33 = 86.65; minus 12.5 % = 75.81875, exact until it is shown
    price = kit_price([A, B], prices, Decimal("12.5"))
    assert price == Money(Decimal("75.81875"))
    assert price.format() == "€75.82"
    assert kit_price([A, B], prices, Decimal(0)) == Money(Decimal("86.65"))


def test_no_price_when_a_component_has_none_or_the_currencies_differ():
    assert kit_price([A, B], {"a": Money(Decimal(1))}, Decimal(0)) is None
    mixed = {"a": Money(Decimal(1)), "b": Money(Decimal(1), "USD")}
    assert kit_price([A, B], mixed, Decimal(0)) is None


@pytest.mark.parametrize(
    ("free", "kits"),
    [
        ({"a": 5, "b": 10}, 5),  # a limits
        ({"a": 5, "b": 7}, 3),  # floor(7 / 2)
        ({"a": 5, "b": 1}, 0),  # one b is not enough for a kit
        ({"a": 0, "b": 10}, 0),
        ({"a": 5}, 0),  # nothing known about b: none free
    ],
)
def test_whole_kits_are_the_minimum_over_components_of_free_divided_by_needed(free, kits):
    assert kits_free([A, B], free) == kits
