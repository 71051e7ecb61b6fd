"""Catalog: categories, equipment types (with specs and their rate card), kits. Exactly what the
public catalog pages show: active types, kits whose every component is active, no staff-only
fields."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rental.api.web.schemas.common import ApiModel, MoneyAmount, Page, PageQuery


class CategoryOut(ApiModel):
    id: str
    name: str
    slug: str
    parent_id: str | None
    depth: int = Field(description="0 for a top-level category.")
    type_count: int = Field(description="Active equipment types in it and below it.")


class CategoryQuery(PageQuery):
    pass


class CategoryPage(Page):
    data: list[CategoryOut]


# --- money, rates -----------------------------------------------------------------------------


class RateCardOut(ApiModel):
    """A type's prices as its page shows them: per started hour, per day, per week (if set);
    the cheapest combination is always billed."""

    hourly: MoneyAmount = Field(description="Per started hour.")
    daily: MoneyAmount = Field(description="Per calendar day of the shop's time zone.")
    weekly: MoneyAmount | None = Field(description="Per 7 days, when the shop sets one.")
    minimum_rental_minutes: int = Field(description="The shortest booking, in minutes.")
    minimum_rental: str = Field(description="The same in words, e.g. '4 hours'.")
    deposit: MoneyAmount | None = Field(description="Refundable deposit per unit, if any.")
    currency: str


class SpecOut(ApiModel):
    key: str = Field(description="Machine name, e.g. 'power_kw'.")
    label: str = Field(description="As the page labels it, e.g. 'Power (kW)'.")
    value: str | int | float | bool
    display: str = Field(description="As the page shows it.")
    kind: Literal["number", "text", "yes_no"]


class CategoryRef(ApiModel):
    slug: str
    name: str


class TypeRef(ApiModel):
    id: str
    slug: str
    name: str


class ImageOut(ApiModel):
    url: str = Field(description="The photo, 600 px wide (WebP).")
    url_large: str = Field(description="The photo, 1200 px wide (WebP).")
    alt: str = Field(description="Its text alternative.")


# --- equipment types --------------------------------------------------------------------------


class EquipmentTypeQuery(PageQuery):
    category: str | None = Field(
        default=None,
        max_length=100,
        description="A category's slug: the types in it and below it.",
    )
    q: str | None = Field(
        default=None,
        max_length=100,
        description="Text search in name, descriptions and specs (as the catalog's search box).",
    )


class EquipmentTypeOut(ApiModel):
    id: str
    slug: str
    name: str
    short_description: str
    category: CategoryRef | None
    specs: list[SpecOut] = Field(description="The key specs the catalog cards show.")
    image: ImageOut | None
    rate_card: RateCardOut | None = Field(description="Null: no online price yet (ask the shop).")
    url: str = Field(description="Its page in the shop.")


class EquipmentTypePage(Page):
    data: list[EquipmentTypeOut]


class EquipmentTypeDetailsOut(ApiModel):
    id: str
    slug: str
    name: str
    short_description: str
    description: str
    category: CategoryRef | None
    category_path: list[CategoryRef] = Field(description="From the top category down.")
    specs: list[SpecOut] = Field(description="Every spec, as the type's page lists them.")
    image: ImageOut | None
    rate_card: RateCardOut | None = Field(description="Null: no online price yet (ask the shop).")
    url: str = Field(description="Its page in the shop.")
    availability: str = Field(description="Where to ask whether it is free for a period.")


# --- kits -------------------------------------------------------------------------------------


class KitComponentOut(ApiModel):
    equipment_type: TypeRef
    quantity: int = Field(description="Units of it per kit.")


class KitPricesOut(ApiModel):
    """What one kit costs, as the kit's page shows it."""

    hourly: MoneyAmount = Field(description="Per started hour.")
    daily: MoneyAmount = Field(description="Per day.")
    weekly: MoneyAmount | None = Field(description="Per week (kits at their own rates only).")
    pricing: Literal["discount", "rates"] = Field(
        description="'discount': its components' rates less the kit discount; 'rates': the "
        "kit's own rates."
    )
    discount_percent: str = Field(description="The kit discount, e.g. '10' (0 for own rates).")


class KitQuery(PageQuery):
    pass


class KitOut(ApiModel):
    id: str
    slug: str
    name: str
    description: str
    components: list[KitComponentOut]
    image: ImageOut | None
    prices: KitPricesOut | None = Field(description="Null: a component has no online price yet.")
    url: str = Field(description="Its page in the shop.")


class KitPage(Page):
    data: list[KitOut]


class KitDetailsOut(KitOut):
    availability: str = Field(description="Where to ask whether it is free for a period.")
