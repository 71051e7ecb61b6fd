"""Items (staff): the physical units by serial number, their status and allocations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import Field

from rental.api.web.schemas.common import ApiModel, Page, PageQuery

ItemStatusName = Literal["AVAILABLE", "ALLOCATED", "MAINTENANCE", "RETIRED"]


class ItemTypeRef(ApiModel):
    id: str
    slug: str
    name: str


class ItemOut(ApiModel):
    serial_number: str
    id: str
    equipment_type: ItemTypeRef
    status: ItemStatusName
    location: str
    acquired_on: date | None
    notes: str = Field(description="Condition notes as staff typed them on the item page.")


class ItemAllocationOut(ApiModel):
    reservation_id: str
    reservation_reference: str | None
    order_reference: str | None
    start: datetime
    end: datetime
    status: Literal["ALLOCATED", "PICKED_UP", "RETURNED", "RELEASED"]


class ItemStatusChangeOut(ApiModel):
    from_status: ItemStatusName | None
    to_status: ItemStatusName
    at: datetime
    reason: str


class ItemMaintenanceOut(ApiModel):
    id: str
    start: datetime
    end: datetime
    reason: str


class ItemDetailOut(ItemOut):
    expected_back_at: datetime | None = Field(
        description="Out for maintenance: when it is expected back (if known)."
    )
    current_allocation: ItemAllocationOut | None = Field(
        description="The booking the item is out on (picked up) or serving right now."
    )
    next_allocation: ItemAllocationOut | None = Field(
        description="The next booking the item is allocated to, after now."
    )
    maintenance: list[ItemMaintenanceOut]
    history: list[ItemStatusChangeOut] = Field(description="Status changes, as on the item page.")


class ItemQuery(PageQuery):
    equipment_type: str | None = Field(
        default=None, max_length=200, description="An equipment type's slug."
    )
    status: ItemStatusName | None = None
    q: str = Field(default="", max_length=64, description="Part of the serial number.")


class ItemPage(Page):
    data: list[ItemOut]
