"""CustomerFacade: the only way other modules (and the web layer) reach customer identity."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rental.customers.application.commands import (
    AnonymizeCustomer,
    CustomerDetailsInput,
    ReactivateCustomer,
    RegisterCustomer,
    SuspendCustomer,
    UpdateCustomerProfile,
)
from rental.customers.application.handlers import (
    CustomerCommands,
    CustomerQueries,
    validate_details,
)
from rental.customers.application.queries import (
    CustomerDetails,
    CustomerPage,
    FindCustomerByEmail,
    GetCustomerById,
    SearchCustomers,
)
from rental.customers.infrastructure.repositories import CustomerRepository
from rental.shared import outbox
from rental.shared.db import db, unit_of_work
from rental.shared.errors import ConflictError
from rental.shared.privacy import exporters
from rental.shared.time_range import utcnow

EXPORT_FORMAT = "rentkit.customer-export"
EXPORT_VERSION = 1
_RESERVED_SECTIONS = {"export", "customer"}


def _commands(session: Any) -> CustomerCommands:
    return CustomerCommands(CustomerRepository(session), outbox.record, utcnow)


def _queries() -> CustomerQueries:
    return CustomerQueries(CustomerRepository(db.session()))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class CustomerFacade:
    """Commands run in one transaction each and return an ID or None; queries return frozen
    dataclasses. Errors: ValidationError (with `errors` per field), NotFoundError,
    ConflictError (duplicate email, changing an anonymised customer)."""

    # --- queries ---------------------------------------------------------------------------

    def get_customer_by_id(self, customer_id: str) -> CustomerDetails:
        return _queries().get(GetCustomerById(customer_id))

    def find_customer_by_email(self, email: str) -> CustomerDetails | None:
        return _queries().find_by_email(FindCustomerByEmail(email))

    def search_customers(self, query: SearchCustomers) -> CustomerPage:
        return _queries().search(query)

    # --- commands --------------------------------------------------------------------------

    def register_customer(self, command: RegisterCustomer) -> str:
        with unit_of_work() as session:
            return _commands(session).register(command)

    def update_customer_profile(self, command: UpdateCustomerProfile) -> None:
        with unit_of_work() as session:
            _commands(session).update(command)

    def suspend_customer(self, customer_id: str) -> None:
        with unit_of_work() as session:
            _commands(session).suspend(SuspendCustomer(customer_id))

    def reactivate_customer(self, customer_id: str) -> None:
        with unit_of_work() as session:
            _commands(session).reactivate(ReactivateCustomer(customer_id))

    def anonymize_customer(self, customer_id: str) -> None:
        with unit_of_work() as session:
            _commands(session).anonymise(AnonymizeCustomer(customer_id))

    def ensure_customer(self, details: CustomerDetailsInput) -> str:
        """Find by (normalised) email or register: the existing customer's ID is returned as is,
        their stored profile is never overwritten. Every field is validated first."""
        valid = validate_details(details)
        with unit_of_work() as session:
            commands = _commands(session)
            existing = commands.customers.find_by_email(valid.email)
            if existing is not None:
                return existing.id
            try:
                return commands.register_valid(valid)
            except ConflictError:
                # A concurrent registration with this email committed first: use it.
                winner = commands.customers.find_by_email(valid.email)
                if winner is None:
                    raise
                return winner.id

    # --- privacy ---------------------------------------------------------------------------

    def export_customer_data(self, customer_id: str) -> dict[str, Any]:
        """Everything the system holds about the customer, as one JSON-ready document: the
        profile from this module plus one section per module registered with
        `rental.shared.privacy.register_exporter`."""
        customer = self.get_customer_by_id(customer_id)
        document: dict[str, Any] = {
            "export": {
                "format": EXPORT_FORMAT,
                "version": EXPORT_VERSION,
                "generated_at": utcnow().isoformat(),
                "customer_id": customer.id,
            },
            "customer": {
                "id": customer.id,
                "name": customer.name,
                "email": customer.email,
                "phone": customer.phone,
                "address": {
                    "street": customer.address.street,
                    "city": customer.address.city,
                    "state": customer.address.state,
                    "postal_code": customer.address.postal_code,
                    "country": customer.address.country,
                },
                "registered_at": _iso(customer.registered_at),
                "status": customer.status,
                "anonymised_at": _iso(customer.anonymised_at),
            },
        }
        for section, exporter in exporters():
            if section in _RESERVED_SECTIONS:
                raise ValueError(f"export section name {section!r} is reserved")
            document[section] = exporter(customer.id)
        return document
