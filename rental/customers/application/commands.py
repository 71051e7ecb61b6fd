"""Commands: imperative dataclasses. Handlers return the new ID or None, never entities."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CustomerDetailsInput:
    """What a person types in: name, email, phone and the address fields, unvalidated."""

    name: str
    email: str
    phone: str
    street: str
    city: str
    state: str
    postal_code: str
    country: str


@dataclass(frozen=True, slots=True)
class RegisterCustomer:
    details: CustomerDetailsInput


@dataclass(frozen=True, slots=True)
class UpdateCustomerProfile:
    customer_id: str
    details: CustomerDetailsInput


@dataclass(frozen=True, slots=True)
class SuspendCustomer:
    customer_id: str


@dataclass(frozen=True, slots=True)
class ReactivateCustomer:
    customer_id: str


@dataclass(frozen=True, slots=True)
class AnonymizeCustomer:
    customer_id: str
