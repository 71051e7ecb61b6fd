"""Pricing queries: the read service PricingQueries (rate cards, the quote). What it returns —
RateCard, Quote, QuoteLine — are the domain's frozen value objects, re-exported by
rental.pricing; pricing has no separate DTOs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta, tzinfo

from rental.pricing.domain.models import DiscountRule, Quote, RateCard, quote
from rental.pricing.infrastructure.repositories import RateCardRepository
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.money import Money
from rental.shared.time_range import TimeRange

UNKNOWN_TYPE = "This equipment"  # in messages, for a type the catalog does not know


@dataclass(frozen=True, slots=True)
class GetQuote:
    equipment_type_id: str
    period: TimeRange
    quantity: int
    customer_id: str | None = None
    # The business time zone: days are counted as its calendar days.
    timezone: tzinfo = UTC


class PricingQueries:
    def __init__(
        self,
        rate_cards: RateCardRepository,
        type_name: Callable[[str], str | None],
        discount_rules: Sequence[DiscountRule] = (),
    ) -> None:
        self._rate_cards = rate_cards
        self._type_name = type_name  # the catalog's name of a type, None when unknown
        self._discount_rules = list(discount_rules)

    def rate_card(self, equipment_type_id: str) -> RateCard | None:
        return self._rate_cards.get(equipment_type_id)

    def rate_cards(self, equipment_type_ids: Iterable[str]) -> dict[str, RateCard]:
        """Several types' cards in one query (types without a card are left out)."""
        return self._rate_cards.get_many(equipment_type_ids)

    def _name(self, equipment_type_id: str) -> str:
        return self._type_name(equipment_type_id) or UNKNOWN_TYPE

    def quote(self, q: GetQuote, card: RateCard | None) -> Quote:
        """The quote on `card`, the type's rate card as the caller read it (None: no price)."""
        if card is None:
            raise NotFoundError(
                f"{self._name(q.equipment_type_id)} has no price yet — please ask us for a quote."
            )
        try:
            return quote(
                card,
                q.period,
                q.quantity,
                customer_id=q.customer_id,
                discount_rules=self._discount_rules,
                timezone=q.timezone,
            )
        except ValidationError as exc:
            if exc.field != "end":
                raise
            # Say which equipment the minimum applies to (only looked up on this path).
            return quote(
                card,
                q.period,
                q.quantity,
                name=self._name(q.equipment_type_id),
                customer_id=q.customer_id,
                discount_rules=self._discount_rules,
                timezone=q.timezone,
            )

    def quote_rates(
        self,
        hourly: Money,
        daily: Money,
        weekly: Money | None,
        period: TimeRange,
        quantity: int,
        timezone: tzinfo = UTC,
    ) -> Quote:
        """The quote for rates that are no type's rate card (a kit's own rates), billed as a
        card is: started hours, calendar days of `timezone`, weeks, the cheapest cover. No
        minimum rental, deposit or discount rule of its own (the caller's parts have those)."""
        card = RateCard("", hourly, daily, weekly, minimum_duration=timedelta(0))
        return quote(card, period, quantity, timezone=timezone)
