"""BookingFacade.check_cart: every line of a cart (types and kits) for one period, each judged
with the other lines counted, priced (a kit: its components less the kit's discount), with
"book the N that are free" and a later period for a short line; a vanished type or kit is a
line "no longer offered", never an error."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from rental.booking import BookingFacade, PricingBasis
from rental.booking.application.cart import CheckCart
from rental.booking.domain.orders import OrderLine
from rental.catalog import CatalogFacade, DefineKit, KitComponent, UpdateKit
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from tests.support.daily import book, days, tomorrow
from tests.support.fleet import make_type


@pytest.fixture
def fleets(app):
    generators = make_type(units=3, name="Generator", daily="120.00", deposit="200.00")
    lights = make_type(units=5, name="Light tower", daily="45.00", weekly=None, deposit="50.00")
    return generators, lights


def kit_of(generators, lights, discount="10") -> str:
    return CatalogFacade().define_kit(
        DefineKit(
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            discount_percent=Decimal(discount),
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
        )
    )


def check(*lines: OrderLine, first=None, last=None):
    d = first or tomorrow()
    return BookingFacade().check_cart(
        CheckCart(days(d, last or d), PricingBasis.DAILY, tuple(lines))
    )


def test_a_type_and_a_kit_are_priced_and_fit_together(fleets):
    generators, lights = fleets
    kit_id = kit_of(generators, lights)
    cart = check(OrderLine(1, equipment_type_id=lights.type_id), OrderLine(2, kit_id=kit_id))
    assert cart.fits
    light_line, kit_line = cart.lines
    assert (light_line.kind, light_line.quantity, light_line.fits) == ("type", 1, True)
    assert light_line.total == Money(Decimal("45.00"))
    # 2 kits = 2 generators (240) + 4 lights (180), each less 10 %
    assert kit_line.kind == "kit" and kit_line.name == "Event power kit"
    assert kit_line.total == Money(Decimal("216.00")) + Money(Decimal("162.00"))
    assert len(kit_line.quotes) == 2
    # the same label as on the booking made of it
    assert all(
        q.discounts[-1].label == "Event power kit: 10 % kit discount" for q in kit_line.quotes
    )
    assert cart.total == Money(Decimal("423.00"))
    assert cart.deposit == Money(Decimal("50.00")) + Money(Decimal("400.00")) + Money(
        Decimal("200.00")
    )
    # lights: 5 - 4 taken by the kits = 1 for the light line
    assert light_line.free_for_line == 1


def test_a_short_line_says_how_many_fit_with_the_others_counted_and_offers_them(fleets):
    generators, lights = fleets
    kit_id = kit_of(generators, lights)
    d = tomorrow()
    book(lights.type_id, days(d, d), 2)  # 3 lights left on d
    cart = check(OrderLine(2, equipment_type_id=lights.type_id), OrderLine(1, kit_id=kit_id))
    assert not cart.fits
    light_line, kit_line = cart.lines
    assert not light_line.fits and light_line.short and light_line.free_for_line == 1
    assert not kit_line.fits and kit_line.free_for_line == 0  # 3 - 2 for the light line = 1
    assert light_line.alternatives.max_quantity == 1
    later = light_line.alternatives.earliest_period
    assert later is not None and later.start > days(d, d).start
    assert later.duration == days(d, d).duration
    # taking the offer fits
    fixed = check(OrderLine(1, equipment_type_id=lights.type_id), OrderLine(1, kit_id=kit_id))
    assert fixed.fits


def test_more_than_exist_offers_what_is_free_and_no_later_date(fleets):
    generators, _ = fleets
    cart = check(OrderLine(9, equipment_type_id=generators.type_id))
    (line,) = cart.lines
    assert not line.fits and line.free_for_line == 3
    assert line.alternatives.max_quantity == 3 and line.alternatives.earliest_period is None


def test_vanished_kits_and_types_are_lines_no_longer_offered(fleets):
    generators, lights = fleets
    kit_id = kit_of(generators, lights)
    CatalogFacade().update_kit(
        UpdateKit(
            kit_id,
            name="Event power kit",
            components=(KitComponent(generators.type_id, 1),),
            discount_percent=Decimal(5),
            active=False,
        )
    )
    cart = check(
        OrderLine(1, kit_id=kit_id),
        OrderLine(1, kit_id="no-such-kit"),
        OrderLine(1, equipment_type_id="no-such-type"),
        OrderLine(1, equipment_type_id=generators.type_id),
    )
    assert [line.gone for line in cart.lines] == [True, True, True, False]
    assert not cart.fits and cart.lines[3].fits
    assert all("No longer offered" in line.problem for line in cart.lines[:3])
    assert cart.total == Money(Decimal("120.00"))


def test_a_past_period_is_a_validation_error(fleets):
    generators, _ = fleets
    with pytest.raises(ValidationError):
        check(
            OrderLine(1, equipment_type_id=generators.type_id),
            first=tomorrow() - timedelta(days=5),
            last=tomorrow() - timedelta(days=4),
        )
