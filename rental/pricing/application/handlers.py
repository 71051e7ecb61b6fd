"""Pricing commands and queries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, timedelta, tzinfo
from decimal import Decimal

from sqlalchemy.orm import Session

from rental.pricing.domain.models import (
    DiscountRule,
    Quote,
    RateCardLimits,
    new_rate_card,
    quote,
)
from rental.pricing.infrastructure.repositories import RateCardRepository
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.time_range import TimeRange


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


@dataclass(frozen=True, slots=True)
class GetQuote:
    equipment_type_id: str
    period: TimeRange
    quantity: int
    customer_id: str | None = None
    # The business time zone: days are counted as its calendar days.
    timezone: tzinfo = UTC


def set_rate_card(
    session: Session,
    cmd: SetRateCard,
    type_exists: Callable[[str], bool],
    limits: RateCardLimits | None = None,
) -> str:
    if not type_exists(cmd.equipment_type_id):
        raise NotFoundError("That equipment type does not exist, so it cannot have a price.")
    card = new_rate_card(
        cmd.equipment_type_id,
        cmd.currency,
        cmd.hourly,
        cmd.daily,
        cmd.weekly,
        cmd.minimum_duration,
        cmd.deposit,
        limits=limits,
        confirmed=cmd.confirmed_warnings,
    )
    return RateCardRepository(session).save(card)


def get_quote(
    session: Session,
    q: GetQuote,
    rules: Sequence[DiscountRule],
    name_of: Callable[[str], str],
) -> Quote:
    if not isinstance(q.quantity, int) or q.quantity < 1:
        raise ValidationError("Rent at least one unit.", field="quantity")
    card = RateCardRepository(session).get(q.equipment_type_id)
    if card is None:
        raise NotFoundError(
            f"{name_of(q.equipment_type_id)} has no price yet — please ask us for a quote."
        )
    try:
        return quote(
            card,
            q.period,
            q.quantity,
            customer_id=q.customer_id,
            discount_rules=rules,
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
            name=name_of(q.equipment_type_id),
            customer_id=q.customer_id,
            discount_rules=rules,
            timezone=q.timezone,
        )
