"""Pricing commands and their handler: RateCardCommands (one per aggregate, the rate card).
Collaborators are passed in by the facade: the repository, whether a type exists (catalog),
and the limits the booking rules put on a rate card."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from rental.pricing.domain.models import (
    RateCard,
    RateCardLimits,
    minimum_from_hours,
    new_rate_card,
)
from rental.pricing.infrastructure.repositories import RateCardRepository
from rental.shared.errors import NotFoundError, ValidationError
from rental.shared.parsing import parse_decimal


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


# What the rate card form accepts at all: numbers a Decimal holds exactly. The rate card's own
# rules (rental.pricing.domain.models.new_rate_card) then say what is allowed, in their words.
MAX_AMOUNT = Decimal(10) ** 30
MAX_MINIMUM_HOURS = Decimal(10) ** 30
# The fields of the rate card form, as text: the staff page and the CSV import read them alike.
RATE_FORM_FIELDS = ("hourly", "daily", "weekly", "deposit", "currency", "minimum_hours")


def rate_card_form(card: RateCard) -> dict[str, str]:
    """A card as the form shows it (and the catalog CSV writes it)."""
    minutes = int(card.minimum_duration.total_seconds() // 60)
    return {
        "hourly": str(card.hourly.amount),
        "daily": str(card.daily.amount),
        "weekly": str(card.weekly.amount) if card.weekly else "",
        "deposit": str(card.deposit.amount) if card.deposit else "",
        "currency": card.currency,
        "minimum_hours": f"{minutes / 60:g}",
    }


def read_rate_card_form(
    equipment_type_id: str,
    form: Mapping[str, str],
    limits: RateCardLimits,
    confirmed_warnings: frozenset[str] = frozenset(),
) -> SetRateCard:
    """The form's text (RATE_FORM_FIELDS) as a SetRateCard; ValidationError with every faulty
    field (keyed by the form's names) otherwise. The card's own rules apply when it is set."""
    errors: dict[str, str] = {}

    def amount(name: str, label: str, required: bool) -> Decimal | None:
        try:
            value = parse_decimal(
                form.get(name, ""), field=name, label=label, minimum=Decimal(0), maximum=MAX_AMOUNT
            )
        except ValidationError as exc:
            errors[name] = exc.message
            return None
        if value is None and required:
            errors[name] = f"Give the {label}."
        return value

    hourly = amount("hourly", "hourly rate", True)
    daily = amount("daily", "daily rate", True)
    weekly = amount("weekly", "weekly rate", False)
    deposit = amount("deposit", "deposit", False)
    minimum = None
    try:
        minimum = parse_decimal(
            form.get("minimum_hours", "") or "0",
            field="minimum_hours",
            label="minimum rental in hours",
            minimum=Decimal(0),
            maximum=MAX_MINIMUM_HOURS,
            places=2,
        )
        duration = minimum_from_hours(minimum or Decimal(0), limits)
    except ValidationError as exc:
        errors["minimum_hours"] = exc.message
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    assert hourly is not None and daily is not None
    return SetRateCard(
        equipment_type_id=equipment_type_id,
        hourly=hourly,
        daily=daily,
        weekly=weekly,
        currency=form.get("currency", ""),
        minimum_duration=duration,
        deposit=deposit,
        confirmed_warnings=confirmed_warnings,
    )


def form_errors(exc: ValidationError) -> dict[str, str]:
    """A rate card's ValidationError keyed by the form's field names."""
    return {
        ("minimum_hours" if k == "minimum_duration" else k): v
        for k, v in (exc.errors or {"hourly": exc.message}).items()
    }


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
