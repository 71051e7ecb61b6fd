"""Kits: a named set of equipment types, each with a quantity, rented together and priced
either as the sum of its components' rates minus a discount, or at its own rates (per started
hour, per day, optionally per week; billed like a type's rate card). Pure rules — what a kit
may hold, its price from its components' rates, its own rates, and how many whole kits the
free units make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rental.catalog.domain.models import clean_image_alt
from rental.shared.errors import ValidationError
from rental.shared.images import StoredImage
from rental.shared.money import Money, minor_units
from rental.shared.text import clean_block

MAX_COMPONENTS = 20
MAX_COMPONENT_QUANTITY = 99
MAX_DISCOUNT = Decimal(90)  # percent: a kit costs at least a tenth of its parts
DISCOUNT_PLACES = 2
MAX_RATE = Decimal("1000000")  # per kit and period, as a rate card's (pricing's MAX_RATE)

# How a kit is priced: the components' rates added up minus the discount (the default), or
# the kit's own rates.
SUM_LESS_DISCOUNT = "discount"
OWN_RATES = "rates"
PRICING_MODES = (SUM_LESS_DISCOUNT, OWN_RATES)

_RATE_LABELS = {
    "hourly_rate": "price per started hour",
    "daily_rate": "price per day",
    "weekly_rate": "price per week",
}


@dataclass(frozen=True, slots=True)
class KitRates:
    """A kit's own rates for one whole kit; billed as a type's rate card is (started hours,
    calendar days, weeks of 7 days, the cheapest cover). No deposit: the components' apply."""

    hourly: Money
    daily: Money
    weekly: Money | None = None

    @property
    def currency(self) -> str:
        return self.hourly.currency


def _rate_error(name: str, value: Decimal | None, currency: str) -> str | None:
    label = _RATE_LABELS[name]
    if value is None:
        return None if name == "weekly_rate" else f"Give the {label}, e.g. 120.00."
    if not value.is_finite():
        return f"The {label} is not an amount."
    if value <= 0:
        return f"The {label} must be more than zero."
    if value > MAX_RATE:
        return f"The {label} can be at most {Money(MAX_RATE, currency).format()}."
    digits = minor_units(currency)
    if value != value.quantize(Decimal(1).scaleb(-digits)):
        places = "no decimals" if digits == 0 else f"at most {digits} decimals"
        return f"The {label} can have {places} in {currency}."
    return None


def check_rates(
    hourly: Decimal | None, daily: Decimal | None, weekly: Decimal | None, currency: str
) -> KitRates:
    """A kit's own rates as staff typed them, checked as a rate card's amounts are (more than
    zero, the currency's decimals, at most 1,000,000). A rate that makes another pointless is
    refused here (a rate card asks to confirm it): the hour may not cost more than the day,
    nor the week less than the day. Every faulty field at once."""
    errors: dict[str, str] = {}
    for name, value in (("hourly_rate", hourly), ("daily_rate", daily), ("weekly_rate", weekly)):
        message = _rate_error(name, value, currency)
        if message:
            errors[name] = message
    if not errors:
        assert hourly is not None and daily is not None
        if hourly > daily:
            errors["hourly_rate"] = (
                f"The price per started hour ({Money(hourly, currency).format()}) cannot be "
                f"above the price per day ({Money(daily, currency).format()}): even one hour "
                "would be charged as a day."
            )
        if weekly is not None and weekly < daily:
            errors["weekly_rate"] = (
                f"The price per week ({Money(weekly, currency).format()}) cannot be below the "
                f"price per day ({Money(daily, currency).format()}): even one day would be "
                "charged as a week."
            )
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    assert hourly is not None and daily is not None
    return KitRates(
        Money(hourly, currency),
        Money(daily, currency),
        Money(weekly, currency) if weekly is not None else None,
    )


@dataclass(frozen=True, slots=True)
class KitComponent:
    equipment_type_id: str
    quantity: int


def check_components(
    components: Sequence[KitComponent], active_type_ids: set[str]
) -> list[KitComponent]:
    """At least one component, each an active type at most once, 1–99 of it; every problem
    at once, in one message for the components field."""
    if not components:
        raise ValidationError("Add at least one equipment type to the kit.", field="components")
    if len(components) > MAX_COMPONENTS:
        raise ValidationError(
            f"A kit holds at most {MAX_COMPONENTS} equipment types.", field="components"
        )
    seen: set[str] = set()
    problems: list[str] = []
    for component in components:
        if component.equipment_type_id in seen:
            problems.append("Each equipment type appears once; raise its quantity instead.")
        seen.add(component.equipment_type_id)
        if component.equipment_type_id not in active_type_ids:
            problems.append("Choose active equipment types only.")
        if not 1 <= component.quantity <= MAX_COMPONENT_QUANTITY:
            problems.append(f"Quantities are whole numbers from 1 to {MAX_COMPONENT_QUANTITY}.")
    if problems:
        raise ValidationError(" ".join(dict.fromkeys(problems)), field="components")
    return list(components)


def check_discount(percent: Decimal) -> Decimal:
    if not percent.is_finite() or not Decimal(0) <= percent <= MAX_DISCOUNT:
        raise ValidationError(
            f"The discount is a percentage from 0 to {MAX_DISCOUNT}.", field="discount_percent"
        )
    if percent != percent.quantize(Decimal(1).scaleb(-DISCOUNT_PLACES)):
        raise ValidationError(
            f"Give the discount with at most {DISCOUNT_PLACES} decimals.",
            field="discount_percent",
        )
    return percent


def kit_price(
    components: Sequence[KitComponent], unit_prices: Mapping[str, Money], discount: Decimal
) -> Money | None:
    """Sum of each component's price × its quantity, minus the discount (exact; rounded only
    when shown). None when a component has no price or the currencies differ: no kit price."""
    total: Money | None = None
    for component in components:
        price = unit_prices.get(component.equipment_type_id)
        if price is None:
            return None
        line = price * component.quantity
        if total is not None and total.currency != line.currency:
            return None
        total = line if total is None else total + line
    if total is None:
        return None
    return total * ((Decimal(100) - discount) / Decimal(100))


def kits_free(components: Sequence[KitComponent], free: Mapping[str, int]) -> int:
    """How many whole kits the free units make: the minimum over the components of
    free ÷ needed, rounded down (a component nobody knows about: none)."""
    if not components:
        return 0
    return max(0, min(free.get(c.equipment_type_id, 0) // c.quantity for c in components))


@dataclass
class Kit:
    id: str
    name: str
    slug: str
    description: str = ""
    discount_percent: Decimal = Decimal(0)
    components: list[KitComponent] = field(default_factory=list)
    active: bool = True
    image: StoredImage | None = None  # the uploaded photo (rental.shared.images)
    image_alt: str = ""  # its text alternative; empty: the kit's name
    rates: KitRates | None = None  # its own rates; None: the components' less the discount

    def __post_init__(self) -> None:
        self.description = clean_block(self.description)
        if len(self.description) > 10_000:
            raise ValidationError(
                "Keep the description under 10,000 characters.", field="description"
            )
        self.image_alt = clean_image_alt(self.image_alt)
