"""PricingFacade on SQLite and PostgreSQL: rate cards, quotes, the discount hook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rental.pricing import PricingFacade, QuoteLine, SetRateCard, register_discount_rule
from rental.pricing.facade import DISCOUNT_RULES
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange
from tests.integration.catalog_fixtures import make_type, price

T0 = datetime(2027, 3, 1, 8, tzinfo=UTC)


def eur(x) -> Money:
    return Money(Decimal(str(x)), "EUR")


@pytest.fixture
def pricing(app) -> PricingFacade:
    return PricingFacade()


def test_set_and_get_a_rate_card(pricing):
    gen = make_type("Generator")
    assert pricing.get_rate_card(gen) is None
    price(gen, hourly="15.50", daily="85", weekly=None, minimum_hours=2, deposit="250")
    card = pricing.get_rate_card(gen)
    assert (card.hourly, card.daily, card.weekly, card.deposit) == (
        eur("15.50"),
        eur(85),
        None,
        eur(250),
    )
    assert card.minimum_duration == timedelta(hours=2)
    price(gen, hourly="16", daily="90")  # replaces the card
    assert pricing.get_rate_card(gen).hourly == eur(16)
    assert list(pricing.get_rate_cards([gen, "x"])) == [gen]


def test_rate_card_for_an_unknown_type_is_refused(pricing, app):
    with pytest.raises(NotFoundError):
        pricing.set_rate_card(SetRateCard("missing", Decimal(1), Decimal(2)))
    gen = make_type("Generator")
    with pytest.raises(ValidationError):
        pricing.set_rate_card(SetRateCard(gen, Decimal(-1), Decimal(2)))


def test_quote(pricing):
    gen = make_type("Generator")
    price(gen, deposit="250")
    q = pricing.quote(gen, TimeRange.of(T0, timedelta(days=2, hours=3)), 2)
    assert [(line.label, line.amount) for line in q.lines] == [
        ("2 days × €120.00 × 2 units", eur(480)),
        ("3 hours × €20.00 × 2 units", eur(120)),
    ]
    assert (q.subtotal, q.total, q.deposit, q.currency) == (eur(600), eur(600), eur(500), "EUR")


def test_quote_errors_name_the_equipment(pricing):
    gen = make_type("Generator")
    with pytest.raises(NotFoundError, match="Generator has no price yet"):
        pricing.quote(gen, TimeRange.of(T0, timedelta(hours=3)), 1)
    price(gen, minimum_hours=2)
    with pytest.raises(ValidationError, match="The minimum rental for Generator is 2 hours"):
        pricing.quote(gen, TimeRange.of(T0, timedelta(hours=1)), 1)
    with pytest.raises(ValidationError, match="at least one"):
        pricing.quote(gen, TimeRange.of(T0, timedelta(hours=3)), 0)


def test_discount_rules_plug_in(pricing):
    gen = make_type("Generator")
    price(gen)

    def loyal(ctx):
        if ctx.customer_id == "gold":
            return [QuoteLine("Gold member −10%", -(ctx.subtotal * Decimal("0.1")))]
        return []

    register_discount_rule(loyal)
    try:
        period = TimeRange.of(T0, timedelta(hours=3))
        assert pricing.quote(gen, period, 1).total == eur(60)
        q = pricing.quote(gen, period, 1, customer_id="gold")
        assert q.total == eur(54) and q.discounts[0].label == "Gold member −10%"
    finally:
        DISCOUNT_RULES.rules.remove(loyal)


def test_rates_that_are_no_types_card_are_billed_as_a_card_is(pricing):
    # A kit's own rates: started hours up to the day price, calendar days, weeks.
    start = datetime(2030, 6, 3, 9, tzinfo=UTC)
    hourly, daily, weekly = eur("25.00"), eur("150.00"), eur("700.00")
    three_hours = TimeRange(start, start + timedelta(hours=2, minutes=15))
    quote = pricing.quote_rates(hourly, daily, None, three_hours)
    assert quote.total == eur("75.00") and quote.deposit == eur("0.00")
    assert quote.notes  # "billed per started hour": 2 h 15 min charged as 3 hours
    day_and_ten_hours = TimeRange(start, start + timedelta(days=1, hours=10))
    assert pricing.quote_rates(hourly, daily, None, day_and_ten_hours).total == eur("300.00")
    nine_days = TimeRange(start, start + timedelta(days=9))
    assert pricing.quote_rates(hourly, daily, weekly, nine_days, 2).total == eur("2000.00")
