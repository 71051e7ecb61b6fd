"""PricingFacade: rate cards and quotes. The quote is a query (no side effects)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta, tzinfo

from flask import current_app, has_app_context

from rental.catalog import CatalogFacade
from rental.pricing.application.handlers import GetQuote, SetRateCard, get_quote, set_rate_card
from rental.pricing.domain.models import (
    DiscountRule,
    DiscountRules,
    Quote,
    RateCard,
    RateCardLimits,
)
from rental.pricing.infrastructure.repositories import RateCardRepository
from rental.shared.db import db, unit_of_work
from rental.shared.errors import NotFoundError
from rental.shared.time_range import TimeRange

# Module-wide discount hook: the CRM module registers loyalty discounts here at start-up.
DISCOUNT_RULES = DiscountRules()


def register_discount_rule(rule: DiscountRule) -> None:
    """Add a discount rule to every quote: rule(DiscountContext) -> list of QuoteLine
    with negative amounts."""
    DISCOUNT_RULES.add(rule)


class PricingFacade:
    def __init__(self, catalog: CatalogFacade | None = None) -> None:
        self._catalog = catalog or CatalogFacade()

    def _name_of(self, equipment_type_id: str) -> str:
        try:
            return self._catalog.get_equipment_type_details(equipment_type_id).name
        except NotFoundError:
            return "This equipment"

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
        return get_quote(
            db.session(),
            GetQuote(equipment_type_id, period, quantity, customer_id, timezone),
            list(DISCOUNT_RULES.rules),
            self._name_of,
        )

    def get_rate_card(self, equipment_type_id: str) -> RateCard | None:
        return RateCardRepository(db.session()).get(equipment_type_id)

    def get_rate_cards(self, equipment_type_ids: Iterable[str]) -> dict[str, RateCard]:
        return RateCardRepository(db.session()).get_many(equipment_type_ids)

    def rate_card_limits(self) -> RateCardLimits:
        """The minimum rental fits the booking rules: at most the longest booking, on the
        booking grid."""
        config = current_app.config if has_app_context() else {}
        return RateCardLimits(
            max_minimum=timedelta(days=int(config.get("BOOKING_MAX_DAYS", 90))),
            minimum_step=timedelta(minutes=int(config.get("BOOKING_SLOT_MINUTES", 15))),
        )

    def set_rate_card(self, cmd: SetRateCard) -> str:
        """Raises ValidationError (faulty fields) or NeedsConfirmation (warnings not among
        cmd.confirmed_warnings); either way nothing is saved."""
        limits = self.rate_card_limits()
        with unit_of_work() as session:
            return set_rate_card(session, cmd, self._catalog.equipment_type_exists, limits)
