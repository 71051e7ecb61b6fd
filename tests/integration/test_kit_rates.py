"""Kits at their own rates (issue 11, "its own rate card"), on SQLite and PostgreSQL: staff
choose own rates or the components less a discount on the kit form (bad input: 422 next to
the field, nothing saved); the storefront shows the kit's rates; a cart and an order of such a
kit cost exactly the kit's price (for a day and for three hours), split over the components;
changing the order's period prices it anew at the kit's rates."""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest

from rental.booking import (
    BookingChannel,
    BookingFacade,
    ChangeReservation,
    OrderLine,
    PlaceOrder,
    PricingBasis,
)
from rental.booking.application.cart import CheckCart
from rental.catalog import CatalogFacade, DefineKit, KitComponent, KitRateInput
from rental.shared.errors import ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange
from tests.support.auth import sign_in
from tests.support.daily import days, tomorrow
from tests.support.fleet import make_customer, make_type, tomorrow_at


def eur(amount: str) -> Money:
    return Money(Decimal(amount), "EUR")


@pytest.fixture
def web(app, admin_user):
    client = sign_in(app.test_client(), admin_user)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield client
    finally:
        app.config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def fleets(app):
    generators = make_type(units=3, name="Generator", hourly="20.00", daily="120.00")
    lights = make_type(
        units=5, name="Light tower", hourly="7.50", daily="45.00", weekly=None, deposit="50.00"
    )
    return generators, lights


def rated_kit(generators, lights, hourly="25.00", daily="150.00", weekly=None) -> str:
    return CatalogFacade().define_kit(
        DefineKit(
            name="Event power kit",
            slug="event-power",
            description="Stage power.",
            components=(KitComponent(generators.type_id, 1), KitComponent(lights.type_id, 2)),
            own_rates=KitRateInput(
                Decimal(hourly), Decimal(daily), Decimal(weekly) if weekly else None, "EUR"
            ),
        )
    )


def form(generators, lights, **changes) -> dict[str, str]:
    data = {
        "name": "Event power kit",
        "slug": "",
        "description": "Stage power.",
        "discount_percent": "0",
        "pricing": "rates",
        "hourly_rate": "25.00",
        "daily_rate": "150.00",
        "weekly_rate": "",
        "active": "on",
        "type-0": generators.type_id,
        "quantity-0": "1",
        "type-1": lights.type_id,
        "quantity-1": "2",
    }
    data.update(changes)
    return data


def test_staff_give_a_kit_its_own_rates_and_switch_back_to_the_discount(web, fleets):
    generators, lights = fleets
    new = web.get("/admin/catalog/kits/new").get_data(as_text=True)
    assert 'name="pricing"' in new and 'id="hourly_rate"' in new and 'id="daily_rate"' in new
    created = web.post("/admin/catalog/kits", data=form(generators, lights, weekly_rate="600"))
    assert created.status_code == 303
    [kit] = CatalogFacade().list_kits()
    assert kit.rates is not None and kit.pricing == "rates"
    assert (kit.rates.hourly, kit.rates.daily, kit.rates.weekly) == (
        eur("25.00"),
        eur("150.00"),
        eur("600.00"),
    )
    edit = web.get(f"/admin/catalog/kits/{kit.id}/edit").get_data(as_text=True)
    assert 'value="25.00"' in edit and 'value="150.00"' in edit and 'value="600.00"' in edit
    assert 'value="rates" checked' in edit
    assert "Own rates: €25.00/hour" in web.get("/admin/catalog/kits").get_data(as_text=True)
    # Back to the components less 10 %: the rates go (what is typed there is not checked).
    back = form(generators, lights, pricing="discount", discount_percent="10", daily_rate="x")
    assert web.post(f"/admin/catalog/kits/{kit.id}", data=back).status_code == 303
    kit = CatalogFacade().get_kit(kit.id)
    assert kit.rates is None and kit.discount_percent == Decimal(10)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"hourly_rate": "200"}, "hourly_rate", "cannot be above the price per day"),
        ({"weekly_rate": "100"}, "weekly_rate", "cannot be below the price per day"),
        ({"daily_rate": ""}, "daily_rate", "Give the price per day"),
        ({"daily_rate": "lots"}, "daily_rate", "is an amount, e.g."),
        ({"hourly_rate": "0"}, "hourly_rate", "must be more than zero"),
        ({"hourly_rate": "-3"}, "hourly_rate", "must be more than zero"),
        ({"daily_rate": "150.555"}, "daily_rate", "at most 2 decimals"),
        ({"daily_rate": "2000000"}, "daily_rate", "can be at most"),
        ({"weekly_rate": "Infinity"}, "weekly_rate", "is an amount"),
    ],
)
def test_bad_rates_are_answered_next_to_the_field_and_nothing_is_saved(
    web, fleets, changes, field, words
):
    generators, lights = fleets
    response = web.post("/admin/catalog/kits", data=form(generators, lights, **changes))
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f'id="{field}-error"' in body and words in body, body
    assert 'value="rates" checked' in body  # the choice comes back as made
    assert CatalogFacade().list_kits() == []


