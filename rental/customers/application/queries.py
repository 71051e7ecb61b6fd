"""Queries and the frozen dataclasses they return."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from rental.customers.domain.models import Address, Customer

STATUS_FILTERS = ("ACTIVE", "SUSPENDED", "ANONYMISED")


@dataclass(frozen=True, slots=True)
class GetCustomerById:
    customer_id: str


@dataclass(frozen=True, slots=True)
class FindCustomerByEmail:
    email: str


@dataclass(frozen=True, slots=True)
class SearchCustomers:
    """Substring of name, email or phone (case-insensitive); status ACTIVE, SUSPENDED,
    ANONYMISED or None for all; pages count from 1."""

    text: str = ""
    status: str | None = None
    page: int = 1
    page_size: int = 20


@dataclass(frozen=True, slots=True)
class CustomerDetails:
    id: str
    name: str
    email: str
    phone: str
    address: Address
    registered_at: datetime
    status: str  # "ACTIVE" | "SUSPENDED"
    anonymised_at: datetime | None

    @property
    def is_anonymised(self) -> bool:
        return self.anonymised_at is not None

    @property
    def can_book(self) -> bool:
        return self.status == "ACTIVE" and self.anonymised_at is None

    @classmethod
    def of(cls, customer: Customer) -> CustomerDetails:
        return cls(
            id=customer.id,
            name=customer.name,
            email=customer.email,
            phone=customer.phone,
            address=customer.address,
            registered_at=customer.registered_at,
            status=customer.status.value,
            anonymised_at=customer.anonymised_at,
        )


@dataclass(frozen=True, slots=True)
class CustomerPage:
    items: tuple[CustomerDetails, ...]
    total: int
    page: int
    page_size: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages
