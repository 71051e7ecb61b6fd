"""PricingFacade: rate cards and quotes. Wiring (repository, catalog, limits, discount rules),
unit_of_work and nothing else; the quote is a query (no side effects)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, tzinfo

from flask import current_app, has_app_context

from rental.catalog import CatalogFacade
from rental.crm import CRMFacade
from rental.pricing.application.commands import RateCardCommands, SetRateCard
from rental.pricing.application.queries import GetQuote, PricingQueries
from rental.pricing.domain.loyalty import LoyaltyDiscount, loyalty_discount
from rental.pricing.domain.models import (
    DiscountContext,
    DiscountRule,
    DiscountRules,
    Quote,
    QuoteLine,
    RateCard,
    RateCardLimits,
)
from rental.pricing.infrastructure.repositories import RateCardRepository
from rental.shared.db import db, unit_of_work
from rental.shared.money import Money
from rental.shared.request_cache import cached, cached_many, forget
from rental.shared.time_range import TimeRange
from rental.shop import ShopFacade

# The discount-rule hook: rules registered at start-up apply to every quote. The loyalty
# discount (CRM's tier) is Pricing's own rule, added in _queries.
DISCOUNT_RULES = DiscountRules()
# A type's rate card is read once per request (rental.shared.request_cache): the availability
# check and its quote share it. set_rate_card forgets them.
_CARDS = "pricing.rate_cards"
# A customer's loyalty discount (CRM's tier, the shop's percentages), read once per request.
_LOYALTY = "pricing.loyalty"


def register_discount_rule(rule: DiscountRule) -> None:
    """Add a discount rule to every quote: rule(DiscountContext) -> list of QuoteLine
    with negative amounts."""
    DISCOUNT_RULES.add(rule)


class PricingFacade:
    def __init__(self, catalog: CatalogFacade | None = None) -> None:
        self._catalog = catalog or CatalogFacade()

    def _type_name(self, equipment_type_id: str) -> str | None:
        summary = self._catalog.get_equipment_type_summaries([equipment_type_id])
        return summary[equipment_type_id].name if summary else None

    def _queries(self) -> PricingQueries:
        return PricingQueries(
            RateCardRepository(db.session()),
            self._type_name,
            [*DISCOUNT_RULES.rules, self._loyalty_rule],
        )

    def loyalty_discount(self, customer_id: str | None) -> LoyaltyDiscount | None:
        """A known customer's loyalty discount: CRM's tier (Silver, Gold) at the percentage
        set in the shop settings; None for an anonymous visitor, Bronze or an unknown
        customer. One statement (CRM's loyalty row) per customer and request."""
        if not customer_id:
            return None

        def load() -> LoyaltyDiscount | None:
            tier = CRMFacade().get_customer_loyalty_status(customer_id).tier.name
            settings = ShopFacade().get_settings()
            return loyalty_discount(
                tier, settings.loyalty_silver_percent, settings.loyalty_gold_percent
            )

        return cached(_LOYALTY, customer_id, load)

    def _loyalty_rule(self, context: DiscountContext) -> list[QuoteLine]:
        """The loyalty discount as a discount rule of every type's quote (none without a
        customer)."""
        discount = self.loyalty_discount(context.customer_id)
        line = discount.line(context.subtotal) if discount else None
        return [line] if line else []

    def quote(
        self,
        equipment_type_id: str,
        period: TimeRange,
        quantity: int,
        customer_id: str | None = None,
        *,
        timezone: tzinfo = UTC,
    ) -> Quote:
        """The quote for `period`; `timezone` is the business time zone whose calendar days
        are counted (UTC: days of 24 hours)."""
        return self._queries().quote(
            GetQuote(equipment_type_id, period, quantity, customer_id, timezone),
            self.get_rate_card(equipment_type_id),
        )

    def quote_rates(
        self,
        hourly: Money,
        daily: Money,
        weekly: Money | None,
        period: TimeRange,
        quantity: int = 1,
        *,
        timezone: tzinfo = UTC,
    ) -> Quote:
        """The quote for rates that are not a type's rate card — a kit's own rates — billed
        exactly as a type's (started hours, calendar days of `timezone`, weeks, the cheapest
        cover); no minimum rental, no deposit, no discount rules."""
        return self._queries().quote_rates(hourly, daily, weekly, period, quantity, timezone)

    def get_rate_card(self, equipment_type_id: str) -> RateCard | None:
        return cached(
            _CARDS,
            equipment_type_id,
            lambda: self._queries().rate_card(equipment_type_id),
            across_requests=True,
        )

    def get_rate_cards(self, equipment_type_ids: Iterable[str]) -> dict[str, RateCard]:
        """The types' rate cards (a type without one is left out), read once per request:
        only the types not read yet cost a statement."""
        cards = cached_many(
            _CARDS, equipment_type_ids, self._queries().rate_cards, across_requests=True
        )
        return {type_id: card for type_id, card in cards.items() if card is not None}

    def rate_card_limits(self) -> RateCardLimits:
        if not has_app_context():
            return RateCardLimits()
        config = current_app.config
        return RateCardLimits.for_bookings(
            max_days=int(config["BOOKING_MAX_DAYS"]),
            slot_minutes=int(config["BOOKING_SLOT_MINUTES"]),
        )

    def set_rate_card(self, cmd: SetRateCard) -> str:
        """Raises ValidationError (faulty fields) or NeedsConfirmation (warnings not among
        cmd.confirmed_warnings); either way nothing is saved."""
        limits = self.rate_card_limits()
        try:
            with unit_of_work() as session:
                commands = RateCardCommands(
                    RateCardRepository(session), self._catalog.equipment_type_exists, limits
                )
                return commands.set(cmd)
        finally:
            forget(_CARDS)
