"""Availability: an equipment type or a kit, a period and a quantity → what the availability
page answers (free or not, how many are free, the price, the alternatives when short)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from rental.api.web.schemas.common import ApiModel, MoneyAmount

MAX_QUANTITY = 999  # Booking's form limit (rental.booking.web.forms.MAX_QUANTITY)


class AvailabilityQuery(ApiModel):
    equipment_type: str | None = Field(
        default=None, max_length=100, description="An equipment type's slug (or give `kit`)."
    )
    kit: str | None = Field(
        default=None, max_length=100, description="A kit's slug (or give `equipment_type`)."
    )
    start: str = Field(
        max_length=40,
        description="Hourly: a date and time, ISO 8601 with an offset (2030-05-06T09:00+02:00) "
        "or without one in the shop's time zone (2030-05-06T09:00). Daily: the first day "
        "(2030-05-06).",
        examples=["2030-05-06T09:00+02:00", "2030-05-06"],
    )
    end: str | None = Field(
        default=None,
        max_length=40,
        description="Hourly: the end, as `start`. Daily: the last day, included (default: the "
        "first day).",
    )
    quantity: int = Field(default=1, ge=1, le=MAX_QUANTITY, description="Units (or kits).")
    basis: Literal["hourly", "daily"] | None = Field(
        default=None,
        description="How the period is booked and billed: by the hour (within opening hours) "
        "or by whole days. Default: daily when `start` is a date, else hourly.",
    )


class AvailabilityItem(ApiModel):
    kind: Literal["equipment_type", "kit"]
    id: str
    slug: str
    name: str


class SlotPeriodOut(ApiModel):
    start: str = Field(description="ISO 8601, in the shop's time zone.")
    end: str = Field(description="ISO 8601 (exclusive; a daily period ends at a midnight).")
    text: str = Field(description="As the page writes it, e.g. 'Fri 28 Nov, 09:00–17:00'.")


class PriceLineOut(ApiModel):
    label: str
    amount: MoneyAmount


class QuoteOut(ApiModel):
    """The price for the period and quantity, itemised as the page shows it (a kit: its
    components' lines and the kit's discount or own-rate share)."""

    lines: list[PriceLineOut]
    subtotal: MoneyAmount
    discounts: list[PriceLineOut]
    total: MoneyAmount
    deposit: MoneyAmount = Field(description="Refundable, due at pick-up.")
    notes: list[str] = Field(description="E.g. how a clock change inside the period counts.")


class SimilarOut(ApiModel):
    slug: str
    name: str
    remaining_capacity: int = Field(description="Free for the whole period.")


class AlternativesOut(ApiModel):
    """What the page offers when the request does not fit."""

    fewer: int | None = Field(description="The quantity that is free for these dates, if any.")
    later: SlotPeriodOut | None = Field(
        description="The earliest period of the same length when all of them are free (types)."
    )
    similar: list[SimilarOut] = Field(description="Similar types free for the period (types).")


class AvailabilityOut(ApiModel):
    item: AvailabilityItem
    period: SlotPeriodOut
    basis: Literal["hourly", "daily"]
    quantity: int
    available: bool = Field(description="The quantity can be booked for the period.")
    remaining_capacity: int = Field(
        description="Units (kits: whole kits) free for the whole period."
    )
    total_capacity: int | None = Field(description="The type's fleet (null for a kit).")
    needs_approval: bool = Field(
        description="Available, but more than one online booking takes: staff confirm it."
    )
    quote: QuoteOut | None = Field(description="Null when it cannot be priced online.")
    alternatives: AlternativesOut | None = Field(description="Only when not available.")
