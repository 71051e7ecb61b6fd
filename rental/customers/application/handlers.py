"""Command and query handlers. Each command handler runs inside the caller's unit of work,
changes one customer and records an event that carries only the customer ID."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rental.contracts.customers import (
    CustomerAnonymised,
    CustomerProfileUpdated,
    CustomerReactivated,
    CustomerRegistered,
    CustomerSuspended,
)
from rental.customers.application.commands import (
    AnonymizeCustomer,
    CustomerDetailsInput,
    ReactivateCustomer,
    RegisterCustomer,
    SuspendCustomer,
    UpdateCustomerProfile,
)
from rental.customers.application.queries import (
    STATUS_FILTERS,
    CustomerDetails,
    CustomerPage,
    FindCustomerByEmail,
    GetCustomerById,
    SearchCustomers,
)
from rental.customers.domain.models import ContactDetails, Customer
from rental.customers.infrastructure.repositories import DUPLICATE_EMAIL, CustomerRepository
from rental.shared.email import normalise_email
from rental.shared.errors import ConflictError, NotFoundError, ValidationError
from rental.shared.events import Event

Record = Callable[[Event], None]
Clock = Callable[[], datetime]
MAX_PAGE_SIZE = 100


def validate_details(details: CustomerDetailsInput) -> ContactDetails:
    return ContactDetails.create(
        name=details.name,
        email=details.email,
        phone=details.phone,
        street=details.street,
        city=details.city,
        state=details.state,
        postal_code=details.postal_code,
        country=details.country,
    )


def is_customer_id(value: str) -> bool:
    try:
        return str(uuid.UUID(str(value))) == str(value).lower()
    except ValueError:
        return False


def _load(customers: CustomerRepository, customer_id: str, *, for_update: bool) -> Customer:
    customer = (
        customers.get(str(customer_id).lower(), for_update=for_update)
        if is_customer_id(customer_id)
        else None
    )
    if customer is None:
        raise NotFoundError("No customer with that ID.")
    return customer


@dataclass
class CustomerCommands:
    customers: CustomerRepository
    record: Record
    now: Clock

    def register(self, command: RegisterCustomer) -> str:
        details = validate_details(command.details)
        return self.register_valid(details)

    def register_valid(self, details: ContactDetails) -> str:
        if self.customers.email_taken(details.email):
            raise ConflictError(DUPLICATE_EMAIL.format(email=details.email), field="email")
        customer = Customer.register(str(uuid.uuid4()), details, self.now())
        self.customers.add(customer)
        self.record(CustomerRegistered(customer_id=customer.id))
        return customer.id

    def update(self, command: UpdateCustomerProfile) -> None:
        customer = _load(self.customers, command.customer_id, for_update=True)
        details = validate_details(command.details)
        updated = customer.update(details)
        if updated.email != customer.email and self.customers.email_taken(
            updated.email, except_id=customer.id
        ):
            raise ConflictError(DUPLICATE_EMAIL.format(email=updated.email), field="email")
        changed = customer.changed_fields(updated)
        if not changed:
            return
        self.customers.save(updated)
        self.record(CustomerProfileUpdated(customer_id=customer.id, changed_fields=changed))

    def suspend(self, command: SuspendCustomer) -> None:
        customer = _load(self.customers, command.customer_id, for_update=True)
        updated = customer.suspend()
        if updated != customer:
            self.customers.save(updated)
            self.record(CustomerSuspended(customer_id=customer.id))

    def reactivate(self, command: ReactivateCustomer) -> None:
        customer = _load(self.customers, command.customer_id, for_update=True)
        updated = customer.reactivate()
        if updated != customer:
            self.customers.save(updated)
            self.record(CustomerReactivated(customer_id=customer.id))

    def anonymise(self, command: AnonymizeCustomer) -> None:
        customer = _load(self.customers, command.customer_id, for_update=True)
        if customer.is_anonymised:
            return  # already done; anonymising is irreversible and idempotent
        anonymised = customer.anonymise(self.now())
        self.customers.save(anonymised)
        assert anonymised.anonymised_at is not None
        self.record(
            CustomerAnonymised(customer_id=customer.id, anonymised_at=anonymised.anonymised_at)
        )


@dataclass
class CustomerQueries:
    customers: CustomerRepository

    def get(self, query: GetCustomerById) -> CustomerDetails:
        return CustomerDetails.of(_load(self.customers, query.customer_id, for_update=False))

    def find_by_email(self, query: FindCustomerByEmail) -> CustomerDetails | None:
        email = normalise_email(query.email)
        if not email:
            return None
        customer = self.customers.find_by_email(email)
        return CustomerDetails.of(customer) if customer else None

    def search(self, query: SearchCustomers) -> CustomerPage:
        status = (query.status or "").upper() or None
        if status and status not in STATUS_FILTERS:
            raise ValidationError("Unknown status filter.", field="status")
        page_size = min(max(int(query.page_size), 1), MAX_PAGE_SIZE)
        page = max(int(query.page), 1)
        text = " ".join((query.text or "").split())[:255]
        items, total = self.customers.search(text, status, (page - 1) * page_size, page_size)
        return CustomerPage(tuple(CustomerDetails.of(c) for c in items), total, page, page_size)
