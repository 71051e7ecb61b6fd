"""Pricing commands and their handler: RateCardCommands (one per aggregate, the rate card).
Collaborators are passed in by the facade: the repository, whether a type exists (catalog),
and the limits the booking rules put on a rate card."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from rental.pricing.domain.models import RateCardLimits, new_rate_card
from rental.pricing.infrastructure.repositories import RateCardRepository
from rental.shared.errors import NotFoundError


@dataclass(frozen=True, slots=True)
class SetRateCard:
    equipment_type_id: str
    hourly: Decimal
    daily: Decimal
    weekly: Decimal | None = None
    currency: str = "EUR"
    minimum_duration: timedelta = timedelta(hours=1)
    deposit: Decimal | None = None
    # Codes of the warnings (e.g. "hourly_above_daily") the person saw and confirmed; any
    # other warning stops the save with NeedsConfirmation.
    confirmed_warnings: frozenset[str] = frozenset()


class RateCardCommands:
    def __init__(
        self,
        rate_cards: RateCardRepository,
        type_exists: Callable[[str], bool],
        limits: RateCardLimits,
    ) -> None:
        self._rate_cards = rate_cards
        self._type_exists = type_exists
        self._limits = limits

    def set(self, cmd: SetRateCard) -> str:
        """Creates or replaces the type's card; returns the card's ID. Raises ValidationError
        (faulty fields) or NeedsConfirmation (warnings not among cmd.confirmed_warnings)."""
        if not self._type_exists(cmd.equipment_type_id):
            raise NotFoundError("That equipment type does not exist, so it cannot have a price.")
        card = new_rate_card(
            cmd.equipment_type_id,
            cmd.currency,
            cmd.hourly,
            cmd.daily,
            cmd.weekly,
            cmd.minimum_duration,
            cmd.deposit,
            limits=self._limits,
            confirmed=cmd.confirmed_warnings,
        )
        return self._rate_cards.save(card)
