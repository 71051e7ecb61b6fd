"""Kits: a named set of equipment types, each with a quantity, rented together and priced as
the sum of its components' rates minus a discount. Pure rules — what a kit may hold, its
price from its components' rates, and how many whole kits the free units make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from rental.catalog.domain.models import clean_image_alt
from rental.shared.errors import ValidationError
from rental.shared.images import StoredImage
from rental.shared.money import Money
from rental.shared.text import clean_block

MAX_COMPONENTS = 20
MAX_COMPONENT_QUANTITY = 99
MAX_DISCOUNT = Decimal(90)  # percent: a kit costs at least a tenth of its parts
DISCOUNT_PLACES = 2


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

    def __post_init__(self) -> None:
        self.description = clean_block(self.description)
        if len(self.description) > 10_000:
            raise ValidationError(
                "Keep the description under 10,000 characters.", field="description"
            )
        self.image_alt = clean_image_alt(self.image_alt)
