"""The write side of customer identity: command dataclasses and `CustomerCommands`.

Each command runs inside the caller's unit of work, changes one customer and records an event
(rental.contracts.customers) that carries only the customer ID. Commands return the customer's
ID or None, never entities — except `ensure_for_booking`, which says whose booking it is in a
`CustomerMatch`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from rental.contracts.customers import (
    CustomerAnonymised,
    CustomerDeleted,
    CustomerProfileUpdated,
    CustomerReactivated,
    CustomerRegistered,
    CustomerSuspended,
)
from rental.customers.application.queries import load_customer
from rental.customers.domain.models import ContactDetails, Customer
from rental.customers.infrastructure.repositories import DUPLICATE_EMAIL, CustomerRepository
from rental.shared import outbox
from rental.shared.errors import ConflictError
from rental.shared.events import Event
from rental.shared.privacy import history_of
from rental.shared.time_range import utcnow

Record = Callable[[Event], None]
Clock = Callable[[], datetime]
History = Callable[[str], list[str]]

HAS_HISTORY = "{name} has {kept} the shop must keep; anonymise instead."


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
class EnsureCustomer:
    """Find the customer by (normalised) email, or register them. With `to_book`, a customer
    found who may not book (suspended) is refused: ValidationError on "customer"."""

    details: CustomerDetailsInput
    to_book: bool = False


@dataclass(frozen=True, slots=True)
class CustomerMatch:
    """Whose booking it is: the customer found by e-mail (`known`), whose stored profile is
    used as it is, or the one registered now with what was typed. `typed` is what was typed,
    cleaned (the same rules as a registration); `differences` names the fields of it that
    differ from the stored profile (COMPARED_FIELDS order; empty for a new customer)."""

    customer_id: str
    known: bool
    typed: CustomerDetailsInput
    differences: tuple[str, ...] = ()


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
class AnonymiseCustomer:
    customer_id: str


@dataclass(frozen=True, slots=True)
class DeleteCustomer:
    customer_id: str


def in_words(kept: list[str]) -> str:
    """["3 orders", "payments", "invoices"] → "3 orders, payments and invoices"."""
    return kept[0] if len(kept) == 1 else f"{', '.join(kept[:-1])} and {kept[-1]}"


def _validate(details: CustomerDetailsInput) -> ContactDetails:
    """Every field checked at once: one ValidationError naming each field at fault."""
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


def check_details(details: CustomerDetailsInput) -> None:
    """The fields as registering would check them (every one at once), saving nothing: a
    form that also has other problems can show them all together."""
    _validate(details)


def _typed(details: ContactDetails) -> CustomerDetailsInput:
    address = details.address
    return CustomerDetailsInput(
        name=details.name,
        email=details.email,
        phone=details.phone,
        street=address.street,
        city=address.city,
        state=address.state,
        postal_code=address.postal_code,
        country=address.country,
    )


class CustomerCommands:
    def __init__(
        self,
        customers: CustomerRepository,
        *,
        clock: Clock = utcnow,
        record: Record = outbox.record,
        history: History = history_of,
    ) -> None:
        """`history(customer_id)`: what the other modules keep of the customer that the shop
        must keep (rental.shared.privacy: registered by Booking and Payments)."""
        self._customers = customers
        self._clock = clock
        self._record = record
        self._history = history

    def register(self, command: RegisterCustomer) -> str:
        details = _validate(command.details)
        if self._customers.email_taken(details.email):
            raise ConflictError(DUPLICATE_EMAIL.format(email=details.email), field="email")
        return self._add(details)

    def ensure(self, command: EnsureCustomer) -> str:
        """The existing customer's ID as is (their stored profile is never overwritten), or a
        new customer's. Every field is validated first, also when the email is known."""
        return self._match(command).customer_id

    def ensure_for_booking(self, command: EnsureCustomer) -> CustomerMatch:
        """As `ensure` with `to_book`, saying whether the e-mail was known and what was typed
        differently from the stored profile — the profile itself is never changed by it."""
        return self._match(EnsureCustomer(command.details, to_book=True))

    def _match(self, command: EnsureCustomer) -> CustomerMatch:
        details = _validate(command.details)
        # To book: held until the booking is written (see CustomerQueries.get_to_book).
        existing = self._customers.find_by_email(details.email, for_share=command.to_book)
        if existing is None:
            try:
                return CustomerMatch(self._add(details), known=False, typed=_typed(details))
            except ConflictError:
                # A concurrent registration with this email committed first (the insert runs
                # in a savepoint, so this transaction is still usable): use that customer.
                existing = self._customers.find_by_email(details.email)
                if existing is None:
                    raise
        if command.to_book:
            existing.ensure_can_book()
        return CustomerMatch(
            existing.id,
            known=True,
            typed=_typed(details),
            differences=existing.differences(details),
        )

    def _add(self, details: ContactDetails) -> str:
        customer = Customer.register(str(uuid.uuid4()), details, self._clock())
        self._customers.add(customer)
        self._record(CustomerRegistered(customer_id=customer.id))
        return customer.id

    def update(self, command: UpdateCustomerProfile) -> None:
        customer = load_customer(self._customers, command.customer_id, for_update=True)
        details = _validate(command.details)
        updated = customer.update(details)
        if updated.email != customer.email and self._customers.email_taken(
            updated.email, except_id=customer.id
        ):
            raise ConflictError(DUPLICATE_EMAIL.format(email=updated.email), field="email")
        changed = customer.changed_fields(updated)
        if not changed:
            return
        self._customers.save(updated)
        self._record(CustomerProfileUpdated(customer_id=customer.id, changed_fields=changed))

    def suspend(self, command: SuspendCustomer) -> None:
        customer = load_customer(self._customers, command.customer_id, for_update=True)
        updated = customer.suspend()
        if updated != customer:
            self._customers.save(updated)
            self._record(CustomerSuspended(customer_id=customer.id))

    def reactivate(self, command: ReactivateCustomer) -> None:
        customer = load_customer(self._customers, command.customer_id, for_update=True)
        updated = customer.reactivate()
        if updated != customer:
            self._customers.save(updated)
            self._record(CustomerReactivated(customer_id=customer.id))

    def anonymise(self, command: AnonymiseCustomer) -> None:
        customer = load_customer(self._customers, command.customer_id, for_update=True)
        if customer.is_anonymised:
            return  # already done; anonymising is irreversible and idempotent
        anonymised = customer.anonymise(self._clock())
        self._customers.save(anonymised)
        assert anonymised.anonymised_at is not None
        self._record(
            CustomerAnonymised(customer_id=customer.id, anonymised_at=anonymised.anonymised_at)
        )

    def delete(self, command: DeleteCustomer) -> None:
        """Delete the customer's record — only for one with no history at all (registered by
        mistake): ConflictError naming what the shop must keep otherwise (anonymise them
        instead). The customer row is locked first; `CustomerDeleted` lets the other modules
        drop what they keep about the ID (CRM's preferences, the sent-mail log)."""
        customer = load_customer(self._customers, command.customer_id, for_update=True)
        kept = self._history(customer.id)
        if kept:
            raise ConflictError(HAS_HISTORY.format(name=customer.name, kept=in_words(kept)))
        self._customers.delete(customer.id)
        self._record(CustomerDeleted(customer_id=customer.id, deleted_at=self._clock()))