def test_the_storefront_shows_the_kits_own_rates(client, fleets):
    generators, lights = fleets
    rated_kit(generators, lights, weekly="700.00")
    page = client.get("/catalog/kits/event-power").get_data(as_text=True)
    assert "€25.00" in page and "€150.00" in page and "€700.00" in page
    assert "Per started hour" in page and "Per day" in page and "Per week" in page
    assert "The price of the whole kit" in page and "rented together, for one price" in page
    assert "components' rates added up" not in page
    assert '"price": "150.00"' in page or '"price":"150.00"' in page
    listing = client.get("/catalog/kits").get_data(as_text=True)
    assert "€25.00" in listing and "€150.00" in listing


ONE_DAY = "150.00"
# alone: generator 3 h × 20 = 60, lights 3 h × 7.50 × 2 = 45; the kit: 3 h × 25 = 75,
# split 60 : 45 → 42.86 and the rest, 32.14
THREE_HOURS = "75.00"


def periods() -> dict[str, tuple[TimeRange, PricingBasis, str]]:
    d = tomorrow()
    return {
        "one day": (days(d, d), PricingBasis.DAILY, ONE_DAY),
        "three hours": (
            TimeRange(tomorrow_at(9), tomorrow_at(12)),
            PricingBasis.HOURLY,
            THREE_HOURS,
        ),
    }


@pytest.mark.parametrize("length", ["one day", "three hours"])
def test_a_cart_and_an_order_of_the_kit_cost_exactly_its_price(fleets, length):
    generators, lights = fleets
    kit_id = rated_kit(generators, lights)
    period, basis, price = periods()[length]
    line = OrderLine(1, kit_id=kit_id)
    cart = BookingFacade().check_cart(CheckCart(period, basis, (line,)))
    [kit_line] = cart.lines
    assert cart.fits and kit_line.total == eur(price) and cart.total == eur(price)
    # the components' own deposits: 200 + 2 × 50
    assert cart.deposit == eur("300.00")
    order = BookingFacade().place_order(
        PlaceOrder(
            make_customer(),
            (line,),
            period,
            basis,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    assert [(r.equipment_type_id, r.quantity) for r in order.lines] == [
        (generators.type_id, 1),
        (lights.type_id, 2),
    ]
    assert order.total == eur(price) and order.deposit == eur("300.00")
    # the cart priced it as booked: the same quotes
    assert [r.quote for r in order.lines] == list(kit_line.quotes)
    for reservation in order.lines:
        assert "Event power kit at its own rates" in reservation.quote.discounts[-1].label
    if length == "three hours":
        assert [r.total for r in order.lines] == [eur("42.86"), eur("32.14")]


def test_changing_the_orders_period_prices_it_again_at_the_kits_rates(fleets):
    generators, lights = fleets
    kit_id = rated_kit(generators, lights)
    d = tomorrow()
    order = BookingFacade().place_order(
        PlaceOrder(
            make_customer(),
            (OrderLine(1, kit_id=kit_id),),
            days(d, d),
            PricingBasis.DAILY,
            secrets.token_urlsafe(24),
            channel=BookingChannel.STAFF,
        )
    )
    assert order.total == eur(ONE_DAY)
    first = order.lines[0]
    longer = days(d, d + timedelta(days=2))  # 3 days: 3 × 150 (the components: 3 × 210)
    BookingFacade().change_reservation(ChangeReservation(first.id, longer, first.quantity))
    changed = BookingFacade().get_order(order.id)
    assert all(r.period == longer for r in changed.lines)
    assert changed.total == eur("450.00")
    assert all("3 days" in r.quote.discounts[-1].label for r in changed.lines)


def test_a_kit_whose_rates_are_in_another_currency_is_refused_not_an_error(fleets):
    generators, _ = fleets
    kit_id = CatalogFacade().define_kit(
        DefineKit(
            name="Dollar kit",
            components=(KitComponent(generators.type_id, 1),),
            own_rates=KitRateInput(Decimal("25"), Decimal("150"), None, "USD"),
        )
    )
    d = tomorrow()
    line = OrderLine(1, kit_id=kit_id)
    cart = BookingFacade().check_cart(CheckCart(days(d, d), PricingBasis.DAILY, (line,)))
    assert "has no price online yet" in (cart.lines[0].problem or "")
    with pytest.raises(ValidationError):
        BookingFacade().place_order(
            PlaceOrder(
                make_customer(),
                (line,),
                days(d, d),
                PricingBasis.DAILY,
                secrets.token_urlsafe(24),
                channel=BookingChannel.STAFF,
            )
        )
