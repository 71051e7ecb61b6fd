"""Customers (staff tokens only: personal data). An anonymised customer keeps the ID, status
and dates; every personal field is null."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from rental.api.web.schemas.common import ApiModel, Page, PageQuery


class CustomerAddressOut(ApiModel):
    street: str
    city: str
    state: str
    postal_code: str
    country: str


class CustomerOut(ApiModel):
    id: str
    status: Literal["ACTIVE", "SUSPENDED", "ANONYMISED"]
    anonymised: bool
    name: str | None = Field(description="null once anonymised (also email, phone, address).")
    email: str | None
    phone: str | None
    address: CustomerAddressOut | None
    can_book: bool = Field(description="Active and not anonymised: may make new bookings.")
    registered_at: datetime
    anonymised_at: datetime | None


class CustomerQuery(PageQuery):
    q: str = Field(
        default="",
        max_length=255,
        description="Part of the name, e-mail or phone (as the staff list's search box).",
    )
    status: Literal["ACTIVE", "SUSPENDED", "ANONYMISED"] | None = Field(
        default=None, description="Only customers with this status (as the staff list)."
    )


class CustomerPage(Page):
    data: list[CustomerOut]
    total: int = Field(description="How many customers the search finds in all.")
