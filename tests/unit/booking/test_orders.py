"""Which lines of an order fit: every line judged with the other lines' demand counted."""

import pytest

from rental.booking.domain.orders import (
    LineDemand,
    Need,
    OrderLine,
    check_lines,
    demand_by_type,
    free_for_line,
    shortages,
)
from rental.shared.errors import ValidationError


def type_line(type_id: str, quantity: int) -> LineDemand:
    return LineDemand(quantity, (Need(type_id, 1),))


def kit_line(quantity: int, **per_unit: int) -> LineDemand:
    return LineDemand(quantity, tuple(Need(t, n) for t, n in per_unit.items()))


def test_a_kit_takes_each_component_times_the_kits_booked():
    lines = [kit_line(2, gen=1, cable=4), type_line("cable", 3)]
    assert demand_by_type(lines) == {"gen": 2, "cable": 11}


def test_everything_fits_when_every_type_has_enough():
    lines = [kit_line(2, gen=1, cable=4), type_line("cable", 3)]
    assert shortages(lines, {"gen": 2, "cable": 11}) == {}


def test_a_shared_type_short_marks_every_line_using_it_with_what_is_left_for_it():
    lines = [kit_line(2, gen=1, cable=4), type_line("cable", 3), type_line("light", 1)]
    # 10 cables free: the kits take 8, leaving 2 for the cable line (asked 3); the cable line
    # takes 3, leaving 7, enough for 1 kit (asked 2). The light line is not involved.
    assert shortages(lines, {"gen": 5, "cable": 10, "light": 1}) == {0: 1, 1: 2}


def test_a_kit_fits_as_many_times_as_its_scarcest_component_allows():
    lines = [kit_line(3, gen=1, cable=4)]
    assert free_for_line(lines, 0, {"gen": 5, "cable": 9}) == 2
    assert free_for_line(lines, 0, {"gen": 0, "cable": 99}) == 0


def test_free_for_a_line_is_never_negative():
    lines = [type_line("gen", 1), type_line("gen", 9)]
    assert free_for_line(lines, 0, {"gen": 3}) == 0


def test_an_order_needs_a_line_each_item_once_and_sane_quantities():
    with pytest.raises(ValidationError, match="at least one"):
        check_lines([])
    with pytest.raises(ValidationError, match="appears once"):
        check_lines([OrderLine(1, equipment_type_id="a"), OrderLine(2, equipment_type_id="a")])
    with pytest.raises(ValidationError, match="1 to 999"):
        check_lines([OrderLine(0, kit_id="k")])
    both = [OrderLine(1, equipment_type_id="a"), OrderLine(1, kit_id="a")]
    assert check_lines(both) == both  # a type and a kit may share an ID space


def test_a_line_is_a_type_or_a_kit():
    with pytest.raises(ValueError):
        OrderLine(1)
    with pytest.raises(ValueError):
        OrderLine(1, equipment_type_id="a", kit_id="b")


def test_a_kit_discount_comes_off_a_components_total_as_a_discount_line():
    from decimal import Decimal

    from rental.booking.domain.models import FrozenQuote, PriceLine
    from rental.shared.money import Money

    quote = FrozenQuote(
        lines=(PriceLine("2 days × 2", Money(Decimal("80"))),),
        subtotal=Money(Decimal("80")),
        discounts=(),
        deposit=Money(Decimal("100")),
        total=Money(Decimal("80")),
    )
    less = quote.less("Kit discount 12.5 %", Decimal("12.5"))
    assert less.total == Money(Decimal("70.00"))
    assert less.discounts == (PriceLine("Kit discount 12.5 %", Money(Decimal("-10.00"))),)
    assert less.deposit == quote.deposit
    assert quote.less("none", Decimal(0)) is quote
