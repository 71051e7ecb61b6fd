"""Orders: what a client sends to book, change and cancel, and what it reads back."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from rental.api.web.schemas.common import ApiModel, MoneyAmount, Page, PageQuery

# The pages' messages (rental/booking/domain/orders.py, the staff "add a line" form).
QUANTITY_MESSAGE = "Quantities are whole numbers from 1 to 999."
ITEM_MESSAGE = "Choose the equipment or kit to add."
STATUSES = (
    "PENDING",
    "REQUESTED",
    "QUOTED",
    "CONFIRMED",
    "ON_HIRE",
    "COMPLETED",
    "CANCELLED",
    "EXPIRED",
    "NO_SHOW",
)


def _quantity(value: Any) -> Any:
    """A whole number 1–999 (a JSON number, not a string or a boolean), in the pages' words."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise PydanticCustomError("quantity", QUANTITY_MESSAGE)
    return value


class OrderLineIn(ApiModel):
    """One line: an equipment type or a kit (by slug), and how many."""

    equipment_type: str | None = Field(
        default=None, min_length=1, max_length=100, description="An equipment type's slug."
    )
    kit: str | None = Field(default=None, min_length=1, max_length=100, description="A kit's slug.")
    quantity: int = Field(ge=1, le=999, description="How many (of the type, or whole kits).")

    _check_quantity = field_validator("quantity", mode="before")(_quantity)

    @model_validator(mode="after")
    def _one_item(self) -> OrderLineIn:
        if (self.equipment_type is None) == (self.kit is None):
            raise PydanticCustomError("item", ITEM_MESSAGE + " Give `equipment_type` or `kit`.")
        return self


class PeriodIn(ApiModel):
    """The order's one period. Hourly: start and end as ISO 8601 date-times (with an offset,
    or the shop's local time without one). Daily: the first and the last day (both included)
    as ISO 8601 dates, YYYY-MM-DD."""

    basis: Literal["hourly", "daily"]
    start: str = Field(min_length=1, max_length=40, examples=["2030-05-06T09:00"])
    end: str = Field(min_length=1, max_length=40, examples=["2030-05-06T17:00"])


class CustomerIn(ApiModel):
    """A customer found by e-mail or registered, as the online booking does: a known e-mail
    books under the stored profile as it is (what differs is kept for staff)."""

    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=50)
    street: str = Field(default="", max_length=200)
    city: str = Field(default="", max_length=100)
    state: str = Field(default="", max_length=100)
    postal_code: str = Field(default="", max_length=20)
    country: str = Field(default="", max_length=100)


class OrderIn(ApiModel):
    """A hold for a customer: `customer_id` (known) or `customer` (find or register)."""

    lines: list[OrderLineIn] = Field(max_length=50)
    period: PeriodIn
    customer_id: str | None = Field(default=None, min_length=1, max_length=64)
    customer: CustomerIn | None = None


class OrderLineAddIn(OrderLineIn):
    """One more line for an order not under way yet, for the order's period."""


class LineChangeIn(ApiModel):
    """Another period (the whole order moves with it) and/or quantity for one line."""

    period: PeriodIn | None = None
    quantity: int | None = Field(default=None, ge=1, le=999)
    expected_version: int | None = Field(
        default=None,
        ge=0,
        description="The line's `version` as read: a line changed since is refused (409). "
        'Or send it as `If-Match: "<version>"` (412).',
    )

    @field_validator("quantity", mode="before")
    @classmethod
    def _check_quantity(cls, value: Any) -> Any:
        return None if value is None else _quantity(value)


class CancelIn(ApiModel):
    reason: str = Field(min_length=1, max_length=500, description="Why (kept with the order).")
    charge_fee: bool = Field(
        default=False,
        description="Charge the payment policy's cancellation fee (staff choose it on the page).",
    )


class OrderQuery(PageQuery):
    status: Literal[STATUSES] | None = Field(default=None, description="Lines with this status.")  # type: ignore[valid-type]
    customer_id: str | None = Field(default=None, max_length=64)
    from_: date | None = Field(
        default=None, alias="from", description="Starting on or after this day (shop's time)."
    )
    to: date | None = Field(default=None, description="Starting on or before this day.")


class PeriodOut(ApiModel):
    basis: Literal["hourly", "daily"]
    start: datetime = Field(description="In the shop's time zone.")
    end: datetime


class AllocationOut(ApiModel):
    serial_number: str
    status: str


class OrderLineOut(ApiModel):
    id: str
    reference: str
    line_no: int
    equipment_type_id: str
    equipment_type: str = Field(description="The type's slug ('' when it is gone).")
    name: str
    kit: str | None = Field(description="The kit's slug when the line is part of a kit.")
    kit_quantity: int | None
    quantity: int
    status: str
    period: PeriodOut
    total: MoneyAmount
    deposit: MoneyAmount
    version: int = Field(description="Bumped by every change; see `expected_version`.")
    allocations: list[AllocationOut] = Field(description="Items allocated (serial numbers).")
    cancellation_reason: str | None


class OrderLinks(ApiModel):
    self: str
    confirm: str
    cancel: str
    lines: str


class OrderOut(ApiModel):
    id: str
    reference: str
    status: str = Field(description="The order's status (its lines' most telling one).")
    customer_id: str
    channel: str
    created_at: datetime
    period: PeriodOut
    hold_expires_at: datetime | None = Field(description="A hold: confirm it before this.")
    total: MoneyAmount
    deposit: MoneyAmount
    version: int
    lines: list[OrderLineOut]
    links: OrderLinks


class OrderSummaryOut(ApiModel):
    id: str
    reference: str
    status: str
    customer_id: str
    channel: str
    created_at: datetime
    period: PeriodOut
    total: MoneyAmount
    lines: int
    links: OrderLinks


class OrderPage(Page):
    data: list[OrderSummaryOut]


class CancellationOut(ApiModel):
    order: OrderOut
    fee: MoneyAmount = Field(description="The cancellation fee charged (0 when free).")
    paid: MoneyAmount = Field(description="Paid on the order, net of refunds.")
    balance_after: MoneyAmount = Field(description="Negative: the shop owes the customer.")
    refund_due: MoneyAmount
